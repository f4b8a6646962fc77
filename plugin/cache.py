"""A content-addressed response cache in SQLite (WAL), safe for concurrent xdist workers."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sqlite3
import threading
import time
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from parity.fixtures.providers import ChatRequest, Completion

CACHE_MODES = ("use", "refresh", "off")
LOOKUP_CHUNK = 500  # keys per query (SQLite allows 32,766 bound values; old builds 999)


class CacheRecoveryWarning(UserWarning):
    """The cache file was unreadable and has been moved aside."""


def cache_key(
    provider: str,
    model: str,
    endpoint: str | None,
    request: ChatRequest,
    body_fields: Mapping[str, Any] | None = None,
) -> str:
    """SHA-256 over provider, model, endpoint, the full request (messages and parameters)
    and the client's other answer-changing fields (``model.extra_body``, a LoRA adapter)."""
    payload: dict[str, Any] = {
        "provider": provider,
        "model": model,
        "endpoint": endpoint or "",
        "request": request.as_dict(),
    }
    if body_fields:
        payload["body_fields"] = dict(body_fields)
    return hashlib.sha256(
        json.dumps(payload, sort_keys=True, ensure_ascii=False).encode("utf-8")
    ).hexdigest()


def _completion(value: str) -> Completion:
    """A stored completion (its JSON text) as a :class:`Completion` marked ``cached``."""
    data: Mapping[str, Any] = json.loads(value)
    return Completion(
        text=data["text"],
        input_tokens=data["input_tokens"],
        output_tokens=data["output_tokens"],
        latency_ms=data["latency_ms"],
        extra={
            "cached": True,
            "mean_logprob": data.get("mean_logprob"),
            "cost_usd": data.get("cost_usd"),
            "compute_ms": data.get("compute_ms", data["latency_ms"]),
        },
    )


class ResponseCache:
    """Stores completions by key. ``mode``: use (read and write), refresh (write only), off."""

    def __init__(self, directory: Path, mode: str = "use") -> None:
        if mode not in CACHE_MODES:
            raise ValueError(f"cache mode must be one of {', '.join(CACHE_MODES)}, got {mode!r}")
        self.mode = mode
        self.path = Path(directory) / "responses.sqlite3"
        self._lock = threading.Lock()
        self._connection: sqlite3.Connection | None = None
        self.hits = 0

    def _db(self) -> sqlite3.Connection:
        if self._connection is None:
            try:
                self._connection = self._open()
            except sqlite3.DatabaseError as exc:
                self._move_aside(exc)
                self._connection = self._open()
        return self._connection

    def _move_aside(self, error: sqlite3.DatabaseError) -> None:
        """A corrupted or cut-short cache file: keep it under another name, warn, start anew
        (before any request is sent, so no paid answer is lost)."""
        stamp = time.strftime("%Y%m%d-%H%M%S")
        target = self.path.with_name(f"{self.path.name}.corrupt-{stamp}-{os.getpid()}")
        with contextlib.suppress(FileNotFoundError):  # another xdist worker moved it first
            self.path.rename(target)
        for suffix in ("-wal", "-shm"):
            Path(f"{self.path}{suffix}").unlink(missing_ok=True)
        warnings.warn(
            f"the response cache {self.path} is unreadable ({error}); moved it to {target} "
            "and started an empty cache",
            CacheRecoveryWarning,
            stacklevel=2,
        )

    def _open(self) -> sqlite3.Connection:
        """Connect, switch to WAL and check the file (raises sqlite3.DatabaseError)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        connection = sqlite3.connect(
            self.path, timeout=60, check_same_thread=False, isolation_level=None
        )
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA busy_timeout=60000")
        # WAL + NORMAL: a commit survives a crash of the process (not of the OS) and
        # costs no fsync, so storing an answer never slows the run down.
        connection.execute("PRAGMA synchronous=NORMAL")
        connection.execute(
            "CREATE TABLE IF NOT EXISTS responses (key TEXT PRIMARY KEY, value TEXT NOT NULL, created REAL NOT NULL)"
        )
        (verdict,) = connection.execute("PRAGMA quick_check").fetchone()
        if verdict != "ok":
            connection.close()
            raise sqlite3.DatabaseError(f"quick_check: {verdict}")
        return connection

    def may_miss(self) -> bool:
        """Whether a run will likely send requests: the cache is not read, or holds nothing
        yet (no file)."""
        return self.mode != "use" or not self.path.exists()

    def get(self, key: str) -> Completion | None:
        """The cached completion for ``key`` (only in ``use`` mode), else None."""
        if self.mode != "use":
            return None
        with self._lock:
            row = self._db().execute("SELECT value FROM responses WHERE key = ?", (key,)).fetchone()
        if row is None:
            return None
        self.hits += 1
        return _completion(row[0])

    def get_many(self, keys: Sequence[str]) -> dict[str, Completion]:
        """The cached completions of those ``keys`` the cache holds (only in ``use`` mode), by
        key, looked up ``LOOKUP_CHUNK`` keys to a query. They are not counted as hits until
        the caller uses them (:meth:`count_hits`)."""
        if self.mode != "use" or not keys:
            return {}
        unique = list(dict.fromkeys(keys))
        rows: list[tuple[str, str]] = []
        with self._lock:
            db = self._db()
            for start in range(0, len(unique), LOOKUP_CHUNK):
                chunk = unique[start : start + LOOKUP_CHUNK]
                marks = ",".join("?" * len(chunk))
                query = f"SELECT key, value FROM responses WHERE key IN ({marks})"
                rows += db.execute(query, chunk).fetchall()
        return {key: _completion(value) for key, value in rows}

    def count_hits(self, answers: int) -> None:
        """Count ``answers`` taken from :meth:`get_many` as cache hits."""
        with self._lock:
            self.hits += answers

    def put(self, key: str, completion: Completion) -> None:
        """Store ``completion`` (unless the cache is off)."""
        if self.mode == "off":
            return
        value = json.dumps(
            {
                "text": completion.text,
                "input_tokens": completion.input_tokens,
                "output_tokens": completion.output_tokens,
                "latency_ms": completion.latency_ms,
                "mean_logprob": completion.extra.get("mean_logprob"),
                "compute_ms": completion.compute_ms,
                "cost_usd": completion.extra.get(
                    "cost_usd"
                ),  # a compressor's (a model's is priced)
            }
        )
        with self._lock:
            self._db().execute(
                "INSERT OR REPLACE INTO responses (key, value, created) VALUES (?, ?, ?)",
                (key, value, time.time()),
            )

    def close(self) -> None:
        with self._lock:
            if self._connection is not None:
                self._connection.close()
                self._connection = None
