"""A warm sandbox that forks one fully isolated worker per submission (runs inside bubblewrap).

Started once per grading process by ``autograder.harness.Zygote`` as
``python -I zygote.py SOCKET``, inside a bubblewrap sandbox like the one a single submission gets,
except that this process keeps ``CAP_SYS_ADMIN`` *inside its own user namespace* (a capability
there gives no power over anything the host owns; the read-only binds it sees are still read-only
for every process below, which has no capability at all). It imports torch, numpy, IPython and the
worker once, then waits for spawn requests on its control connection and never runs student code.

For each submission it forks a child that isolates itself as strongly as a fresh bubblewrap
sandbox would, before any student code runs:

1. new PID, mount, IPC, network and UTS namespaces (``unshare``); the child forks the submission's
   first process, which is PID 1 there, so every process of the submission dies with it;
   ``PR_SET_PDEATHSIG`` makes it die with its parent, which dies with this zygote, which dies
   with the grader (bubblewrap's ``--die-with-parent``);
2. in its own mount namespace: a fresh tmpfs on ``/tmp`` and on ``/dev/shm``, a fresh ``/proc``
   (of its own PID namespace), every other mount read-only;
3. a new user namespace in which it becomes uid/gid 65534 with no capabilities at all (bounding
   set emptied), ``PR_SET_NO_NEW_PRIVS``, and the submission's memory limit (``RLIMIT_AS``);
4. every file descriptor inherited from the zygote closed, stdin/stdout/stderr on /dev/null.

Only then does it connect to the grader and introduce itself with the submission's token (handed
over in the spawn request and kept by nobody else: the zygote receives it into one buffer that it
wipes right after the fork, so a later submission forked from the zygote cannot find it in its
memory). The grader also checks that every connection comes from the submission's own PID
namespace (``SO_PEERCRED``), so one submission cannot pose as another.
"""

from __future__ import annotations

import ctypes
import gc
import os
import resource
import select
import signal
import socket
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import wire  # noqa: E402
import worker  # noqa: E402

CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC = 0x00020000, 0x04000000, 0x08000000
CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET = 0x10000000, 0x20000000, 0x40000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 32, 4096, 0x4000, 1 << 18
PR_SET_PDEATHSIG, PR_CAPBSET_DROP, PR_SET_NO_NEW_PRIVS, PR_SET_DUMPABLE = 1, 24, 38, 4
PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL = 47, 4
UNPRIVILEGED = 65534
SPAWN = struct.Struct(">c32sQQ")  # b"S", token, output limit, memory limit
WRITABLE = ("/tmp", "/dev/shm", "/proc")
KEEP_DIR, KEEP_ENV = "/run/grader/keep", "HIDDENREP_SANDBOX_KEEP"  # as in autograder/harness.py

libc = ctypes.CDLL(None, use_errno=True)
libc.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong, ctypes.c_char_p]
libc.prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong]


def _check(result: int, what: str) -> None:
    if result != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def unshare(flags: int, what: str) -> None:
    _check(libc.unshare(flags), f"unshare {what}")


def mount(source: str, target: str, fstype: str | None, flags: int, data: str | None = None) -> None:
    _check(libc.mount(source.encode(), target.encode(), fstype.encode() if fstype else None, flags,
                      data.encode() if data else None), f"mount {target}")


def prctl(option: int, arg: int = 0) -> None:
    _check(libc.prctl(option, arg, 0, 0, 0), f"prctl {option}")


class CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class CapData(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32), ("inheritable", ctypes.c_uint32)]


def drop_capabilities() -> None:
    """No effective, permitted, inheritable or ambient capability left (uid 65534 is not root anywhere)."""
    _check(libc.prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0), "clear ambient capabilities")
    data = (CapData * 2)()
    _check(libc.capset(ctypes.byref(CapHeader(0x20080522, 0)), data), "capset")


def isolate(memory: int) -> None:
    """Steps 2-4 of the module docstring, in the submission's first process (PID 1 of its namespace)."""
    prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    mount("none", "/", None, MS_REC | MS_PRIVATE)
    size = f"size={max(memory, 64 << 20)},mode=1777"
    mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, size)
    # The fresh /tmp hides what the sandbox reads from under /tmp (a repository cloned there): bind it
    # again, read-only, from the second view bubblewrap gave the zygote.
    for i, folder in enumerate(f for f in os.environ.get(KEEP_ENV, "").split("\n") if f):
        os.makedirs(folder, exist_ok=True)
        mount(f"{KEEP_DIR}/{i}", folder, None, MS_BIND | MS_REC)
        mount("none", folder, None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV)
    if os.path.isdir("/dev/shm"):
        mount("tmpfs", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, size)
    mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
    with open("/proc/self/mountinfo") as f:
        mounts = [line.split()[4] for line in f]
    for target in mounts:  # everything else read-only: nothing writable is shared with other submissions
        if target == "/proc" or target.startswith("/proc/") or target in WRITABLE:
            continue
        with open("/proc/self/mountinfo") as f:
            options = next((ln.split()[5] for ln in f if ln.split()[4] == target), "ro")
        options = options.split(",")
        if "ro" not in options:
            keep = sum(flag for name, flag in (("nosuid", MS_NOSUID), ("nodev", MS_NODEV), ("noexec", MS_NOEXEC))
                       if name in options)
            mount("none", target, None, MS_REMOUNT | MS_BIND | MS_RDONLY | keep)
    uid, gid = os.geteuid(), os.getegid()
    unshare(CLONE_NEWUSER, "user")
    with open("/proc/self/setgroups", "w") as f:
        f.write("deny")
    with open("/proc/self/uid_map", "w") as f:
        f.write(f"{UNPRIVILEGED} {uid} 1")
    with open("/proc/self/gid_map", "w") as f:
        f.write(f"{UNPRIVILEGED} {gid} 1")
    for cap in range(64):  # empty the bounding set while this process still may
        if libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 and ctypes.get_errno() == 22:  # EINVAL: no such cap
            break
    os.setresgid(UNPRIVILEGED, UNPRIVILEGED, UNPRIVILEGED)
    os.setresuid(UNPRIVILEGED, UNPRIVILEGED, UNPRIVILEGED)
    drop_capabilities()
    prctl(PR_SET_NO_NEW_PRIVS, 1)
    prctl(PR_SET_DUMPABLE, 1)  # setresuid cleared it; the grader reads /proc/<pid>/smaps_rollup
    if memory > 0:
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    status = open("/proc/self/status").read()
    effective = next(ln.split()[1] for ln in status.splitlines() if ln.startswith("CapEff:"))
    if int(effective, 16) != 0 or os.getuid() != UNPRIVILEGED:
        raise OSError("the submission kept privileges")
    os.chdir("/tmp")


def submission(path: str, token: str, output_limit: int, memory: int) -> None:
    """In the zygote's fork: make the submission's namespaces, fork its first process, wait for it."""
    prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    unshare(CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWNET | CLONE_NEWUTS, "namespaces")
    pid = os.fork()
    if pid == 0:
        error = None
        try:
            isolate(memory)
        except BaseException as exc:  # reported to the grader, which refuses to grade without isolation
            import traceback
            where = traceback.extract_tb(exc.__traceback__)[-1]
            error = f"{type(exc).__name__}: {exc} (zygote.py line {where.lineno})"
        devnull = os.open("/dev/null", os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(devnull, fd)
        os.closerange(3, 1 << 16)
        if error is not None:
            conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            conn.connect(path)
            wire.send(conn, {"op": "hello", "pid": os.getpid(), "token": token, "error": error})
            os._exit(70)
        w = worker.Worker(path, output_limit, token)
        w._shell()
        w.serve()
        os._exit(0)
    # This process stays outside the submission's PID namespace; it ends when its first process does.
    _, status = os.waitpid(pid, 0)
    os._exit(0)


def main() -> None:
    path = sys.argv[1]
    os.environ.setdefault("MPLBACKEND", "agg")
    import IPython.core.interactiveshell  # noqa: F401  (what every submission's worker needs, loaded once)
    import numpy  # noqa: F401
    import torch

    torch.set_num_threads(1)
    # The libraries' objects live as long as the zygote: keep the garbage collector of every forked
    # process from walking them, which would write to (and so copy) every page they share.
    gc.freeze()
    control = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    control.connect(path)
    wire.send(control, {"op": "zygote", "pid": os.getpid()})
    request = bytearray(SPAWN.size)
    while True:
        with_children = True
        while with_children:  # reap the submissions that ended
            try:
                finished, _ = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                finished = 0
            with_children = finished != 0
        readable, _, _ = select.select([control], [], [], 0.5)
        if not readable:
            continue
        view, got = memoryview(request), 0
        while got < SPAWN.size:
            n = control.recv_into(view[got:], SPAWN.size - got)
            if n == 0:
                os._exit(0)  # the grader closed the connection: the zygote's work is done
            got += n
        pid = os.fork()
        if pid == 0:
            control.close()
            _, token, output_limit, memory = SPAWN.unpack(bytes(request))
            request[:] = bytes(SPAWN.size)
            try:
                submission(path, token.hex(), output_limit, memory)
            except BaseException as exc:  # the grader sees this on the zygote's stderr
                print(f"zygote: could not start a submission: {type(exc).__name__}: {exc}", file=sys.stderr, flush=True)
            finally:
                os._exit(71)
        del view
        request[:] = bytes(SPAWN.size)  # the token lives on only in that child


if __name__ == "__main__":
    main()
