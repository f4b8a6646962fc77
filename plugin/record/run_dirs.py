"""A run's report directory belongs to that run alone: a new one is created atomically (with a
suffix when its name is taken), and a running controller holds a lock on the one it writes.

Each directory Parity makes this way holds :data:`RUN_MARK`; only such directories are ever
pruned (:func:`prune_runs`, the oldest beyond ``--parity-keep-reports``), and ``reports/latest``
(:func:`point_latest`) names the newest.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import shutil
import stat
from pathlib import Path

LOCK_NAME = ".parity.lock"
RUN_MARK = ".parity-run"  # in every run directory Parity made itself: the only ones it prunes
LATEST_LINK = "latest"  # a symlink to the newest run directory
LATEST_FILE = "LATEST"  # its name, where a symlink cannot be made
RUN_NAME = re.compile(r"(\d{8}-\d{6})(?:-(\d+))?")  # reserve_run_dir's names


class RunDirInUse(Exception):
    """Another running Parity session holds the run directory."""


def reserve_run_dir(base: Path, stamp: str) -> Path:
    """Create and return ``base/stamp``, or ``base/stamp-2``, ``-3`` ... when the name is taken:
    ``os.mkdir`` either creates the directory or fails, so two runs started in the same
    second never get the same one."""
    base.mkdir(parents=True, exist_ok=True)
    suffix = 1
    while True:
        candidate = base / (stamp if suffix == 1 else f"{stamp}-{suffix}")
        try:
            os.mkdir(candidate)
        except FileExistsError:
            suffix += 1
            continue
        (candidate / RUN_MARK).write_text(
            "Made by Parity; the oldest of these folders are removed beyond --parity-keep-reports.\n"
        )
        return candidate


def is_parity_run(path: Path) -> bool:
    """Whether ``path`` is a run directory Parity made: a real directory (not a symlink)
    named as :func:`reserve_run_dir` names them, holding :data:`RUN_MARK` as a plain file."""
    if RUN_NAME.fullmatch(path.name) is None:
        return False
    try:
        if not stat.S_ISDIR(os.lstat(path).st_mode):
            return False
        return stat.S_ISREG(os.lstat(path / RUN_MARK).st_mode)
    except OSError:
        return False


def parity_runs(base: Path) -> list[Path]:
    """The run directories Parity made directly under ``base``, oldest first (by their start
    time, then their ``-N`` suffix)."""
    try:
        entries = list(base.iterdir())
    except OSError:
        return []
    runs = []
    for path in entries:
        match = RUN_NAME.fullmatch(path.name)
        if match is not None and is_parity_run(path):
            runs.append(((match.group(1), int(match.group(2) or 1)), path))
    return [path for _, path in sorted(runs)]


def prune_runs(base: Path, keep: int, current: Path | None = None) -> list[Path]:
    """Remove the oldest of Parity's run directories under ``base`` until ``keep`` remain
    (``keep`` 0: remove none). Never ``current``, never one another running session holds
    (its lock), never anything :func:`is_parity_run` does not accept. Returns those removed."""
    if keep <= 0:
        return []
    runs = parity_runs(base)
    removed = []
    for path in runs[: max(0, len(runs) - keep)]:
        if path != current and _remove_unless_held(path):
            removed.append(path)
    return removed


def _remove_unless_held(path: Path) -> bool:
    """Remove the run directory ``path`` while holding its lock; False when a running
    session holds it, or it could not be removed whole."""
    try:
        lock = RunDirLock(path)
    except (RunDirInUse, OSError):
        return False
    try:
        shutil.rmtree(path)
    except OSError:
        return False
    finally:
        lock.release()
    return True


def point_latest(base: Path, run_dir: Path) -> Path | None:
    """Point ``base/latest`` at ``run_dir`` (a relative symlink, replaced atomically); where
    a symlink cannot be made, write ``run_dir``'s name to ``base/LATEST`` instead. Never
    replaces a ``latest`` that is not a symlink, or a ``LATEST`` that is not a plain file
    (someone else's). Returns the path written, or None."""
    link = base / LATEST_LINK
    if not os.path.lexists(link) or link.is_symlink():
        temp = base / f".{LATEST_LINK}-{os.getpid()}"
        try:
            with contextlib.suppress(FileNotFoundError):
                temp.unlink()
            os.symlink(run_dir.name, temp, target_is_directory=True)
            os.replace(temp, link)
            return link
        except OSError:
            with contextlib.suppress(OSError):
                temp.unlink()
    return _write_latest_file(base, run_dir)


def _write_latest_file(base: Path, run_dir: Path) -> Path | None:
    path = base / LATEST_FILE
    temp = base / f".{LATEST_FILE}-{os.getpid()}"
    try:
        if os.path.lexists(path) and not stat.S_ISREG(os.lstat(path).st_mode):
            return None
        temp.write_text(f"{run_dir.name}\n")
        os.replace(temp, path)
    except OSError:
        with contextlib.suppress(OSError):
            temp.unlink()
        return None
    return path


class RunDirLock:
    """An exclusive lock on ``run_dir`` for as long as this session runs (``flock``: the OS
    drops it when the process ends, however it ends, so no stale lock outlives a run)."""

    def __init__(self, run_dir: Path) -> None:
        self.path = run_dir / LOCK_NAME
        self._fd: int | None = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(self._fd, 32, 0).decode("ascii", "replace").strip()
            os.close(self._fd)
            self._fd = None
            raise RunDirInUse(holder or "unknown") from None
        os.ftruncate(self._fd, 0)
        os.pwrite(self._fd, f"{os.getpid()}\n".encode("ascii"), 0)

    def release(self) -> None:
        """Remove the lock file and drop the lock (idempotent)."""
        if self._fd is None:
            return
        self.path.unlink(missing_ok=True)
        os.close(self._fd)
        self._fd = None
