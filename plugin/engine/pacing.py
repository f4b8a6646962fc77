"""Per-endpoint pacing: an adaptive in-flight limit (AIMD) with Retry-After pauses.

Every request to one metered endpoint passes through the same :class:`AdaptiveLimit`. A
throttling answer (429, or any answer carrying ``Retry-After``) pauses the endpoint for every
thread and halves the number of requests allowed in flight — once per congestion event: a
burst of 429s is one signal, not thirty-two, and 429s during the recovery that follows delay
only their own request. Each success adds one request back, up to the configured
``max_concurrency``.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from parity.engine.ratelimit import RateLimiter
from parity.engine.retry import (
    DEFAULT_COOLDOWN_S,
    DEFAULT_OUTAGE_TOLERANCE_S,
    CircuitBreaker,
    RetryPolicy,
)

DEFAULT_THROTTLE_PAUSE_S = 1.0
# After a congestion event the endpoint recovers for this many pause lengths, during which
# further throttles delay only their own request: a server that answers each prompt's first
# attempt with a 429 would otherwise keep the whole endpoint paused.
RECOVERY_PAUSES = 3


class AdaptiveLimit:
    """At most ``limit`` requests in flight, ``1 <= limit <= maximum``, adapted by AIMD."""

    def __init__(self, maximum: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.maximum = max(1, maximum)
        self.limit = float(self.maximum)
        self.in_flight = 0
        self.peak_in_flight = 0
        self.throttled = 0
        self.pauses = 0
        self._paused_until = 0.0
        self._recovered_at = float("-inf")
        self._clock = clock
        self._lock = threading.Lock()
        self._line: deque[threading.Condition] = deque()  # one per waiting thread, in order

    def acquire(self) -> None:
        """Wait for a free slot outside any pause, then take it; first come, first served.

        A lane has more sender threads than slots (a case waiting out a retry holds none), so
        a thread that finds a slot free must not overtake those already waiting: a case could
        otherwise wait until the rest of the run has finished. Each waiter sleeps on its own
        condition and only the first in line is woken, not every waiting thread."""
        with self._lock:
            turn = threading.Condition(self._lock)
            self._line.append(turn)
            try:
                while True:
                    now = self._clock()
                    if now < self._paused_until:
                        turn.wait(self._paused_until - now)
                        continue
                    if self._line[0] is turn and self.in_flight < int(self.limit):
                        self.in_flight += 1
                        self.peak_in_flight = max(self.peak_in_flight, self.in_flight)
                        return
                    turn.wait(1.0)
            finally:
                self._line.remove(turn)
                self._wake_first()

    def _wake_first(self) -> None:
        """Wake the first waiting thread, if any (the lock is held)."""
        if self._line:
            self._line[0].notify()

    def release_success(self) -> None:
        """Give the slot back after a success: additive increase (one request per success)."""
        with self._lock:
            self.in_flight -= 1
            self.limit = min(float(self.maximum), self.limit + 1.0)
            self._wake_first()

    def release_failure(self, throttle_s: float | None) -> None:
        """Give the slot back after a failure. ``throttle_s`` (a 429 / Retry-After) starts a
        congestion event unless one is still recovering: the endpoint pauses that long for
        every thread and the limit halves. Throttles during the recovery period (the pause
        plus ``RECOVERY_PAUSES`` times its length) only delay their own request."""
        with self._lock:
            self.in_flight -= 1
            if throttle_s is not None:
                now = self._clock()
                self.throttled += 1
                if now >= self._recovered_at:
                    self.limit = max(1.0, self.limit / 2.0)
                    self._paused_until = now + throttle_s
                    self._recovered_at = self._paused_until + RECOVERY_PAUSES * throttle_s
                    self.pauses += 1
            self._wake_first()


@dataclass(frozen=True)
class LaneKey:
    """What a provider meters: requests to one model, at one endpoint, under one key."""

    provider: str
    endpoint: str
    key_variable: str
    model: str

    def label(self) -> str:
        """A short human-readable name (``openai-compatible:bench@http://…``)."""
        where = f"@{self.endpoint}" if self.endpoint else ""
        return f"{self.provider}:{self.model}{where}"


def _shared(value: float | None, share: int) -> float | None:
    return None if value is None else value / share


@dataclass
class Lane:
    """Pacing and failure state of one endpoint in this process: every experiment that
    reaches the same :class:`LaneKey` shares its limits, retries policy and breaker."""

    key: LaneKey
    flow: AdaptiveLimit
    limiter: RateLimiter
    policy: RetryPolicy
    breaker: CircuitBreaker
    requests_sent: int = 0
    retries: int = 0
    # Called before a case sleeps out a retry (the scheduler adds a sender thread then).
    on_retry_wait: Callable[[], None] | None = field(default=None, repr=False)

    @classmethod
    def create(
        cls,
        key: LaneKey,
        options: Mapping[str, Any],
        concurrency: int,
        share: int,
        cooldown_s: float = DEFAULT_COOLDOWN_S,
    ) -> Lane:
        """A lane from a model's options; ``share`` processes (xdist workers) split the
        concurrency, requests-per-minute and tokens-per-minute limits evenly."""
        share = max(1, share)
        tolerance = float(options.get("outage_tolerance_s", DEFAULT_OUTAGE_TOLERANCE_S))
        return cls(
            key=key,
            flow=AdaptiveLimit(max(1, concurrency // share)),
            limiter=RateLimiter(
                _shared(options.get("requests_per_minute"), share),
                _shared(options.get("tokens_per_minute"), share),
            ),
            policy=RetryPolicy(max_retries=int(options.get("max_retries", 5))),
            breaker=CircuitBreaker(cooldown_s=cooldown_s, tolerance_s=tolerance),
        )
