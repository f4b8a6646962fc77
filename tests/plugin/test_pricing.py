"""A local model is priced from its compute time, never its latency (hand cases)."""

from __future__ import annotations

import pytest

from parity.config.model_config import ModelConfig
from parity.engine.pricing import completion_cost, cost_usd
from parity.fixtures.providers.base import Completion

LOCAL = ModelConfig(name="local:smollm2", provider="local", model="smollm2")
HOURLY = ModelConfig(
    name="hf:m", provider="hf", model="m", pricing={"gpu_hour_usd": 3.6}
)  # $0.001 a second
API = ModelConfig(name="openai:gpt-4o", provider="openai", model="gpt-4o")


def test_a_compute_hour_price_applies_to_the_compute_time_not_the_latency():
    slow = Completion("x", 10, 2, 10_000.0, extra={"compute_ms": 1_000.0})
    assert completion_cost(HOURLY, slow) == pytest.approx(0.001)
    assert cost_usd(HOURLY, 10, 2, 1_000.0) == pytest.approx(0.001)


def test_the_local_default_price_is_per_hour_of_compute():
    hour = Completion("x", 0, 0, 7_200_000.0, extra={"compute_ms": 3_600_000.0})
    assert completion_cost(LOCAL, hour) == pytest.approx(0.46)  # configs/pricing.yaml


def test_a_completion_without_compute_time_is_priced_from_its_latency():
    assert completion_cost(HOURLY, Completion("x", 0, 0, 2_000.0)) == pytest.approx(0.002)


def test_an_api_model_is_priced_by_its_tokens_whatever_its_times():
    completion = Completion("x", 1_000_000, 100_000, 99.0, extra={"compute_ms": 1.0})
    assert completion_cost(API, completion) == pytest.approx(2.50 + 1.00)
