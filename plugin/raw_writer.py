"""Append raw result rows as they arrive, so an interrupted run keeps everything it finished."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import Any


class RawResultWriter:
    """Writes ``{stem}.jsonl`` rows with one ``O_APPEND`` write each.

    A single ``write`` of a whole line to a file opened with ``O_APPEND`` is not interleaved
    with other processes' lines, so xdist workers can share one file safely. Each file is
    opened once and kept open; every row reaches the OS before ``append`` returns.
    """

    def __init__(self, run_dir: Path) -> None:
        self.run_dir = Path(run_dir)
        self._lock = threading.Lock()
        self._files: dict[str, int] = {}

    def path_for(self, stem: str) -> Path:
        """The raw JSONL file ``{stem}.jsonl`` (an experiment id, or ``{id}_{task}``)."""
        return self.run_dir / f"{stem}.jsonl"

    def append(self, stem: str, row: dict[str, Any]) -> None:
        """Append one row to ``{stem}.jsonl`` and hand it to the OS before returning."""
        line = (json.dumps(row, ensure_ascii=False) + "\n").encode("utf-8")
        with self._lock:
            fd = self._files.get(stem)
            if fd is None:
                self.run_dir.mkdir(parents=True, exist_ok=True)
                fd = os.open(self.path_for(stem), os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
                self._files[stem] = fd
            os.write(fd, line)

    def close(self) -> None:
        """Close every open file."""
        with self._lock:
            for fd in self._files.values():
                os.close(fd)
            self._files.clear()
