"""Retries with exponential backoff and full jitter, and a circuit breaker per endpoint."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

MAX_RETRY_AFTER_S = 120.0
DEFAULT_OUTAGE_TOLERANCE_S = 60.0
DEFAULT_COOLDOWN_S = 2.0


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
    """The endpoint stayed down past the outage tolerance (or its probe was refused for good)."""


class CircuitBreaker:
    """Closed -> open -> half-open -> closed, counted in *cases*, not attempts.

    It counts consecutive cases that failed after their retries, and non-retryable errors
    (401, 403, 404). At ``threshold`` of them, or when a case ran out of retries while no
    request of the endpoint has succeeded since its failures began (an outage), it opens.
    While open, requests wait; after ``cooldown_s`` one of them goes out alone as a probe.
    A successful probe closes the breaker and releases every waiting request; a failed one
    re-opens it for another cool-down. Waiting ends in :class:`CircuitOpenError` once the
    endpoint has been failing for ``tolerance_s`` seconds, or at once after a probe is refused
    with a non-retryable error.
    """

    def __init__(
        self,
        threshold: int = 5,
        cooldown_s: float = DEFAULT_COOLDOWN_S,
        tolerance_s: float = DEFAULT_OUTAGE_TOLERANCE_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.threshold = threshold
        self.cooldown_s = cooldown_s
        self.tolerance_s = tolerance_s
        self._clock = clock
        self._condition = threading.Condition()
        self._failed_cases = 0
        self._open = False
        self._dead = False
        self._probing = False
        self._opened_at = 0.0
        self._failing_since: float | None = None
        self._last_success = float("-inf")
        self._last_error = ""
        self.openings = 0

    @property
    def is_open(self) -> bool:
        """True while requests wait for a probe."""
        return self._open

    def admit(self) -> bool:
        """Wait until a request may go out; return True if it is the half-open probe.

        Raises :class:`CircuitOpenError` past the outage tolerance or after a fatal probe.
        """
        with self._condition:
            while True:
                if self._dead:
                    raise CircuitOpenError(self._give_up_message())
                if not self._open:
                    return False
                now = self._clock()
                if (
                    self._failing_since is not None
                    and now - self._failing_since >= self.tolerance_s
                ):
                    raise CircuitOpenError(self._give_up_message())
                if not self._probing and now - self._opened_at >= self.cooldown_s:
                    self._probing = True
                    return True
                wake = self._opened_at + self.cooldown_s if not self._probing else now + 0.25
                if self._failing_since is not None:
                    wake = min(wake, self._failing_since + self.tolerance_s)
                self._condition.wait(max(0.01, min(wake - now, 1.0)))

    def _give_up_message(self) -> str:
        if self._dead:
            return f"the endpoint refused the recovery probe: {self._last_error}"
        failing_s = self._clock() - (self._failing_since or self._clock())
        return (
            f"the endpoint has been failing for {failing_s:.0f} s, over its "
            f"{self.tolerance_s:g} s outage tolerance "
            f"(last error: {self._last_error}); giving up on it for this run "
            "(raise model.outage_tolerance_s to wait longer)"
        )

    def now(self) -> float:
        """The breaker's clock (callers stamp a case's first failure with it)."""
        return self._clock()

    def record_success(self, probe: bool = False) -> None:
        """A request succeeded: close the breaker and forget the failure streak."""
        with self._condition:
            self._failed_cases = 0
            self._failing_since = None
            self._last_success = self._clock()
            if probe or self._open:
                self._open = False
                self._probing = False
                self._condition.notify_all()

    def record_attempt_failure(
        self, message: str, probe: bool, fatal: bool, since: float | None = None
    ) -> None:
        """An attempt failed (retried or not); a failed probe re-opens the breaker.

        ``since`` is when the failed attempt was sent (default: now): an attempt that timed
        out has left the endpoint unanswered since then."""
        with self._condition:
            self._last_error = message
            if self._failing_since is None:
                self._failing_since = self._clock() if since is None else since
            if probe:
                self._probing = False
                self._opened_at = self._clock()
                self._dead = fatal
                self._condition.notify_all()

    def outage_outlasted(self, failing_since: float) -> bool:
        """True once nothing of the endpoint has succeeded since ``failing_since`` and that
        was ``tolerance_s`` or more ago: further retries of the case would only wait longer."""
        with self._condition:
            return (
                self._last_success < failing_since
                and self._clock() - failing_since >= self.tolerance_s
            )

    def record_case_failure(self, message: str, fatal: bool, failing_since: float) -> bool:
        """A case failed for good; return True if it should wait for recovery and try again.

        ``failing_since`` is the clock time of the case's first failed attempt. A non-retryable
        error fails the case; a case that ran out of retries while no request of the endpoint
        succeeded since ``failing_since`` (an outage) opens the breaker and waits for the probe.
        """
        with self._condition:
            self._last_error = message
            self._failed_cases += 1
            outage = not fatal and self._last_success < failing_since
            if not self._open and (self._failed_cases >= self.threshold or outage):
                self._open = True
                self._opened_at = self._clock()
                self.openings += 1
            return self._open and not fatal and not self._dead
