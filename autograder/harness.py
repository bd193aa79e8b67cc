"""Trusted grading: the student's notebook runs in a sandbox, every verdict is reached out here.

:func:`grade_notebook` is the whole of it. It starts a bubblewrap sandbox (see :class:`Sandbox`)
that can read the Python environment and the course library and nothing else, runs the student's
code cells there one by one, then runs each graded part's hidden tests in *this* process. The
hidden tests live in ``solutions/<slug>/tests.py``: one function ``test_<part>(student, reference)``
per graded cell. ``reference`` is the reference solution, loaded here; ``student`` is a
:class:`Student`, a proxy whose calls travel to the sandbox as plain data (``sandbox/wire.py``) and
whose answers come back as plain data, so nothing the student wrote ever runs on this side.

Each cell and each part runs in a fresh fork of the sandbox's state, so a crash or an endless loop
costs that cell or that part only, and no part can change what another one sees.
"""

from __future__ import annotations

import contextlib
import functools
import importlib.util
import inspect
import os
import queue
import secrets
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import types
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat
import numpy as np
import torch

from autograder.course import LIMITS, SOLUTIONS, Limits
from autograder.sandbox import wire

SANDBOX_CODE = Path(__file__).parent / "sandbox"
MESSAGE_CHARS = 500  # a verdict is one line a student reads; inputs in it are cut to fit
MAX_PROCESSES = 200  # cells and parts each hold one forked process; far more means a fork bomb
# A sandbox's processes are counted every WATCH_SECONDS; their memory is measured at every look
# near the limit and at every MEMORY_FAR_LOOKS-th below half of it. Measuring reads the kernel's
# PSS total of every process (about 1.5 ms each for a process that imported torch, and a notebook
# holds one per cell): doing it 5 times a second took about a tenth of a class run's CPU. What a
# process allocates between two measures is still capped by its own address-space limit (RLIMIT_AS).
WATCH_SECONDS = 0.2
MEMORY_FAR_LOOKS = 5
BWRAP_ENV = "HIDDENREP_BWRAP"  # another bwrap binary (tests point it at a missing file)
INSTALL_HINT = "install it with `sudo apt-get install bubblewrap` (Debian/Ubuntu) or your system's bubblewrap package"


class SandboxUnavailable(RuntimeError):
    """Grading cannot be isolated on this machine; the message says what to install."""


class SandboxFault(BaseException):
    """The sandbox stopped answering a part: timed out, crashed or ran out of memory.

    A BaseException, so that a hidden test's ``except Exception`` cannot swallow it.
    """


class StudentError(Exception):
    """The student's code raised: ``ename`` and ``evalue`` are its exception's type and message."""

    def __init__(self, label: str, ename: str, evalue: str, lines: list[str] | None = None):
        self.label, self.ename, self.evalue, self.lines = label, ename, evalue, lines or []
        if ename == "NotImplementedError" and not evalue:
            super().__init__(f"{label} is not written yet: it still raises NotImplementedError")
            return
        if ename == "NameError" and evalue == f"name '{label}' is not defined":
            super().__init__(f"{label} is not defined in your notebook: run its cell without errors "
                             f"and keep its name")
            return
        where = f" (at {self.lines[-1]})" if self.lines else ""
        super().__init__(f"{label} raised {ename}: {evalue}{where}")


# --- the sandbox ----------------------------------------------------------------------------------


class Channel:
    """One connection to one process in the sandbox."""

    def __init__(self, sock: socket.socket, pid: int, sandbox: "Sandbox"):
        self.sock, self.pid, self.sandbox = sock, pid, sandbox

    def request(self, header: dict, buffers: list[bytes] = (), deadline: float | None = None):
        wire.send(self.sock, header, list(buffers))
        return self.reply(deadline)

    def reply(self, deadline: float | None = None):
        return wire.recv(self.sock, self.sandbox.wire_limits, deadline)

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.close()


@dataclass
class CellResult:
    outputs: list[dict]
    error: dict | None = None  # {"ename", "evalue", "lines"} when the cell raised or was stopped


class Sandbox:
    """A bubblewrap sandbox holding one student's notebook state.

    The sandbox sees, read-only: /usr, the Python installation and virtual environment, the course
    library ``hiddenrep`` and the data cache; and a private /tmp. It has no network, its own PID
    namespace (everything it starts dies with it), and no view of solutions, grades or other
    students. ``unsafe=True`` runs the same worker without bubblewrap, for machines that cannot
    have it; nothing is isolated then.
    """

    def __init__(self, limits: Limits = LIMITS, unsafe: bool = False, zygote: "Zygote | None" = None):
        self.limits, self.unsafe = limits, unsafe
        self.kept: list[str] = []  # folders under /tmp the sandbox reads (set by _command)
        self.zygote = None if unsafe else zygote  # a warm sandbox to fork this one from (see Zygote)
        self.wire_limits = wire.Limits(max_bytes=1 << 30)
        self.chain: list[Channel] = []
        self.proc: subprocess.Popen | None = None
        self.tmp: tempfile.TemporaryDirectory | None = None
        self.root_pid: int | None = None  # zygote mode: the submission's first process (host PID)
        self.pidfd: int | None = None
        self.token: bytes | None = None
        self.inbox: queue.Queue | None = None
        self.stop_reason: str | None = None  # set by the watchdog when it kills
        self.fault: str | None = None  # set when a process stopped answering: nothing more runs here
        self.peak_memory = 0  # the largest total PSS the watchdog saw, in bytes
        self._stop = threading.Event()

    # life cycle

    def __enter__(self) -> "Sandbox":
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def start(self) -> None:
        if self.zygote is not None:
            return self._start_from_zygote()
        command = self._command()
        self.tmp = tempfile.TemporaryDirectory(prefix="hiddenrep-sbx-")
        path = os.path.join(self.tmp.name, "s")
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.listener.bind(path)
        self.listener.listen(8)
        inner = path if self.unsafe else "/run/grader/s"
        args = [*command(path), str(SANDBOX_CODE / "worker.py") if self.unsafe else "/opt/grader/worker.py",
                inner, str(self.limits.output_chars), str(self.limits.memory_bytes + (1 << 30))]
        self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE, start_new_session=True,
                                     env=self._environment())
        threading.Thread(target=self._watch_memory, daemon=True).start()
        self.chain = [self._accept(time.monotonic() + 60)]
        self.pid_namespace = _pid_namespace(self.proc.pid)

    def _start_from_zygote(self) -> None:
        self.token = secrets.token_bytes(32)
        self.inbox = self.zygote.register(self.token)
        self.zygote.spawn(self.token, self.limits)
        first = self._accept(time.monotonic() + 60)
        self.chain = [first]
        self.pid_namespace = first.namespace
        self.root_pid = first.host_pid
        with contextlib.suppress(OSError):
            self.pidfd = os.pidfd_open(self.root_pid)
        if self.pidfd is None or _namespace_of(self.root_pid) != self.pid_namespace:
            raise SandboxFault("the sandbox ended before it could be used")
        threading.Thread(target=self._watch_memory, daemon=True).start()

    def alive(self) -> bool:
        if self.zygote is not None:
            return self.pidfd is not None and not _pidfd_exited(self.pidfd)
        return self.proc is not None and self.proc.poll() is None

    def kill_all(self) -> None:
        """SIGKILL the whole sandbox: its first process, and with it its PID namespace."""
        if self.zygote is not None:
            if self.pidfd is not None:
                with contextlib.suppress(OSError):
                    signal.pidfd_send_signal(self.pidfd, signal.SIGKILL)
        elif self.proc is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)

    def close(self) -> None:
        self._stop.set()
        for channel in self.chain:
            channel.close()
        if self.zygote is not None:
            self.kill_all()
            end = time.monotonic() + 5
            while self.leftovers() and time.monotonic() < end:
                time.sleep(0.05)
            if self.pidfd is not None:
                os.close(self.pidfd)
                self.pidfd = None
            if self.token is not None:
                self.zygote.unregister(self.token)
            return
        if self.proc is not None and self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        # The kernel kills a PID namespace's processes when its first process dies; wait for that.
        end = time.monotonic() + 10  # a loaded machine can take seconds to kill a busy namespace
        while self.leftovers() and time.monotonic() < end:
            time.sleep(0.05)
        if self.proc is not None and self.proc.stderr:
            self.proc.stderr.close()
        if self.tmp is not None:
            self.listener.close()
            self.tmp.cleanup()

    def _command(self, zygote: bool = False):
        python = str(Path(sys.prefix) / "bin" / "python")
        if self.unsafe:
            return lambda path: [python, "-I"]
        bwrap = os.environ.get(BWRAP_ENV) or shutil.which("bwrap")
        if not bwrap or not os.path.exists(bwrap):
            raise SandboxUnavailable(f"bubblewrap (bwrap) is not installed, so student code cannot be "
                                     f"isolated: {INSTALL_HINT}")
        binds = []
        for top in ("/lib", "/lib64", "/bin", "/sbin"):
            if os.path.islink(top):
                binds += ["--symlink", os.readlink(top), top]
            elif os.path.isdir(top):
                binds += ["--ro-bind", top, top]
        readable = [sys.base_prefix, sys.prefix, _library_dir(), *_data_dirs()]
        folders = [f for f in dict.fromkeys(str(Path(p).resolve()) for p in readable) if os.path.exists(f)]
        for folder in folders:
            binds += ["--ro-bind", folder, folder]
        # The sandbox gets a private /tmp, so what it reads from under /tmp (a clone made with `mktemp -d`)
        # is bound on top of that. A zygote gives each submission a private /tmp of its own once more: it
        # keeps a second view of those folders outside /tmp to bind them again (see sandbox/zygote.py).
        kept = [f for f in folders if _under_tmp(f)]
        for i, folder in enumerate(kept):
            binds += ["--ro-bind", folder, f"{KEEP_DIR}/{i}"]
        self.kept = kept
        for name in ("ld.so.cache", "localtime", "passwd", "group", "nsswitch.conf"):
            if os.path.exists(f"/etc/{name}"):
                binds += ["--ro-bind", f"/etc/{name}", f"/etc/{name}"]

        def command(path: str) -> list[str]:
            # A zygote keeps CAP_SYS_ADMIN (and CAP_SETFCAP, which mapping a uid onto its root needs) in its
            # own user namespace only, to build each submission's
            # namespaces (see sandbox/zygote.py); a single sandbox has no capability at all.
            identity = (["--unshare-user", "--cap-drop", "ALL", "--cap-add", "CAP_SYS_ADMIN", "--cap-add", "CAP_SETFCAP", "--uid", "0", "--gid", "0"]
                        if zygote else ["--cap-drop", "ALL", "--uid", "65534", "--gid", "65534"])
            return [bwrap, "--unshare-all", "--die-with-parent", "--new-session", *identity,
                    "--ro-bind", "/usr", "/usr", "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp",
                    *binds,
                    "--ro-bind", str(SANDBOX_CODE), "/opt/grader",
                    "--ro-bind", path, "/run/grader/s",
                    "--chdir", "/tmp",
                    python, "-I"]
        return command

    def _environment(self) -> dict[str, str]:
        env = {"PATH": "/usr/bin:/bin", "HOME": "/tmp", "LANG": "C.UTF-8", "MPLBACKEND": "agg",
               "MPLCONFIGDIR": "/tmp/matplotlib", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
               "PYTHONHASHSEED": "0", "PYTHONDONTWRITEBYTECODE": "1"}
        if "HIDDENREP_CACHE" in os.environ:
            env["HIDDENREP_CACHE"] = os.environ["HIDDENREP_CACHE"]
        elif not self.unsafe:
            env["HIDDENREP_CACHE"] = str(_data_dirs()[0]) if _data_dirs() else "/nonexistent"
        return env

    def _accept(self, deadline: float) -> Channel:
        if self.zygote is not None:
            return self._accept_from_zygote(deadline)
        self.listener.settimeout(max(0.01, deadline - time.monotonic()))
        try:
            sock, _ = self.listener.accept()
        except socket.timeout:
            raise SandboxFault(self._why_silent()) from None
        channel = Channel(sock, 0, self)
        hello, _ = channel.reply(deadline)
        if hello.get("op") != "hello":
            raise SandboxFault("the sandbox did not introduce itself")
        channel.pid = hello.get("pid", 0)
        return channel

    def _accept_from_zygote(self, deadline: float) -> Channel:
        """The next connection of this submission: its token and its PID namespace both checked."""
        while True:
            try:
                sock, hello, host_pid, namespace = self.inbox.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                raise SandboxFault("the sandbox did not start in time" if not self.chain
                                   else "the sandbox did not answer in time") from None
            if hello.get("error"):
                sock.close()
                raise SandboxUnavailable(f"the sandbox could not isolate a submission ({hello['error']})")
            expected = getattr(self, "pid_namespace", None) if self.chain else None
            if namespace is None or namespace == self.zygote.namespace or (expected and namespace != expected):
                sock.close()  # a connection with this token from anywhere else is an impostor's
                continue
            channel = Channel(sock, hello.get("pid", 0), self)
            channel.host_pid, channel.namespace = host_pid, namespace
            return channel

    def _why_silent(self) -> str:
        if self.proc is not None and self.proc.poll() is not None:
            err = (self.proc.stderr.read() or b"").decode(errors="replace").strip().splitlines()
            raise SandboxUnavailable(f"the sandbox did not start ({(err or ['no message'])[-1]})")
        return "the sandbox did not start in time"

    def leftovers(self) -> list[int]:
        """Processes of this sandbox still alive (after :meth:`close` there must be none)."""
        ns = getattr(self, "pid_namespace", None)
        if not ns:
            return []
        alive = []
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                with contextlib.suppress(OSError):
                    if os.readlink(f"/proc/{entry}/ns/pid") == ns and not _is_zombie(entry):
                        alive.append(int(entry))
        return alive

    # forking: every cell and every part runs in a child of the last good state

    def fork(self, deadline: float) -> Channel:
        if self.fault:
            raise SandboxFault(self.fault)
        parent = self.chain[-1]
        wire.send(parent.sock, {"op": "fork"})
        return self._accept(deadline)

    def end_child(self, child: Channel, kill: bool) -> str:
        """Stop ``child`` (politely or with SIGKILL) and return how it ended, as its parent saw it."""
        parent = self.chain[-1]
        if kill:
            with contextlib.suppress(OSError):
                wire.send(parent.sock, {"op": "kill"})
        else:
            with contextlib.suppress(OSError):
                wire.send(child.sock, {"op": "exit"})
        child.close()
        try:
            reply, _ = parent.reply(time.monotonic() + 10)
        except (EOFError, TimeoutError, wire.WireError, OSError):
            # The parent may still answer later, or still be watching its child when the next
            # request comes: either would pair every later reply with the wrong request.
            self.fault = "the sandbox stopped responding"
            raise SandboxFault(self.fault) from None
        return str(reply.get("status", ""))

    def run_cell(self, source: str, deadline: float) -> CellResult:
        """Run one cell in a child of the current state; keep the child as the new state if it ran."""
        child = self.fork(deadline)
        try:
            reply, _ = child.request({"op": "cell", "source": source}, deadline=deadline)
        except TimeoutError:
            self.end_child(child, kill=True)
            return CellResult([], _stopped("TimeoutError", self._timeout_message(deadline)))
        except (EOFError, OSError, wire.WireError):
            status = self.end_child(child, kill=True)
            return CellResult([], _stopped("DeadKernelError", self._crash_message(status)))
        if not isinstance(reply, dict) or "stdout" not in reply:
            self.end_child(child, kill=True)
            return CellResult([], _stopped("ProtocolError", "the cell's output could not be read"))
        self.chain.append(child)
        outputs = []
        for name in ("stdout", "stderr"):
            text = str(reply.get(name) or "")[: self.limits.output_chars + 200]
            if text:
                outputs.append({"output_type": "stream", "name": name, "text": text})
        error = reply.get("error")
        if error is not None:
            error = {"ename": str(error.get("ename", "Error"))[:100],
                     "evalue": str(error.get("evalue", ""))[:2000],
                     "lines": [str(x)[:300] for x in error.get("lines", [])][:5]}
        return CellResult(outputs, error)

    def _timeout_message(self, deadline: float) -> str:
        return (f"stopped after {self.limits.cell_seconds:g} s (the limit for one cell): "
                f"an endless loop, or far too much work?")

    def _crash_message(self, status: str) -> str:
        if self.stop_reason:
            reason, self.stop_reason = self.stop_reason, None
            return reason
        return f"the Python process running it died ({status}): it crashed or exited"

    # memory

    def _watch_memory(self) -> None:
        root = self.root_pid if self.zygote is not None else self.proc.pid
        skip = 0  # looks left before memory is measured again
        while not self._stop.wait(WATCH_SECONDS):
            if not self.alive():
                return
            pids = _tree_pids(root)
            if len(pids) > MAX_PROCESSES:  # a fork bomb: nothing of this sandbox is worth keeping
                self.stop_reason = (f"stopped: your code started more than {MAX_PROCESSES} processes; "
                                    f"the whole notebook was stopped")
                self.kill_all()
                return
            if skip:
                skip -= 1
                continue
            usage = _memory(pids)
            used = sum(usage.values())
            self.peak_memory = max(self.peak_memory, used)
            skip = MEMORY_FAR_LOOKS - 1 if used < self.limits.memory_bytes / 2 else 0
            if used > self.limits.memory_bytes:
                self.stop_reason = (f"stopped: your code used more than "
                                    f"{self.limits.memory_bytes / 2**30:g} GiB of memory (the limit "
                                    f"for one notebook)")
                biggest = max(usage, key=usage.get)
                with contextlib.suppress(ProcessLookupError):
                    os.kill(biggest, signal.SIGKILL)


class Zygote:
    """One warm bubblewrap sandbox per grading process, forking an isolated sandbox per submission.

    Starting a sandbox costs a Python start plus ``import torch`` and IPython (~1.5-2 s of CPU);
    the zygote pays that once. ``Sandbox(limits, zygote=z)`` then asks it for a fork that puts
    itself in new PID, mount, IPC, network and user namespaces, with a fresh /tmp, /dev/shm and
    /proc, everything else read-only, an unprivileged uid with no capabilities and no_new_privs,
    before any student code runs (``sandbox/zygote.py``). Each submission's connections carry a
    random token that only its fork got, and must come from its own PID namespace (the kernel's
    ``SO_PEERCRED``), so one submission cannot pose as another on the shared socket. Thread-safe:
    several submissions can be graded at once from one zygote.
    """

    def __init__(self, limits: Limits = LIMITS):
        self.sandbox = Sandbox(limits)  # only for its bwrap command and environment
        self.lock = threading.Lock()
        self.waiting: dict[bytes, queue.Queue] = {}
        self.proc: subprocess.Popen | None = None
        self.control: socket.socket | None = None
        self.namespace: str | None = None
        self.closed = False

    def __enter__(self) -> "Zygote":
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def start(self) -> None:
        self.launch()
        self.connect()

    def launch(self) -> None:
        """Start the sandbox's process without waiting for it to be ready (:meth:`connect` waits).

        bwrap's ``--die-with-parent`` ends the sandbox when the *thread* that launched it ends, so
        launch from a thread that outlives the grading.
        """
        command = self.sandbox._command(zygote=True)
        self.tmp = tempfile.TemporaryDirectory(prefix="hiddenrep-zygote-")
        path = os.path.join(self.tmp.name, "s")
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.listener.bind(path)
        self.listener.listen(64)
        self.proc = subprocess.Popen([*command(path), "/opt/grader/zygote.py", "/run/grader/s"],
                                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE, start_new_session=True,
                                     env={**self.sandbox._environment(), KEEP_ENV: "\n".join(self.sandbox.kept)})

    def connect(self) -> None:
        """Wait for the launched sandbox to introduce itself, then serve its submissions' connections."""
        self.listener.settimeout(120)
        try:
            self.control, _ = self.listener.accept()
        except socket.timeout:
            self.close()
            raise SandboxUnavailable("the grading sandbox did not start in time") from None
        except OSError:
            self.close()
            raise
        hello, _ = wire.recv(self.control, wire.Limits(max_bytes=1 << 16), time.monotonic() + 60)
        if hello.get("op") != "zygote":
            raise SandboxUnavailable("the grading sandbox did not introduce itself")
        self.namespace = _namespace_of(_peer_pid(self.control))
        self.listener.settimeout(None)
        threading.Thread(target=self._dispatch, daemon=True).start()

    def register(self, token: bytes) -> queue.Queue:
        inbox: queue.Queue = queue.Queue()
        with self.lock:
            self.waiting[token] = inbox
        return inbox

    def unregister(self, token: bytes) -> None:
        with self.lock:
            self.waiting.pop(token, None)

    def spawn(self, token: bytes, limits: Limits) -> None:
        if self.proc is None or self.proc.poll() is not None:
            err = (self.proc.stderr.read() or b"").decode(errors="replace").strip().splitlines() if self.proc else []
            raise SandboxUnavailable(f"the grading sandbox is not running ({(err or ['no message'])[-1]})")
        message = SPAWN.pack(b"S", token, limits.output_chars, limits.memory_bytes + (1 << 30))
        with self.lock:
            self.control.sendall(message)

    def _dispatch(self) -> None:
        while not self.closed:
            try:
                sock, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._introduce, args=(sock,), daemon=True).start()

    def _introduce(self, sock: socket.socket) -> None:
        """Read a new connection's hello (bounded in size and time) and hand it to its submission."""
        try:
            hello, _ = wire.recv(sock, wire.Limits(max_bytes=1 << 16, max_nodes=100), time.monotonic() + 10)
            token = bytes.fromhex(str(hello.get("token", "")))
            host_pid = _peer_pid(sock)
            namespace = _namespace_of(host_pid)
        except Exception:
            sock.close()
            return
        with self.lock:
            inbox = self.waiting.get(token) if len(token) == 32 else None
        if inbox is None or not isinstance(hello, dict) or hello.get("op") != "hello":
            sock.close()
            return
        inbox.put((sock, hello, host_pid, namespace))

    def close(self) -> None:
        self.closed = True
        if self.control is not None:
            with contextlib.suppress(OSError):
                self.control.close()
        if self.proc is not None and self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        if self.proc is not None and self.proc.stderr:
            self.proc.stderr.close()
        with contextlib.suppress(OSError):
            self.listener.close()
        self.tmp.cleanup()


SPAWN = struct.Struct(">c32sQQ")  # as in sandbox/zygote.py: b"S", token, output limit, memory limit


def _peer_pid(sock: socket.socket) -> int:
    """The PID (in our namespace) of the process that opened the other end of ``sock``, by the kernel."""
    pid, _, _ = struct.unpack("3i", sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i")))
    return pid


def _namespace_of(pid: int) -> str | None:
    try:
        ns = os.readlink(f"/proc/{pid}/ns/pid")
    except OSError:
        return None
    return None if ns == os.readlink("/proc/self/ns/pid") else ns


def _pidfd_exited(pidfd: int) -> bool:
    import select

    return bool(select.select([pidfd], [], [], 0)[0])


def _pid_namespace(root: int) -> str | None:
    """The PID namespace of the processes under ``root`` (bwrap), if it made one."""
    own = os.readlink("/proc/self/ns/pid")
    for pid in _tree_pids(root):
        with contextlib.suppress(OSError):
            ns = os.readlink(f"/proc/{pid}/ns/pid")
            if ns != own:
                return ns
    return None


def _stopped(ename: str, evalue: str) -> dict:
    return {"ename": ename, "evalue": evalue, "lines": []}


KEEP_DIR = "/run/grader/keep"
KEEP_ENV = "HIDDENREP_SANDBOX_KEEP"  # the folders under /tmp a zygote binds again into each submission


def _is_zombie(pid: str) -> bool:
    """A killed process that runs no code any more and only waits to be reaped (state Z or X)."""
    with open(f"/proc/{pid}/stat") as f:
        return f.read().rsplit(")", 1)[1].split()[0] in ("Z", "X")


def _under_tmp(folder: str) -> bool:
    return folder == "/tmp" or folder.startswith("/tmp/")


def _library_dir() -> str:
    import hiddenrep

    return str(Path(hiddenrep.__file__).resolve().parent)


def _data_dirs() -> list[Path]:
    from hiddenrep.data import cache_dir

    folder = cache_dir()
    return [folder] if folder.exists() else []


def _tree_pids(root: int) -> list[int]:
    """``root`` and every process descended from it (``root`` first), from /proc."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(entry))
    pids, todo = [], [root]
    while todo:
        pid = todo.pop()
        pids.append(pid)
        todo += children.get(pid, [])
    return pids


def _memory(pids: list[int]) -> dict[int, int]:
    """Proportional memory (PSS, bytes) of each of ``pids`` that is still running."""
    usage = {}
    for pid in pids:
        try:
            with open(f"/proc/{pid}/smaps_rollup") as f:
                for line in f:
                    if line.startswith("Pss:"):
                        usage[pid] = int(line.split()[1]) * 1024
                        break
        except OSError:
            continue
    return usage


# --- the student, as the hidden tests see it ---------------------------------------------------------


class Remote(wire.HandleRef):
    """Something in the sandbox: a name of the notebook, or an object the sandbox holds."""

    def __init__(self, part: "Part", label: str, name: str | None = None, handle: int | None = None,
                 type_name: str = "object"):
        self._part, self._label, self._name, self._handle, self.type_name = part, label, name, handle, type_name

    @property
    def id(self) -> int:  # what the wire sends when this is passed back as an argument
        if self._handle is None:
            value = self._part.request({"op": "getattr", "name": self._name}, [], self._label)
            if not isinstance(value, Remote):
                raise TypeError(f"{self._label} is plain data, not something that can be passed by reference")
            self._handle = value._handle
        return self._handle

    def _target(self) -> dict:
        return {"handle": self.id} if self._name is None or self._handle is not None else {"name": self._name}

    def __call__(self, *args, **kwargs):
        return self._part.call(dict(self._target(), op="call"), args, kwargs, self._label)

    def __getattr__(self, attr: str):
        if attr.startswith("__"):
            raise AttributeError(attr)
        return self._part.request(dict(self._target(), op="getattr", attr=attr), [], f"{self._label}.{attr}")

    def __repr__(self) -> str:
        return f"<{self.type_name} from your code>"


class Student:
    """The student's notebook as a hidden test sees it: ``student.name(...)`` calls into the sandbox."""

    def __init__(self, part: "Part", source: str):
        self._part = part
        self.source = source

    def __getattr__(self, name: str) -> Remote:
        if name.startswith("_"):
            raise AttributeError(name)
        return Remote(self._part, name, name=name)

    def probe(self, fn, *args, **kwargs):
        """Run ``fn`` (a top-level function of tests.py) in the sandbox and return its result."""
        source = inspect.getsource(fn)
        header = {"op": "probe", "source": source, "name": fn.__name__}
        return self._part.call(header, args, kwargs, fn.__name__)


class Part:
    """The connection a graded part uses: one forked child of the notebook's final state."""

    def __init__(self, channel: Channel, deadline: float, limits: Limits):
        self.channel, self.deadline, self.limits = channel, deadline, limits
        self.fault: str | None = None

    def call(self, header: dict, args: tuple, kwargs: dict, label: str):
        encoder = wire.Encoder()
        header = dict(header, args=[encoder.encode(a) for a in args],
                      kwargs={str(k): encoder.encode(v) for k, v in kwargs.items()})
        reply, buffers = self._exchange(header, encoder.buffers, label)
        decoder = wire.Decoder(buffers)
        try:
            for given, after in zip(args, reply.get("args", [])):
                _copy_back(given, decoder.decode(after))
            for key, after in reply.get("kwargs", {}).items():
                if key in kwargs:
                    _copy_back(kwargs[key], decoder.decode(after))
            return self._wrap(decoder.decode(reply.get("result")), label)
        except wire.WireError as exc:
            raise StudentError(label, "ValueError", f"its result could not be read ({exc})") from None

    def request(self, header: dict, buffers: list[bytes], label: str):
        reply, buffers = self._exchange(header, buffers, label)
        try:
            return self._wrap(wire.Decoder(buffers).decode(reply.get("result")), label)
        except wire.WireError as exc:
            raise StudentError(label, "ValueError", f"its result could not be read ({exc})") from None

    def _exchange(self, header: dict, buffers: list[bytes], label: str):
        if self.fault:
            raise SandboxFault(self.fault)
        try:
            reply, out = self.channel.request(header, buffers, self.deadline)
        except TimeoutError:
            self.fault = f"{label} did not finish within the time limit of {self.limits.part_seconds:g} s for one part (an endless loop?)"
            raise SandboxFault(self.fault) from None
        except (EOFError, OSError):
            self.fault = f"the Python process died while running {label}"
            raise SandboxFault(self.fault) from None
        except wire.WireError as exc:
            self.fault = f"{label} sent something the grader cannot read ({exc})"
            raise SandboxFault(self.fault) from None
        if not isinstance(reply, dict):
            raise StudentError(label, "ValueError", "its answer could not be read")
        error = reply.get("error")
        if isinstance(error, dict):
            raise StudentError(label, str(error.get("ename", "Error"))[:100], str(error.get("evalue", ""))[:300],
                               [str(x)[:200] for x in error.get("lines", [])][:3])
        return reply, out

    def _wrap(self, value: Any, label: str) -> Any:
        """Handles become :class:`Remote` objects the test can use; everything else is plain data."""
        if isinstance(value, wire.HandleRef):
            return Remote(self, label, handle=value.id, type_name=value.type_name)
        if isinstance(value, list):
            return [self._wrap(v, label) for v in value]
        if isinstance(value, tuple):
            return tuple(self._wrap(v, label) for v in value)
        if isinstance(value, dict):
            return {k: self._wrap(v, label) for k, v in value.items()}
        return value


def _copy_back(given: Any, after: Any) -> None:
    """Make ``given`` (an argument the test passed) look as the student's code left its copy."""
    if isinstance(given, torch.Tensor) and isinstance(after, torch.Tensor):
        with torch.no_grad():
            if given.shape == after.shape and given.dtype == after.dtype:
                if not torch.equal(given, after):
                    given.copy_(after)
            else:
                given.set_(after.clone().to(given.dtype) if given.dtype != after.dtype else after.clone())
    elif isinstance(given, np.ndarray) and isinstance(after, np.ndarray):
        if given.shape == after.shape and given.flags.writeable:
            given[...] = after
    elif isinstance(given, list) and isinstance(after, list):
        if len(given) == len(after):
            for i, (g, a) in enumerate(zip(given, after)):
                if _mutable(g) and type(g) is type(a):
                    _copy_back(g, a)
                elif g is not a and not _same(g, a):
                    given[i] = a
        else:
            given[:] = after
    elif isinstance(given, dict) and isinstance(after, dict):
        for key in list(given):
            if key not in after:
                del given[key]
        for key, value in after.items():
            if key in given and _mutable(given[key]) and type(given[key]) is type(value):
                _copy_back(given[key], value)
            else:
                given[key] = value
    elif isinstance(given, tuple) and isinstance(after, tuple) and len(given) == len(after):
        for g, a in zip(given, after):
            if _mutable(g):
                _copy_back(g, a)
    elif isinstance(given, set) and isinstance(after, set):
        given.clear()
        given.update(after)


def _mutable(value: Any) -> bool:
    return isinstance(value, (torch.Tensor, np.ndarray, list, dict, set, tuple))


def _same(a: Any, b: Any) -> bool:
    try:
        return type(a) is type(b) and bool(a == b)
    except Exception:
        return False


# --- grading a notebook --------------------------------------------------------------------------------


@dataclass
class PartResult:
    grade_id: str
    passed: bool
    message: str
    seconds: float = 0.0


@dataclass
class Report:
    parts: dict[str, PartResult] = field(default_factory=dict)
    seconds: float = 0.0
    budget_exhausted: bool = False
    leftover_processes: int = 0  # processes of the sandbox still alive after grading: must be 0
    peak_memory: int = 0  # bytes, all sandbox processes together, sampled every 0.2 s


def is_test_cell(cell) -> bool:
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return cell.get("cell_type") == "code" and meta.get("grade", False) and not meta.get("solution", False)


def is_locked(cell) -> bool:
    return bool(cell.get("metadata", {}).get("nbgrader", {}).get("locked", False))


@functools.lru_cache(maxsize=None)
def _tests_module(path: str, mtime: float) -> types.ModuleType:
    name = "hidden_tests_" + Path(path).parent.name.replace("-", "_")
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def hidden_tests(slug: str, source: Path = SOLUTIONS) -> types.ModuleType:
    """The module ``solutions/<slug>/tests.py`` (loaded once per version of the file)."""
    path = Path(source) / slug / "tests.py"
    if not path.exists():
        raise FileNotFoundError(f"{slug} has no hidden tests: {path} is missing")
    return _tests_module(str(path), path.stat().st_mtime)


def reference_namespace(slug: str) -> types.SimpleNamespace:
    from autograder.reference import _namespace

    return types.SimpleNamespace(**_namespace(slug))


def grade_notebook(nb, slug: str, limits: Limits = LIMITS, unsafe: bool = False,
                   only: set[str] | None = None, *, zygote: Zygote | None = None) -> Report:
    """Grade notebook ``nb`` (modified in place) of assignment ``slug``.

    Student code cells get the outputs they produced in the sandbox; each graded test cell gets
    one output, the verdict: a line saying it passed, or an error output with the reason. nbgrader
    scores a test cell by exactly that (an error output means 0). ``only`` limits grading to the
    parts with those grade_ids (the others are left without output). ``zygote``: fork the
    submission's sandbox from this warm one instead of starting a fresh bubblewrap sandbox (the
    same isolation, without paying a Python start and ``import torch`` per submission).
    """
    start = time.monotonic()
    budget_end = start + limits.notebook_seconds
    report = Report()
    tests = hidden_tests(slug)
    reference = reference_namespace(slug)
    cells = [c for c in nb.cells if c.get("cell_type") == "code"]
    for cell in cells:
        cell.outputs = []
        cell.execution_count = None
    source = "\n\n".join(c.source for c in cells if not is_test_cell(c) and not is_locked(c))
    with Sandbox(limits, unsafe, zygote=zygote) as sandbox:
        for cell in cells:
            if is_test_cell(cell):
                continue
            if time.monotonic() >= budget_end:
                report.budget_exhausted = True
                cell.outputs = [_error_output("NotRun", _budget_message(limits))]
                continue
            result = sandbox.run_cell(cell.source, min(time.monotonic() + limits.cell_seconds, budget_end))
            cell.outputs = [nbformat.v4.new_output(**o) for o in result.outputs]
            if result.error:
                lines = result.error["lines"]
                cell.outputs.append(_error_output(result.error["ename"], result.error["evalue"], lines))
        for cell in cells:
            if not is_test_cell(cell):
                continue
            grade_id = cell.metadata.nbgrader["grade_id"]
            if only is not None and grade_id not in only:
                continue
            part_start = time.monotonic()
            if part_start >= budget_end:
                report.budget_exhausted = True
                result = PartResult(grade_id, False, _budget_message(limits))
            else:
                deadline = min(part_start + limits.part_seconds, budget_end)
                result = _grade_part(sandbox, tests, reference, grade_id, source, deadline, limits)
            result.seconds = time.monotonic() - part_start
            report.parts[grade_id] = result
            cell.outputs = [_verdict_output(result)]
    report.leftover_processes = len(sandbox.leftovers())
    report.peak_memory = sandbox.peak_memory
    report.seconds = time.monotonic() - start
    return report


def _grade_part(sandbox: Sandbox, tests, reference, grade_id: str, source: str, deadline: float,
                limits: Limits) -> PartResult:
    test = getattr(tests, grade_id, None)
    if test is None:
        return PartResult(grade_id, False, "the grader has no tests for this part (tell your instructor)")
    try:
        channel = sandbox.fork(deadline)
    except SandboxFault as exc:
        return PartResult(grade_id, False, str(exc))
    part = Part(channel, deadline, limits)
    killed = False
    try:
        test(Student(part, source), reference)
        return PartResult(grade_id, True, "passed")
    except AssertionError as exc:
        return PartResult(grade_id, False, _one_line(str(exc) or "a check failed"))
    except StudentError as exc:
        return PartResult(grade_id, False, _one_line(str(exc)))
    except SandboxFault as exc:
        killed = True
        message = str(exc)
        if sandbox.stop_reason:
            message, sandbox.stop_reason = sandbox.stop_reason, None
        return PartResult(grade_id, False, _one_line(message))
    except Exception as exc:  # the hidden test could not make sense of what the student returned
        return PartResult(grade_id, False, _one_line(f"your answer could not be checked: {type(exc).__name__}: {exc}"))
    finally:
        with contextlib.suppress(SandboxFault):
            sandbox.end_child(channel, kill=killed or part.fault is not None)


def _one_line(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= MESSAGE_CHARS else text[: MESSAGE_CHARS - 4] + " ..."


def _budget_message(limits: Limits) -> str:
    return (f"not graded: grading this notebook took longer than its budget of "
            f"{limits.notebook_seconds:g} s (slow or looping cells used it up)")


def _error_output(ename: str, evalue: str, lines: list[str] = ()):
    return nbformat.v4.new_output("error", ename=ename, evalue=evalue,
                                  traceback=[*lines, f"{ename}: {evalue}"])


def _verdict_output(result: PartResult):
    if result.passed:
        return nbformat.v4.new_output("stream", name="stdout", text=f"{result.grade_id.removeprefix('test_')}: passed\n")
    return _error_output("Failed", result.message)
