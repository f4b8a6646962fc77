"""Append raw result rows as they arrive, so an interrupted run keeps everything it finished."""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

from parity.record.jsonl import encode_line


class RawResultWriter:
    """Writes ``{stem}.jsonl`` rows (or ``{stem}{suffix}``) with one ``O_APPEND`` write each.

    A single ``write`` of a whole line to a file opened with ``O_APPEND`` is not interleaved
    with other processes' lines, so xdist workers can share one file safely. Each file is
    opened once and kept open; every row reaches the OS before ``append`` returns.
    """

    def __init__(self, run_dir: Path, suffix: str = ".jsonl") -> None:
        self.run_dir = Path(run_dir)
        self.suffix = suffix
        self._lock = threading.Lock()
        self._files: dict[str, int] = {}

    def path_for(self, stem: str) -> Path:
        """The file ``{stem}{suffix}``: raw rows are ``{stem}.jsonl`` (an experiment id, or
        ``{id}_{task}``)."""
        return self.run_dir / f"{stem}{self.suffix}"

    def append(self, stem: str, row: dict[str, Any]) -> None:
        """Append one row to ``{stem}.jsonl`` and hand it to the OS before returning.

        Sender threads append at once: only opening a file takes the lock, since a single
        ``O_APPEND`` write is not interleaved with another (a lock around every write made
        dozens of threads queue behind whichever one was waiting for the GIL). A row that
        JSON cannot hold (a NaN) raises ValueError before anything is written."""
        line = encode_line(row)
        fd = self._files.get(stem)
        if fd is None:
            with self._lock:
                fd = self._files.get(stem)
                if fd is None:
                    fd = self._open(stem)
        written = os.write(fd, line)
        while written < len(line):  # a short write (a disk filling up): the rest, or its error
            written += os.write(fd, line[written:])

    def _open(self, stem: str) -> int:
        """Open ``{stem}.jsonl`` for appending; a last line cut short by a crash is ended
        first, so that the next row starts on a line of its own."""
        self.run_dir.mkdir(parents=True, exist_ok=True)
        path = self.path_for(stem)
        fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
        size = os.fstat(fd).st_size
        if size and os.pread(fd, 1, size - 1) != b"\n":
            os.write(fd, b"\n")
        self._files[stem] = fd
        return fd

    def close(self) -> None:
        """Close every open file."""
        with self._lock:
            for fd in self._files.values():
                os.close(fd)
            self._files.clear()
