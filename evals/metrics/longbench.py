"""LongBench's ``qa_f1_score``: SQuAD normalization and token F1, max over references.

Reference: THUDM/LongBench ``metrics.py`` (``qa_f1_score``) and ``eval.py``, which scores a
prediction against every answer and keeps the best. Unlike HotpotQA's script there is no
special case for yes/no answers.
"""

from __future__ import annotations

from collections.abc import Sequence

from parity.evals.metrics.base import Metric, register_metric
from parity.evals.metrics.overlap import token_prf
from parity.evals.metrics.squad import normalize_answer


def qa_f1(prediction: str, references: Sequence[str]) -> dict[str, float]:
    """LongBench qa_f1: the best token F1 over the references."""
    if not references:
        raise ValueError("at least one reference answer is required")
    pred = normalize_answer(prediction).split()
    return {"qa_f1": max(token_prf(pred, normalize_answer(ref).split())[2] for ref in references)}


register_metric(Metric("qa_f1", qa_f1, reference="THUDM/LongBench metrics.py qa_f1_score"))
