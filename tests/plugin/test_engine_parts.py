"""Rate limiting, retry delays, circuit breaker, budget and key redaction."""

import random

import pytest

from parity.budget import Budget
from parity.ratelimit import TokenBucket
from parity.redaction import redact
from parity.retry import CircuitBreaker, CircuitOpenError, RetryPolicy


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


def test_circuit_breaker_opens_after_consecutive_failures_only():
    breaker = CircuitBreaker(threshold=3)
    breaker.record_failure("boom")
    breaker.record_failure("boom")
    breaker.record_success()
    breaker.record_failure("boom")
    breaker.check()
    breaker.record_failure("boom")
    breaker.record_failure("last")
    with pytest.raises(CircuitOpenError, match="3 times in a row, last error: last"):
        breaker.check()


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
