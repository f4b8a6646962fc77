"""A content-addressed response cache in SQLite (WAL), safe for concurrent xdist workers.

Only a damaged file (SQLite says it is not a database or is malformed, or ``PRAGMA
quick_check`` fails) is moved aside, with its ``-wal`` and ``-shm``, into a folder of its
own. Any other error — a full disk, a read-only folder, a lock held too long — leaves the
files as they are and turns the cache off for the rest of the run, with one warning.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import sqlite3
import threading
import time
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

from parity.fixtures.providers import ChatRequest, Completion

CACHE_MODES = ("use", "refresh", "off")
# how long a write waits for another connection's lock: xdist workers' commits take
# milliseconds, so only a foreign lock (another run, a shell) waits this long
BUSY_TIMEOUT_S = 10.0
LOOKUP_CHUNK = 500  # keys per query (SQLite allows 32,766 bound values; old builds 999)
_DAMAGE_CODES = (11, 26)  # SQLITE_CORRUPT, SQLITE_NOTADB
_T = TypeVar("_T")


class CacheRecoveryWarning(UserWarning):
    """The cache file was damaged and has been moved aside."""


class CacheUnavailableWarning(UserWarning):
    """The cache cannot be read or written here (full disk, read-only folder): it is off
    for the rest of the run."""


class NonFiniteAnswerWarning(UserWarning):
    """An answer holding NaN or infinity (a mean log-probability, a latency) is not cached:
    JSON has no such number, and stored bare it would not read back as the answer."""


class _Damaged(sqlite3.DatabaseError):
    """The cache file is damaged: not a database, malformed, or failing quick_check."""


def _is_damage(error: sqlite3.DatabaseError) -> bool:
    """Whether SQLite's ``error`` says the file is damaged (not that it cannot be written)."""
    code = getattr(error, "sqlite_errorcode", None)  # Python 3.11+
    if code is None:
        return type(error) is sqlite3.DatabaseError  # what CORRUPT and NOTADB raise
    return code & 0xFF in _DAMAGE_CODES


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
    try:
        text = json.dumps(payload, sort_keys=True, ensure_ascii=False, allow_nan=False)
    except ValueError as exc:  # NaN or infinity: no JSON body can carry it to a provider
        raise ValueError(f"the request holds a non-finite number (NaN or infinity): {exc}") from exc
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def decode_completion(value: str) -> Completion:
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


def encode_completion(completion: Completion) -> str | None:
    """What the cache stores for ``completion``: one JSON text; None (with a
    :class:`NonFiniteAnswerWarning`) when it holds NaN or infinity."""
    data = {
        "text": completion.text,
        "input_tokens": completion.input_tokens,
        "output_tokens": completion.output_tokens,
        "latency_ms": completion.latency_ms,
        "mean_logprob": completion.extra.get("mean_logprob"),
        "compute_ms": completion.compute_ms,
        "cost_usd": completion.extra.get("cost_usd"),  # a compressor's (a model's is priced)
    }
    try:
        return json.dumps(data, allow_nan=False)
    except ValueError:
        warnings.warn(
            "an answer holding a non-finite number (NaN or infinity) is not cached; the "
            "next run requests it again",
            NonFiniteAnswerWarning,
            stacklevel=3,
        )
        return None


class ResponseCache:
    """Stores completions by key. ``mode``: use (read and write), refresh (write only), off."""

    def __init__(
        self, directory: Path, mode: str = "use", busy_timeout_s: float = BUSY_TIMEOUT_S
    ) -> None:
        if mode not in CACHE_MODES:
            raise ValueError(f"cache mode must be one of {', '.join(CACHE_MODES)}, got {mode!r}")
        self.mode = mode
        self.path = Path(directory) / "responses.sqlite3"
        self.busy_timeout_s = busy_timeout_s
        self._lock = threading.Lock()
        self._connection: sqlite3.Connection | None = None
        self.hits = 0

    def _use(self, action: Callable[[sqlite3.Connection], _T]) -> _T | None:
        """``action`` on the open cache, or None once the cache is off (an error here turns
        it off, with one warning, rather than failing the item)."""
        with self._lock:
            try:
                if self._connection is None:
                    self._connection = self._connect()
                return action(self._connection)
            except (OSError, sqlite3.Error) as exc:
                self._turn_off(exc)
                return None

    def _connect(self) -> sqlite3.Connection:
        """Open the cache; a damaged file is moved aside (before any request is sent, so no
        paid answer is lost) and an empty cache started."""
        try:
            return self._open()
        except _Damaged as exc:
            damage = exc
        with _locked(self.path.parent):  # one xdist worker moves it; the others reopen
            try:
                return self._open()  # another worker may have moved it meanwhile
            except _Damaged:
                target = move_aside(self.path)
            connection = self._open()
        warnings.warn(
            f"the response cache {self.path} is damaged ({damage}); moved it to {target} "
            "and started an empty cache",
            CacheRecoveryWarning,
            stacklevel=4,
        )
        return connection

    def _turn_off(self, error: Exception) -> None:
        """Stop using the cache for the rest of the run and say why, once, leaving its files
        as they are."""
        if self._connection is not None:
            with contextlib.suppress(sqlite3.Error):
                self._connection.close()
            self._connection = None
        self.mode = "off"
        folder = self.path.parent
        if isinstance(error, sqlite3.DatabaseError) and _is_damage(error):
            fix = f"delete {self.path}"
        elif isinstance(error, sqlite3.OperationalError) and "locked" in str(error):
            fix = (
                f"another process held {self.path.name} locked for over "
                f"{self.busy_timeout_s:g} s (a second run or an sqlite3 shell on it?); let it "
                "finish"
            )
        else:
            fix = f"free disk space on {folder} or make it writable"
        warnings.warn(
            f"the response cache in {folder} cannot be used ({error}); it is off for the rest "
            "of this run: answers are requested and not stored, and the cache files are left "
            f"as they are. Fix: {fix}, or pass --parity-cache-dir=<a writable folder> "
            "(or --parity-cache=off)",
            CacheUnavailableWarning,
            stacklevel=4,
        )

    def _open(self) -> sqlite3.Connection:
        """Connect, switch to WAL and check the file: raises :class:`_Damaged` for a damaged
        file, and ``sqlite3.Error`` or ``OSError`` when it cannot be opened or written."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        connection = sqlite3.connect(
            self.path, timeout=self.busy_timeout_s, check_same_thread=False, isolation_level=None
        )
        try:
            # connect's timeout is SQLite's busy timeout: a write waits that long for a lock
            connection.execute("PRAGMA journal_mode=WAL")
            # WAL + NORMAL: a commit survives a crash of the process (not of the OS) and
            # costs no fsync, so storing an answer never slows the run down.
            connection.execute("PRAGMA synchronous=NORMAL")
            connection.execute(
                "CREATE TABLE IF NOT EXISTS responses (key TEXT PRIMARY KEY, value TEXT NOT NULL, created REAL NOT NULL)"
            )
            (verdict,) = connection.execute("PRAGMA quick_check").fetchone()
        except sqlite3.DatabaseError as exc:
            connection.close()
            if _is_damage(exc):
                raise _Damaged(str(exc)) from exc
            raise
        if verdict != "ok":
            connection.close()
            raise _Damaged(f"quick_check: {verdict}")
        return connection

    def may_miss(self) -> bool:
        """Whether a run will likely send requests: the cache is not read, or holds nothing
        yet (no file)."""
        return self.mode != "use" or not self.path.exists()

    def get(self, key: str) -> Completion | None:
        """The cached completion for ``key`` (only in ``use`` mode), else None."""
        if self.mode != "use":
            return None
        row = self._use(
            lambda db: db.execute("SELECT value FROM responses WHERE key = ?", (key,)).fetchone()
        )
        if row is None:
            return None
        self.hits += 1
        return decode_completion(row[0])

    def get_many(self, keys: Sequence[str]) -> dict[str, Completion]:
        """The cached completions of those ``keys`` the cache holds (only in ``use`` mode), by
        key, looked up ``LOOKUP_CHUNK`` keys to a query. They are not counted as hits until
        the caller uses them (:meth:`count_hits`)."""
        if self.mode != "use" or not keys:
            return {}
        unique = list(dict.fromkeys(keys))

        def lookup(db: sqlite3.Connection) -> list[tuple[str, str]]:
            rows: list[tuple[str, str]] = []
            for start in range(0, len(unique), LOOKUP_CHUNK):
                chunk = unique[start : start + LOOKUP_CHUNK]
                marks = ",".join("?" * len(chunk))
                query = f"SELECT key, value FROM responses WHERE key IN ({marks})"
                rows += db.execute(query, chunk).fetchall()
            return rows

        return {key: decode_completion(value) for key, value in self._use(lookup) or []}

    def count_hits(self, answers: int) -> None:
        """Count ``answers`` taken from :meth:`get_many` as cache hits."""
        with self._lock:
            self.hits += answers

    def put(self, key: str, completion: Completion) -> None:
        """Store ``completion`` (unless the cache is off, or it holds NaN or infinity:
        :class:`NonFiniteAnswerWarning`)."""
        if self.mode == "off":
            return
        value = encode_completion(completion)
        if value is None:
            return
        self._use(
            lambda db: db.execute(
                "INSERT OR REPLACE INTO responses (key, value, created) VALUES (?, ?, ?)",
                (key, value, time.time()),
            )
        )

    def close(self) -> None:
        """Close the connection (SQLite checkpoints the WAL when the last one closes)."""
        with self._lock:
            if self._connection is not None:
                self._connection.close()
                self._connection = None


def move_aside(path: Path) -> Path:
    """Move a damaged cache file and its ``-wal`` and ``-shm`` into a new folder beside it,
    keeping their names (so the WAL stays the file's), and return the file's new path.

    The folder is made with ``mkdir``, which fails when the name exists: a move never lands
    on an earlier one, even two in the same second from the same process."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    base = f"{path.name}.corrupt-{stamp}-{os.getpid()}"
    number = 1
    while True:
        folder = path.with_name(base if number == 1 else f"{base}-{number}")
        try:
            folder.mkdir()
            break
        except FileExistsError:
            number += 1
    for suffix in ("", "-wal", "-shm"):
        with contextlib.suppress(FileNotFoundError):  # no WAL, or another worker moved it
            os.rename(f"{path}{suffix}", folder / f"{path.name}{suffix}")
    return folder / path.name


@contextlib.contextmanager
def _locked(folder: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``folder`` (every process of a run opens the same cache)."""
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)
