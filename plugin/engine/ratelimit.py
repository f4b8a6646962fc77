"""Client-side rate limiting: token buckets for requests and tokens per minute."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class TokenBucket:
    """A bucket refilled at ``per_minute / 60`` units per second, holding at most ``capacity``."""

    def __init__(
        self,
        per_minute: float,
        capacity: float | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.rate = per_minute / 60.0
        self.capacity = capacity if capacity is not None else max(1.0, self.rate)
        self._tokens = self.capacity
        self._clock = clock
        self._sleep = sleep
        self._updated = clock()
        self._lock = threading.Lock()

    def acquire(self, amount: float = 1.0) -> float:
        """Block until ``amount`` units are available and take them; return seconds waited."""
        amount = min(amount, self.capacity)
        waited = 0.0
        while True:
            with self._lock:
                now = self._clock()
                self._tokens = min(self.capacity, self._tokens + (now - self._updated) * self.rate)
                self._updated = now
                if self._tokens >= amount:
                    self._tokens -= amount
                    return waited
                wait = (amount - self._tokens) / self.rate
            self._sleep(wait)
            waited += wait


class RateLimiter:
    """Requests-per-minute and tokens-per-minute limits of one model client."""

    def __init__(self, requests_per_minute: float | None, tokens_per_minute: float | None) -> None:
        self.requests = TokenBucket(requests_per_minute) if requests_per_minute else None
        self.tokens = TokenBucket(tokens_per_minute) if tokens_per_minute else None

    def acquire(self, estimated_tokens: int) -> None:
        """Wait until one request of ``estimated_tokens`` tokens may be sent."""
        if self.requests is not None:
            self.requests.acquire(1.0)
        if self.tokens is not None:
            self.tokens.acquire(float(estimated_tokens))
