"""A keyed lazy pool: each value made once, on first use, shared by every caller, closed
together at the end of the session (model clients, compressors). This module imports
nothing from Parity."""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import Generic, Protocol, TypeVar


class Closable(Protocol):
    """Anything the pool can release at the end: a client, a compressor."""

    def close(self) -> None: ...


K = TypeVar("K", bound=Hashable)
V = TypeVar("V", bound=Closable)


class KeyedPool(Generic[K, V]):
    """Values by key, each made once (loading weights or opening connections) under a lock
    and closed together by :meth:`close`."""

    def __init__(self) -> None:
        self._values: dict[K, V] = {}
        self._lock = threading.Lock()

    def get(self, key: K, make: Callable[[], V]) -> V:
        """The value for ``key``, made by ``make()`` the first time it is asked for."""
        with self._lock:
            if key not in self._values:
                self._values[key] = make()
            return self._values[key]

    def close(self) -> None:
        """Close every value and forget them all."""
        with self._lock:
            for value in self._values.values():
                value.close()
            self._values.clear()
