"""Classification metrics: accuracy per example; macro and weighted F1 over the corpus.

Reference: scikit-learn ``f1_score(y_true, y_pred, average="macro" | "weighted")`` with its
default labels (the sorted union of true and predicted labels) and ``zero_division=0``.
A prediction that is not in the label set (the task marks it ``<invalid>``) is a label of
its own: it is wrong, and it counts as a false positive, exactly as scikit-learn would.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from parity.evals.metrics.base import Metric, register_metric
from parity.evals.metrics.overlap import f_measure


def accuracy(prediction: str, references: Sequence[str]) -> dict[str, float]:
    """1.0 when the (already label-mapped) prediction equals the gold label."""
    return {"accuracy": float(prediction == references[0])}


def per_label_f1(y_true: Sequence[str], y_pred: Sequence[str]) -> dict[str, tuple[float, int]]:
    """F1 and support of every label in the union of ``y_true`` and ``y_pred``."""
    true_counts, pred_counts = Counter(y_true), Counter(y_pred)
    hits = Counter(t for t, p in zip(y_true, y_pred, strict=True) if t == p)
    result = {}
    for label in sorted(set(y_true) | set(y_pred)):
        tp = hits[label]
        precision = tp / pred_counts[label] if pred_counts[label] else 0.0
        recall = tp / true_counts[label] if true_counts[label] else 0.0
        result[label] = (f_measure(precision, recall), true_counts[label])
    return result


def _gold_labels(references: Sequence[Sequence[str]]) -> list[str]:
    return [refs[0] for refs in references]


def macro_f1(
    predictions: Sequence[str], references: Sequence[Sequence[str]], _conf=None
) -> dict[str, float]:
    """Unweighted mean of per-label F1 (scikit-learn ``average="macro"``)."""
    scores = per_label_f1(_gold_labels(references), predictions)
    return {"macro_f1": sum(f1 for f1, _ in scores.values()) / len(scores) if scores else 0.0}


def weighted_f1(
    predictions: Sequence[str], references: Sequence[Sequence[str]], _conf=None
) -> dict[str, float]:
    """Per-label F1 weighted by true support (scikit-learn ``average="weighted"``)."""
    scores = per_label_f1(_gold_labels(references), predictions)
    total = sum(support for _, support in scores.values())
    return {"weighted_f1": sum(f1 * s for f1, s in scores.values()) / total if total else 0.0}


register_metric(Metric("accuracy", accuracy, reference="scikit-learn accuracy_score"))
register_metric(
    Metric(
        "macro_f1",
        lambda p, r: {},
        corpus=macro_f1,
        reference="scikit-learn f1_score(average='macro')",
    )
)
register_metric(
    Metric(
        "weighted_f1",
        lambda p, r: {},
        corpus=weighted_f1,
        reference="scikit-learn f1_score(average='weighted')",
    )
)
