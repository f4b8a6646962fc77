"""A run's report directory belongs to that run alone: a new one is created atomically (with a
suffix when its name is taken), and a running controller holds a lock on the one it writes.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

LOCK_NAME = ".parity.lock"


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
        return candidate


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
