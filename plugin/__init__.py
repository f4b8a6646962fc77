"""Parity: a pytest plugin that evaluates LLM setups and gates regressions in CI."""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"
__all__ = ["__version__", "score", "score_corpus"]


def __getattr__(name: str) -> Any:
    """``score`` and ``score_corpus`` from :mod:`parity.scoring`, imported on first use: the
    metrics registry is not needed by every process that imports a Parity module (the call
    process, for one)."""
    if name in ("score", "score_corpus"):
        from parity import scoring

        return getattr(scoring, name)
    raise AttributeError(f"module 'parity' has no attribute {name!r}")
