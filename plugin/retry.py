"""Retries with exponential backoff and full jitter, and a circuit breaker per model client."""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass

MAX_RETRY_AFTER_S = 120.0


@dataclass(frozen=True)
class RetryPolicy:
    """``max_retries`` extra attempts; delay ~ U(0, min(cap, base * 2^attempt)) or Retry-After."""

    max_retries: int = 5
    base_delay_s: float = 0.5
    max_delay_s: float = 30.0

    def delay(
        self, attempt: int, retry_after_s: float | None, rng: random.Random | None = None
    ) -> float:
        """Seconds to wait before retry number ``attempt + 1``."""
        if retry_after_s is not None:
            return min(retry_after_s, MAX_RETRY_AFTER_S)
        ceiling = min(self.max_delay_s, self.base_delay_s * (2**attempt))
        return (rng or random).uniform(0.0, ceiling)


class CircuitOpenError(RuntimeError):
    """Raised instead of calling a provider that has failed too many times in a row."""


class CircuitBreaker:
    """Opens after ``threshold`` consecutive failed attempts; stays open for the run."""

    def __init__(self, threshold: int = 8) -> None:
        self.threshold = threshold
        self._consecutive = 0
        self._last_error = ""
        self._lock = threading.Lock()

    @property
    def is_open(self) -> bool:
        """True once the provider failed ``threshold`` times in a row."""
        return self._consecutive >= self.threshold

    def check(self) -> None:
        """Raise :class:`CircuitOpenError` if the circuit is open."""
        if self.is_open:
            raise CircuitOpenError(
                f"circuit open: the provider failed {self._consecutive} times in a row, "
                f"last error: {self._last_error}; not sending more requests in this run"
            )

    def record_success(self) -> None:
        with self._lock:
            self._consecutive = 0

    def record_failure(self, message: str) -> None:
        with self._lock:
            self._consecutive += 1
            self._last_error = message
