"""Exact match and token F1 exactly as HotpotQA's ``hotpot_evaluate_v1.py`` computes them.

Reference: ``hotpot_evaluate_v1.py`` (HotpotQA), which builds on SQuAD v1.1's
``evaluate-v1.1.py``:
answers are lower-cased, punctuation and the articles a/an/the removed and whitespace
collapsed; F1 is over the multiset of normalized tokens; the score against several
references is the maximum over them (SQuAD's ``metric_max_over_ground_truths``). As in
HotpotQA's script, when either side normalizes to ``yes``, ``no`` or ``noanswer`` the F1
is 0 unless both sides are equal — SQuAD's script has no such rule, so ``f1`` differs from it
on those answers (``exact_match`` does not).
"""

from __future__ import annotations

import re
import string
from collections.abc import Sequence

from parity.evals.metrics.base import Metric, register_metric
from parity.evals.metrics.overlap import token_prf

_PUNCTUATION = frozenset(string.punctuation)
_ARTICLES = re.compile(r"\b(a|an|the)\b")
_SPECIAL_ANSWERS = ("yes", "no", "noanswer")


def normalize_answer(text: str) -> str:
    """Lower-case, strip punctuation and articles, and collapse whitespace (SQuAD/HotpotQA)."""
    text = text.lower()
    text = "".join(ch for ch in text if ch not in _PUNCTUATION)
    text = _ARTICLES.sub(" ", text)
    return " ".join(text.split())


def token_f1(prediction: str, reference: str) -> tuple[float, float, float]:
    """Return (f1, precision, recall) of one prediction against one reference."""
    pred = normalize_answer(prediction)
    gold = normalize_answer(reference)
    if (pred in _SPECIAL_ANSWERS or gold in _SPECIAL_ANSWERS) and pred != gold:
        return 0.0, 0.0, 0.0
    precision, recall, f1 = token_prf(pred.split(), gold.split())
    return f1, precision, recall


def _require_references(references: Sequence[str]) -> None:
    if not references:
        raise ValueError("at least one reference answer is required")


def exact_match(prediction: str, references: Sequence[str]) -> dict[str, float]:
    """1.0 if the normalized prediction equals any normalized reference, else 0.0."""
    _require_references(references)
    pred = normalize_answer(prediction)
    return {"exact_match": float(any(pred == normalize_answer(ref) for ref in references))}


def f1(prediction: str, references: Sequence[str]) -> dict[str, float]:
    """Token F1, the maximum over references."""
    _require_references(references)
    return {"f1": max(token_f1(prediction, ref)[0] for ref in references)}


register_metric(
    Metric("exact_match", exact_match, reference="HotpotQA hotpot_evaluate_v1.py / SQuAD v1.1")
)
register_metric(
    Metric(
        "f1",
        f1,
        reference="HotpotQA hotpot_evaluate_v1.py f1_score (not SQuAD v1.1 on yes/no/noanswer)",
    )
)
