"""Parity: a pytest plugin that evaluates LLM setups and gates regressions in CI."""

from __future__ import annotations

from parity.record.scoring import score, score_corpus

__version__ = "0.1.0"
__all__ = ["__version__", "score", "score_corpus"]
