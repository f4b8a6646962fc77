"""The response cache as the engine uses it (:class:`ResponseStore`), and which one a run
opens from ``--parity-cache``: a mode of the SQLite file in ``--parity-cache-dir`` (the
default), or the URL of a Redis server that runs on several hosts share."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

from parity.fixtures.providers import Completion
from parity.record.cache import ResponseCache
from parity.record.redis_cache import RedisCache, is_redis_url, redis_problem
from parity.record.writable import check_writable


class ResponseStore(Protocol):
    """Answers stored by cache key (:func:`~parity.record.cache.cache_key`). ``mode`` is
    ``use`` (read and write), ``refresh`` (write only) or ``off``; a store that cannot be
    used during a run turns itself off with one warning and never fails an item."""

    mode: str
    hits: int

    def may_miss(self) -> bool:
        """Whether a run will likely send requests (the store is not read, or is empty)."""
        ...

    def get(self, key: str) -> Completion | None:
        """The stored completion for ``key``, counted as a hit, else None."""
        ...

    def get_many(self, keys: Sequence[str]) -> dict[str, Completion]:
        """The stored completions of those ``keys`` the store holds, not yet counted."""
        ...

    def count_hits(self, answers: int) -> None:
        """Count ``answers`` taken from :meth:`get_many` as hits."""
        ...

    def put(self, key: str, completion: Completion) -> None:
        """Store ``completion`` under ``key`` (whole, or not at all)."""
        ...

    def close(self) -> None:
        """Let go of the file or connections."""
        ...


def open_cache(setting: str, directory: Path) -> ResponseStore:
    """The cache ``--parity-cache`` names: a Redis URL's server, else the SQLite file in
    ``directory`` in that mode (``use``, ``refresh``, ``off``)."""
    if is_redis_url(setting):
        return RedisCache(setting)
    return ResponseCache(directory, setting)


def cache_problem(setting: str, directory: Path) -> str | None:
    """Why the cache ``--parity-cache`` names cannot be used, checked at start before any
    request (one message naming the folder or the server, and the fix); None when it can."""
    if is_redis_url(setting):
        return redis_problem(setting)
    if setting == "off":
        return None
    off = "run without the cache: --parity-cache=off"
    return check_writable(directory, "response cache", "--parity-cache-dir DIR", off)
