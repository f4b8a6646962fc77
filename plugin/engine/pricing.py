"""Cost of a request from the pricing table, an experiment's override, or a GPU-hour price;
and of a compression, whose compute time on this machine is priced like a local model's."""

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


def compression_price(model: ModelConfig) -> float | None:
    """The compute-hour price (USD) of the compressor of ``model``'s experiment: its own
    ``compression.pricing.gpu_hour_usd``; else the experiment model's compute-hour price
    (its ``pricing.gpu_hour_usd``, or ``local_default`` for a local model); else
    ``local_default`` (a compressor on your hardware beside an API model); None without one."""
    own = (model.compression or {}).get("pricing") or {}
    if "gpu_hour_usd" in own:
        return float(own["gpu_hour_usd"])
    price = price_for(model) or {}
    if "gpu_hour_usd" in price:
        return float(price["gpu_hour_usd"])
    fallback = local_default().get("gpu_hour_usd")
    return None if fallback is None else float(fallback)


def compression_cost(
    model: ModelConfig, service_usd: float | None, compute_ms: float | None
) -> float | None:
    """USD cost of one compression for ``model``'s experiment: what its service charged
    (``service_usd``; 0 for a local compressor) plus its ``compute_ms`` on this machine at
    :func:`compression_price`; None when either part has no known price."""
    if not compute_ms:
        return service_usd
    price = compression_price(model)
    if service_usd is None or price is None:
        return None
    return service_usd + price * compute_ms / 3_600_000
