"""The precision/recall/F1 arithmetic every overlap metric shares (registers no metric)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence


def f_measure(precision: float, recall: float) -> float:
    """The harmonic mean of precision and recall (F1); 0.0 when both are 0."""
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def token_prf(
    prediction_tokens: Sequence[str], reference_tokens: Sequence[str]
) -> tuple[float, float, float]:
    """(precision, recall, F1) of the tokens two answers share, counted with multiplicity
    (the SQuAD v1.1 ``f1_score`` arithmetic); all 0.0 when no token is shared.

    >>> token_prf(["the", "cat", "sat"], ["a", "cat", "sat", "down"])
    (0.6666666666666666, 0.5, 0.5714285714285715)
    """
    same = sum((Counter(prediction_tokens) & Counter(reference_tokens)).values())
    if same == 0:
        return 0.0, 0.0, 0.0
    precision, recall = same / len(prediction_tokens), same / len(reference_tokens)
    return precision, recall, f_measure(precision, recall)
