"""The process that runs a student's notebook inside the sandbox and answers the grader's calls.

Started by ``autograder.harness`` inside bubblewrap as ``python -I worker.py SOCKET``. It sees the
Python environment, the course library and a private scratch folder, nothing else: no solutions,
no gradebook, no network. Everything it is asked to do comes over the Unix socket ``SOCKET``, one
connection per process, in the message format of ``wire.py``.

Operations (``op`` of a request; every request gets exactly one reply):

- ``cell``: run a notebook cell's source; reply with its outputs and error, if any.
- ``fork``: fork a child that connects on its own and serves the next requests; this process then
  only supervises it, until the child exits or the grader sends ``kill``. Running each cell and each
  graded part in a fresh child means a crash or an endless loop costs only that cell or part: the
  state before it is still here.
  A ``kill`` that arrives after the child has ended by itself is ignored: its answer, the
  child's exit, has already been sent.
- ``call``: call a name of the notebook (or a handle) with arguments; reply with the result and the
  arguments as they are afterwards, so that in-place changes can be copied back.
- ``getattr``: read an attribute of a handle. ``probe``: define a grader-supplied function and call it.
- ``exit``: end this process.

The student's code runs in this very process, so nothing here is trusted: the grader checks every
answer itself and treats every reply as data.
"""

from __future__ import annotations

import gc
import io
import os
import resource
import select
import signal
import socket
import sys
import traceback
from typing import Any

# Run as a script with -I, so this folder is not on sys.path by itself.
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import wire  # noqa: E402

OUTPUT_NOTE = "\n[output cut: {dropped:,} more characters, over the limit of {limit:,}]\n"


class CappedStream(io.TextIOBase):
    """A text stream that keeps the first ``limit`` characters and counts the rest."""

    def __init__(self, name: str, limit: int):
        self.name, self.limit, self.parts, self.kept, self.dropped = name, limit, [], 0, 0

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        text = str(text)
        room = self.limit - self.kept
        if room > 0:
            self.parts.append(text[:room])
            self.kept += min(room, len(text))
        self.dropped += max(0, len(text) - max(room, 0))
        return len(text)

    def value(self) -> str:
        text = "".join(self.parts)
        if self.dropped:
            text += OUTPUT_NOTE.format(dropped=self.dropped, limit=self.limit)
        return text


class Worker:
    def __init__(self, path: str, output_limit: int, token: str | None = None):
        self.path = path
        self.token = token  # a zygote's submission proves with it which submission each connection is
        self.output_limit = output_limit
        self.handles: dict[int, Any] = {}
        self.shell = None
        self.conn = self._connect()

    def _connect(self) -> socket.socket:
        conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        conn.connect(self.path)
        hello = {"op": "hello", "pid": os.getpid()}
        if self.token is not None:
            hello["token"] = self.token
        wire.send(conn, hello)
        return conn

    # --- the notebook ---------------------------------------------------------------------------

    def _shell(self):
        if self.shell is None:
            from IPython.core.interactiveshell import InteractiveShell

            self.shell = InteractiveShell.instance(colors="nocolor")
            self.shell.showtraceback = lambda *args, **kwargs: None  # errors are reported below
            self.shell.showsyntaxerror = lambda *args, **kwargs: None
        return self.shell

    def namespace(self) -> dict:
        return self._shell().user_ns

    def run_cell(self, source: str) -> dict:
        shell = self._shell()
        out = CappedStream("stdout", self.output_limit)
        err = CappedStream("stderr", self.output_limit)
        saved = sys.stdout, sys.stderr
        sys.stdout, sys.stderr = out, err
        try:
            result = shell.run_cell(source, store_history=False, silent=False)
        finally:
            sys.stdout, sys.stderr = saved
        error = result.error_before_exec or result.error_in_exec
        return {"stdout": out.value(), "stderr": err.value(),
                "error": None if error is None else describe(error)}

    # --- calls ----------------------------------------------------------------------------------

    def keep(self, obj: Any) -> wire.HandleRef:
        for hid, held in self.handles.items():
            if held is obj:
                return wire.HandleRef(hid, type(obj).__name__)
        hid = len(self.handles) + 1
        self.handles[hid] = obj
        return wire.HandleRef(hid, type(obj).__name__)

    def resolve(self, hid: int) -> Any:
        if hid not in self.handles:
            raise wire.WireError(f"no handle {hid}")
        return self.handles[hid]

    def target(self, request: dict) -> Any:
        if "handle" in request:
            obj = self.resolve(request["handle"])
        else:
            name = request.get("name")
            namespace = self.namespace()
            if name not in namespace:
                raise NameError(f"name '{name}' is not defined")
            obj = namespace[name]
        return obj

    def call(self, request: dict, buffers: list[bytes]) -> tuple[dict, list[bytes]]:
        decoder = wire.Decoder(buffers, resolve=self.resolve)
        args = [decoder.decode(a) for a in request.get("args", [])]
        kwargs = {k: decoder.decode(v) for k, v in request.get("kwargs", {}).items()}
        if request["op"] == "probe":
            scope: dict = {"__name__": "probe"}
            exec(compile(request["source"], "<grader probe>", "exec"), scope)
            fn = scope[request["name"]]
        else:
            fn = self.target(request)
            if request.get("attr"):
                fn = getattr(fn, request["attr"])
        result = fn(*args, **kwargs)
        encoder = wire.Encoder(keep=self.keep)
        reply = {"result": encoder.encode(result),
                 "args": [encoder.encode(a) for a in args],
                 "kwargs": {k: encoder.encode(v) for k, v in kwargs.items()}}
        return reply, encoder.buffers

    def getattr(self, request: dict) -> tuple[dict, list[bytes]]:
        value = self.target(request)
        if request.get("attr"):
            value = getattr(value, request["attr"])
        encoder = wire.Encoder(keep=self.keep)
        return {"result": encoder.encode(value), "callable": callable(value)}, encoder.buffers

    # --- the loop ---------------------------------------------------------------------------------

    def serve(self) -> None:
        # What is loaded by now (libraries, the shell) lives as long as this sandbox: keep the
        # garbage collector of every forked cell and part from walking it, which would write to
        # (and so copy) every page they share.
        gc.freeze()
        while True:
            try:
                request, buffers = wire.recv(self.conn)
            except EOFError:
                os._exit(0)
            op = request.get("op")
            if op == "exit":
                os._exit(0)
            if op == "fork":
                self.fork()
                continue
            if op == "kill":
                # Late: the child it was meant for ended first and its exit was reported. A reply
                # here would be read as the answer to the grader's next request.
                continue
            try:
                if op == "cell":
                    reply, out_buffers = self.run_cell(request["source"]), []
                elif op in ("call", "probe"):
                    reply, out_buffers = self.call(request, buffers)
                elif op == "getattr":
                    reply, out_buffers = self.getattr(request)
                else:
                    reply, out_buffers = {"error": describe(ValueError(f"unknown op {op!r}"))}, []
            except BaseException as exc:  # the student's exception, reported, never fatal here
                reply, out_buffers = {"error": describe(exc)}, []
            try:
                wire.send(self.conn, reply, out_buffers)
            except (TypeError, ValueError) as exc:
                wire.send(self.conn, {"error": describe(exc)})

    def fork(self) -> None:
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            os.setpgid(0, 0)  # its own group, so that stopping it also stops what it started
            self.conn.close()
            self.conn = self._connect()
            return
        # The parent only supervises: it reports how the child ended, or kills it on request. It
        # sleeps until one of the two happens (a pidfd becomes readable when the child ends), so
        # the dozens of idle states of a graded notebook cost no CPU; without pidfds it polls.
        try:
            exited = [os.pidfd_open(pid)]
        except (AttributeError, OSError):
            exited = []
        while True:
            finished, status = os.waitpid(pid, os.WNOHANG)
            if finished:
                break
            readable, _, _ = select.select([self.conn, *exited], [], [], None if exited else 0.05)
            if self.conn not in readable:
                continue
            try:
                request, _ = wire.recv(self.conn)
            except (EOFError, wire.WireError):
                kill_group(pid)
                os._exit(0)
            if request.get("op") == "kill":
                kill_group(pid)
                _, status = os.waitpid(pid, 0)
                break
        for fd in exited:
            os.close(fd)
        wire.send(self.conn, {"op": "child_exited", "status": exit_description(status)})


def kill_group(pid: int) -> None:
    for kill in (os.killpg, os.kill):
        try:
            kill(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


def describe(exc: BaseException) -> dict:
    """An exception as the student should see it: type, message and the frames of their own code."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__)
              if f.filename.startswith("<") and f.filename != "<grader probe>"]
    lines = [f"line {f.lineno}: {f.line}" for f in frames[-3:] if f.line]
    if isinstance(exc, SyntaxError) and exc.text:
        lines.append(f"line {exc.lineno}: {exc.text.strip()}")
    return {"ename": type(exc).__name__, "evalue": str(exc)[:2000], "lines": lines}


def exit_description(status: int) -> str:
    if os.WIFSIGNALED(status):
        try:
            return f"killed by signal {signal.Signals(os.WTERMSIG(status)).name}"
        except ValueError:
            return f"killed by signal {os.WTERMSIG(status)}"
    return f"exited with code {os.WEXITSTATUS(status)}"


def main() -> None:
    path, output_limit, memory = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    if memory > 0:
        # Torch alone reserves ~0.6 GB of address space; the grader also watches real memory use.
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    os.environ.setdefault("MPLBACKEND", "agg")
    # Preloaded before any student code, so every forked cell and part shares them.
    import numpy  # noqa: F401
    import torch

    torch.set_num_threads(1)
    worker = Worker(path, output_limit)
    worker._shell()
    worker.serve()


if __name__ == "__main__":
    main()
