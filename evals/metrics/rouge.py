"""ROUGE-1, ROUGE-2 and ROUGE-L F-measures through Google's ``rouge-score`` (stemming on).

Reference: ``rouge_score.rouge_scorer.RougeScorer(..., use_stemmer=True)``, the package that
reimplements ROUGE-1.5.5. With several references the best F-measure is kept.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from parity.evals.metrics.base import Metric, register_metric


@lru_cache(maxsize=3)
def _scorer(rouge_type: str) -> Any:
    from rouge_score import rouge_scorer

    return rouge_scorer.RougeScorer([rouge_type], use_stemmer=True)


def _rouge(rouge_type: str):
    def score(prediction: str, references: Sequence[str]) -> dict[str, float]:
        if not references:
            raise ValueError("at least one reference is required")
        scorer = _scorer(rouge_type)
        best = max(scorer.score(ref, prediction)[rouge_type].fmeasure for ref in references)
        return {rouge_type: best}

    return score


for _name in ("rouge1", "rouge2", "rougeL"):
    register_metric(
        Metric(
            _name,
            _rouge(_name),
            reference="rouge-score RougeScorer, use_stemmer=True",
            requires=(("rouge_score", "rouge-score"),),
        )
    )
