"""A local model, and a compressor on this machine, are priced from their compute time,
never their latency (hand cases)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from parity.config.model_config import ModelConfig
from parity.engine.pricing import completion_cost, compression_cost, compression_price, cost_usd
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


HOUR_MS = 3_600_000.0


def with_compression(model: ModelConfig, **compression: object) -> ModelConfig:
    return replace(model, mode="compressed", compression={"method": "extractive", **compression})


@pytest.mark.parametrize(
    ("model", "hourly"),
    [
        (with_compression(HOURLY, pricing={"gpu_hour_usd": 1.0}), 1.0),  # its own price first
        (with_compression(HOURLY), 3.6),  # then the experiment model's compute-hour price
        (with_compression(LOCAL), 0.46),  # a local model's is local_default
        (with_compression(API), 0.46),  # beside an API model: local_default
    ],
)
def test_a_compressors_compute_time_is_priced_by_the_hour(model, hourly):
    assert compression_price(model) == pytest.approx(hourly)
    assert compression_cost(model, 0.0, HOUR_MS) == pytest.approx(hourly)
    assert compression_cost(model, 0.25, HOUR_MS / 2) == pytest.approx(0.25 + hourly / 2)


def test_a_compression_without_compute_time_costs_what_its_service_charged():
    model = with_compression(API)
    assert compression_cost(model, 0.01, None) == 0.01
    assert compression_cost(model, 0.0, 0.0) == 0.0
    assert compression_cost(model, None, None) is None
    assert compression_cost(model, None, 5.0) is None  # the service's part is unknown


def test_a_compressions_own_price_is_read_from_the_config_and_stays_out_of_its_cache_key():
    from parity.config.config import parse_config
    from parity.config.errors import ConfigError
    from parity.fixtures.compressors import CompressorPool
    from tests.conftest import experiment

    def compressed(**pricing: object) -> dict:
        compression = {"method": "extractive", "ranker": "bm25", "rate": 0.3, **pricing}
        return experiment(model={"name": "local:smollm2", "mode": "compressed",
                                 "compression": compression})  # fmt: skip

    priced = parse_config([compressed(pricing={"gpu_hour_usd": 2.0})], "t.yaml").experiments[0]
    assert compression_price(priced.model) == 2.0
    plain = parse_config([compressed()], "t.yaml").experiments[0]
    pool = CompressorPool()
    identities = {pool.get(e.model.compression).identity() for e in (priced, plain)}
    assert len(identities) == 1 and "pricing" not in identities.pop()
    with pytest.raises(ConfigError, match=r"key 'model.compression.pricing.gpu_hour'"):
        parse_config([compressed(pricing={"gpu_hour": 2.0})], "t.yaml")
