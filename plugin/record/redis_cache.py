"""The response cache in a Redis server, shared by runs on several hosts
(``--parity-cache=redis://HOST:PORT/DB``; needs ``pip install 'parity-evals[redis]'``).

It holds what the SQLite file holds (:mod:`parity.record.cache`): the same keys, under
``parity:responses:``, and the same JSON text per answer, stored with one ``SET`` (Redis
applies a command whole, so a value is never half-written); lookups are ``MGET`` of
``LOOKUP_CHUNK`` keys, sent together in one pipeline. A server that cannot be used at start
stops the run with one message (:func:`redis_problem`); one that fails during the run turns
the cache off for the rest of it with one warning, as a full disk does to the SQLite file:
answers are requested and kept, and no longer stored.
"""

from __future__ import annotations

import os
import threading
import warnings
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, TypeVar, cast
from urllib.parse import urlsplit, urlunsplit

from parity.fixtures.providers import Completion
from parity.record.cache import (
    LOOKUP_CHUNK,
    CacheUnavailableWarning,
    decode_completion,
    encode_completion,
)

if TYPE_CHECKING:
    import redis

KEY_PREFIX = "parity:responses:"
REDIS_SCHEMES = ("redis", "rediss", "unix")  # what redis-py's from_url reads
TIMEOUT_S = 5.0  # to connect, and for one command's answer
RETRIES = 3  # of a command whose connection failed, 0.05 s, 0.1 s and 0.2 s apart
_T = TypeVar("_T")


def is_redis_url(text: str) -> bool:
    """Whether ``--parity-cache``'s value names a Redis server rather than a mode."""
    return urlsplit(text).scheme in REDIS_SCHEMES


def shown(url: str) -> str:
    """``url`` as messages print it: a password in it replaced by ``***``."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    user, _, host = parts.netloc.rpartition("@")
    name = user.partition(":")[0]
    return urlunsplit(parts._replace(netloc=f"{name}:***@{host}"))


def _client(url: str) -> redis.Redis:
    """A redis-py client of ``url`` (answers as text), quick to give up on a dead server."""
    import redis
    from redis.backoff import ExponentialBackoff
    from redis.retry import Retry

    return redis.Redis.from_url(
        url,
        decode_responses=True,
        socket_timeout=TIMEOUT_S,
        socket_connect_timeout=TIMEOUT_S,
        retry=Retry(ExponentialBackoff(cap=0.5, base=0.05), RETRIES),
    )


def redis_problem(url: str) -> str | None:
    """Why the run cannot use the Redis cache at ``url`` (redis-py missing, a malformed
    URL, the server down, unreachable, refusing the password or writes), as one message
    naming the URL and the fix; None when a probe key can be written and deleted."""
    fix = (
        "  Fix: start the server, or correct the URL (host, port, database, password); or run "
        "with the local SQLite cache: --parity-cache=use (or none: --parity-cache=off)."
    )
    try:
        import redis
    except ImportError:
        return (
            f"parity: --parity-cache={shown(url)} needs redis-py, which is not installed.\n"
            "  Fix: pip install 'parity-evals[redis]'; or run with the local SQLite cache: "
            "--parity-cache=use."
        )
    probe = f"parity:probe:{os.getpid()}"
    try:
        client = _client(url)
        try:
            client.set(probe, "1")
            client.delete(probe)
        finally:
            client.close()
    except (redis.RedisError, ValueError) as exc:
        reason = str(exc).rstrip(".")
        return f"parity: cannot use the response cache at {shown(url)}: {reason}.\n{fix}"
    return None


class RedisCache:
    """Stores completions by key in the Redis server at ``url``. Its ``mode`` is ``use``
    (read and write) until the server fails, then ``off``."""

    def __init__(self, url: str) -> None:
        import redis

        self.url = url
        self.mode = "use"
        self.hits = 0
        self._errors = redis.RedisError
        self._client = _client(url)
        self._lock = threading.Lock()

    def _use(self, action: Callable[[redis.Redis], _T]) -> _T | None:
        """``action`` on the server, or None once the cache is off (a failing server turns
        it off, with one warning, rather than failing the item)."""
        if self.mode == "off":
            return None
        try:
            return action(self._client)
        except self._errors as exc:
            self._turn_off(exc)
            return None

    def _turn_off(self, error: Exception) -> None:
        """Stop using the server for the rest of the run and say why, once."""
        with self._lock:
            if self.mode == "off":
                return
            self.mode = "off"
        warnings.warn(
            f"the response cache at {shown(self.url)} cannot be used ({error}); it is off for "
            "the rest of this run: answers are requested and not stored. Fix: restart the "
            "server or check the network to it, or pass --parity-cache=use (the local SQLite "
            "file) or --parity-cache=off",
            CacheUnavailableWarning,
            stacklevel=4,
        )

    def may_miss(self) -> bool:
        """Whether a run will likely send requests: the server's database is empty, or
        cannot be asked (a hint only, asked before the start check: the check, or the first
        lookup, says what is wrong)."""
        if self.mode == "off":
            return True
        try:
            return not self._client.dbsize()
        except self._errors:
            return True

    def get(self, key: str) -> Completion | None:
        """The cached completion for ``key`` (until the cache is off), else None."""
        # decode_responses: the client answers text
        value = self._use(lambda db: cast("str | None", db.get(KEY_PREFIX + key)))
        if value is None:
            return None
        self.count_hits(1)
        return decode_completion(value)

    def get_many(self, keys: Sequence[str]) -> dict[str, Completion]:
        """The cached completions of those ``keys`` the server holds, by key: ``MGET`` of
        ``LOOKUP_CHUNK`` keys each, in one round trip. They are not counted as hits until the
        caller uses them (:meth:`count_hits`)."""
        unique = list(dict.fromkeys(keys))

        def lookup(db: redis.Redis) -> list[str | None]:
            pipeline = db.pipeline(transaction=False)
            for start in range(0, len(unique), LOOKUP_CHUNK):
                pipeline.mget([KEY_PREFIX + key for key in unique[start : start + LOOKUP_CHUNK]])
            return [value for chunk in pipeline.execute() for value in chunk]

        values = (self._use(lookup) if unique else None) or [None] * len(unique)
        found = zip(unique, values, strict=True)
        return {key: decode_completion(value) for key, value in found if value is not None}

    def count_hits(self, answers: int) -> None:
        """Count ``answers`` taken from :meth:`get_many` as cache hits."""
        with self._lock:
            self.hits += answers

    def put(self, key: str, completion: Completion) -> None:
        """Store ``completion`` with one ``SET`` (unless the cache is off, or it holds NaN or
        infinity: :class:`~parity.record.cache.NonFiniteAnswerWarning`)."""
        if self.mode == "off":
            return
        value = encode_completion(completion)
        if value is not None:
            self._use(lambda db: db.set(KEY_PREFIX + key, value))

    def close(self) -> None:
        """Close the client's connections."""
        self._client.close()
