"""Cost of a request from the pricing table, an experiment's override, or a GPU-hour price."""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from importlib import resources
from typing import Any

from parity.config.model_config import ModelConfig
from parity.config.yaml_loader import load_yaml_text
from parity.fixtures.providers import PROVIDERS
from parity.fixtures.providers.base import Completion


@lru_cache(maxsize=1)
def _pricing_file() -> Mapping[str, Any]:
    text = (resources.files("parity.configs") / "pricing.yaml").read_text(encoding="utf-8")
    return load_yaml_text(text, "parity/configs/pricing.yaml", "pricing table") or {}


def pricing_table() -> Mapping[str, Mapping[str, Any]]:
    """The shipped per-model prices (USD per 1M tokens), keyed by model name."""
    return _pricing_file().get("models", {})


def local_default() -> Mapping[str, Any]:
    """The compute-hour price of a local model without its own (with its source)."""
    return _pricing_file().get("local_default", {})


def price_for(model: ModelConfig) -> Mapping[str, Any] | None:
    """The price that applies to ``model``: its own ``pricing`` first, then the table, then
    (for a model on your own hardware) the local compute-hour default."""
    if model.pricing:
        return model.pricing
    listed = pricing_table().get(model.model)
    if listed is None and model.provider and PROVIDERS.get(model.provider).runs_locally:
        return local_default() or None
    return listed


def cost_usd(
    model: ModelConfig, input_tokens: int, output_tokens: int, compute_ms: float
) -> float | None:
    """USD cost of one request (tokens at an API price, or compute time at a compute-hour
    price), or None when no price is known.

    ``compute_ms`` is a completion's :attr:`~parity.fixtures.providers.base.Completion.compute_ms`:
    a local model's CPU time over its threads, or its GPU time, not the wall time, so a busy
    machine slows its latency without raising its cost."""
    price = price_for(model)
    if price and "gpu_hour_usd" in price:
        return float(price["gpu_hour_usd"]) * compute_ms / 3_600_000
    if price and "input_per_1m_tokens" in price and "output_per_1m_tokens" in price:
        return (
            input_tokens * float(price["input_per_1m_tokens"])
            + output_tokens * float(price["output_per_1m_tokens"])
        ) / 1_000_000
    return None


def completion_cost(model: ModelConfig, completion: Completion) -> float | None:
    """USD cost of ``completion``: its tokens at an API price, or its compute time (never its
    latency) at a compute-hour price; None when no price is known."""
    return cost_usd(model, completion.input_tokens, completion.output_tokens, completion.compute_ms)
