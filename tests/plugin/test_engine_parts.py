"""Rate limiting, retry delays, circuit breaker, budget and key redaction."""

import random

import pytest

from parity.engine.budget import Budget
from parity.engine.pacing import AdaptiveLimit
from parity.engine.ratelimit import TokenBucket
from parity.engine.redaction import redact
from parity.engine.retry import CircuitBreaker, CircuitOpenError, RetryPolicy


class FakeClock:
    def __init__(self):
        self.now = 0.0
        self.slept = []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.slept.append(seconds)
        self.now += seconds


def test_token_bucket_paces_to_the_rate():
    clock = FakeClock()
    bucket = TokenBucket(per_minute=120, clock=clock, sleep=clock.sleep)  # 2 per second, capacity 2
    for _ in range(6):
        bucket.acquire()
    # 2 free, then 4 more at 0.5 s each
    assert clock.now == pytest.approx(2.0)


def test_token_bucket_caps_requests_larger_than_capacity():
    clock = FakeClock()
    bucket = TokenBucket(per_minute=60, capacity=10, clock=clock, sleep=clock.sleep)
    bucket.acquire(50)  # would never fit; takes the whole bucket instead of hanging
    assert clock.now == 0.0


def test_full_jitter_stays_within_the_exponential_ceiling():
    policy = RetryPolicy(max_retries=5, base_delay_s=1.0, max_delay_s=8.0)
    rng = random.Random(0)
    for attempt, ceiling in enumerate([1, 2, 4, 8, 8]):
        delays = [policy.delay(attempt, None, rng) for _ in range(200)]
        assert min(delays) >= 0 and max(delays) <= ceiling
        assert max(delays) > ceiling * 0.8  # really spread over the range


def test_retry_after_is_honoured():
    assert RetryPolicy().delay(0, 3.0) == 3.0
    assert RetryPolicy().delay(0, 10_000.0) == 120.0


def test_circuit_breaker_counts_failed_cases_not_attempts():
    clock = FakeClock()
    breaker = CircuitBreaker(threshold=3, clock=clock)
    breaker.record_success()
    clock.now = 1.0
    for _ in range(10):  # retryable attempts of in-flight cases do not open it
        breaker.record_attempt_failure("429", probe=False, fatal=False)
    assert not breaker.is_open
    assert breaker.record_case_failure("401", fatal=True, failing_since=0.5) is False
    assert breaker.record_case_failure("401", fatal=True, failing_since=0.5) is False
    breaker.record_success()
    assert breaker.record_case_failure("401", fatal=True, failing_since=2.0) is False
    assert not breaker.is_open  # the success in between reset the count
    breaker.record_case_failure("401", fatal=True, failing_since=2.0)
    breaker.record_case_failure("401", fatal=True, failing_since=2.0)
    assert breaker.is_open


def test_a_case_out_of_retries_during_an_outage_waits_for_the_probe():
    clock = FakeClock()
    breaker = CircuitBreaker(threshold=5, cooldown_s=2.0, tolerance_s=60.0, clock=clock)
    breaker.record_attempt_failure("500", probe=False, fatal=False)
    assert breaker.record_case_failure("500", fatal=False, failing_since=0.0) is True
    assert breaker.is_open
    clock.now = 2.0
    assert breaker.admit() is True  # the probe
    breaker.record_success(probe=True)
    assert not breaker.is_open and breaker.admit() is False


def test_a_case_out_of_retries_while_others_succeed_fails():
    clock = FakeClock()
    breaker = CircuitBreaker(clock=clock)
    clock.now = 5.0
    breaker.record_success()
    assert breaker.record_case_failure("500", fatal=False, failing_since=4.0) is False
    assert not breaker.is_open


def test_a_dead_endpoint_is_given_up_after_the_tolerance():
    clock = FakeClock()
    breaker = CircuitBreaker(cooldown_s=2.0, tolerance_s=60.0, clock=clock)
    breaker.record_attempt_failure("ConnectError", probe=False, fatal=False)
    breaker.record_case_failure("ConnectError", fatal=False, failing_since=0.0)
    clock.now = 59.0
    assert breaker.admit() is True
    breaker.record_attempt_failure("ConnectError", probe=True, fatal=False)
    clock.now = 60.5
    with pytest.raises(
        CircuitOpenError, match=r"failing for \d+ s, over its 60 s outage tolerance .*ConnectError"
    ):
        breaker.admit()


def test_a_fatal_probe_fails_every_waiting_case_at_once():
    clock = FakeClock()
    breaker = CircuitBreaker(threshold=1, cooldown_s=2.0, clock=clock)
    breaker.record_case_failure("401 invalid key", fatal=True, failing_since=0.0)
    clock.now = 2.0
    assert breaker.admit() is True
    breaker.record_attempt_failure("401 invalid key", probe=True, fatal=True)
    with pytest.raises(CircuitOpenError, match="refused the recovery probe: 401 invalid key"):
        breaker.admit()


def test_adaptive_limit_halves_once_per_congestion_event_and_grows_back():
    clock = FakeClock()
    flow = AdaptiveLimit(32, clock=clock)
    for _ in range(32):
        flow.acquire()
    assert flow.in_flight == 32 and flow.peak_in_flight == 32
    for _ in range(32):  # a burst of 429s with Retry-After: 1 -> one halving, one pause
        flow.release_failure(1.0)
    assert flow.limit == 16.0 and flow.throttled == 32 and flow.pauses == 1
    clock.now = 1.0
    for _ in range(16):
        flow.acquire()
    for _ in range(8):
        flow.release_success()
    assert flow.limit == 24.0  # +1 per success
    for _ in range(8):
        flow.release_success()
    assert flow.limit == 32.0  # never above max_concurrency
    clock.now = 3.5  # still recovering (pause + 3 x 1 s): a 429 delays only its request
    flow.acquire()
    flow.release_failure(1.0)
    assert flow.limit == 32.0 and flow.pauses == 1
    clock.now = 4.0  # recovered: a new congestion event
    flow.acquire()
    flow.release_failure(1.0)
    assert flow.limit == 16.0 and flow.pauses == 2


def test_adaptive_limit_pauses_every_thread_until_retry_after():
    import threading
    import time

    flow = AdaptiveLimit(4)
    flow.acquire()
    flow.release_failure(0.3)
    started = time.monotonic()
    done = []

    def request():
        flow.acquire()
        done.append(time.monotonic())
        flow.release_success()

    threads = [threading.Thread(target=request) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(5)
    assert len(done) == 3 and min(done) - started >= 0.25


def test_budget_refuses_what_would_pass_the_cap():
    budget = Budget(1.0)
    assert budget.reserve(0.6)
    assert not budget.reserve(0.6)  # 0.6 in flight + 0.6 > 1.0
    budget.settle(0.6, 0.3)
    assert budget.reserve(0.6)
    assert budget.refused == 1 and budget.spent_usd == pytest.approx(0.3)
    assert Budget(None).reserve(1e9)


def test_redact_replaces_keys_from_the_environment(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-0123456789")
    assert redact("auth failed for sk-test-0123456789!") == "auth failed for ***!"
    assert redact("token abcdefgh12", ["abcdefgh12"]) == "token ***"


def test_one_release_that_frees_two_slots_wakes_two_waiting_threads():
    """A success after a halving frees its slot and adds one: both waiting threads go."""
    import threading
    import time

    flow = AdaptiveLimit(8)
    for _ in range(4):
        flow.acquire()
    flow.limit = 4.0  # as after a congestion event
    acquired: list[float] = []

    def wait_for_a_slot() -> None:
        flow.acquire()
        acquired.append(time.monotonic())

    threads = [threading.Thread(target=wait_for_a_slot) for _ in range(2)]
    for thread in threads:
        thread.start()
    time.sleep(0.1)
    assert acquired == []  # both wait: 4 of 4 in flight
    released = time.monotonic()
    flow.release_success()  # 3 in flight, limit 5: room for both
    for thread in threads:
        thread.join(5)
    assert len(acquired) == 2 and max(acquired) - released < 0.5  # not the 1 s re-check
    assert flow.in_flight == 5


def test_secrets_are_read_safely_while_pytest_changes_the_environment():
    """Sender threads redact every answer while the main thread sets and removes
    ``PYTEST_CURRENT_TEST`` for each item; reading the keys must never raise."""
    import os
    import sys
    import threading

    from parity.engine.redaction import known_secrets

    errors: list[BaseException] = []
    stop = threading.Event()

    def read() -> None:
        try:
            while not stop.is_set():
                known_secrets()
        except BaseException as exc:  # the failure under test
            errors.append(exc)

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    readers = [threading.Thread(target=read) for _ in range(4)]
    try:
        for reader in readers:
            reader.start()
        for _ in range(20_000):
            os.environ["PARITY_TEST_TOGGLED"] = "x"
            del os.environ["PARITY_TEST_TOGGLED"]
    finally:
        stop.set()
        for reader in readers:
            reader.join(5)
        sys.setswitchinterval(interval)
    assert errors == []


def test_a_waiting_thread_is_not_overtaken_by_a_newcomer():
    """First come, first served: a lane has more sender threads than slots, and a thread that
    finds the slot just freed must queue behind the one already waiting for it."""
    import threading
    import time

    flow = AdaptiveLimit(1)
    flow.acquire()
    order: list[str] = []

    def waiting() -> None:
        flow.acquire()
        order.append("waiting")
        time.sleep(0.05)
        flow.release_success()

    thread = threading.Thread(target=waiting, daemon=True)
    thread.start()
    time.sleep(0.1)  # it waits for the only slot
    flow.release_success()
    flow.acquire()  # the newcomer
    order.append("newcomer")
    flow.release_success()
    thread.join(5)
    assert order == ["waiting", "newcomer"]
