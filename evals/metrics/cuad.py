"""CUAD metrics as the Baseweight benchmark reports them: token F1, answer detection, AUPR.

- ``token_f1``: SQuAD-normalized token F1 against the best gold span; an absent clause has
  the gold answer ``"Not found."``, so abstaining correctly scores 1.0.
- ``answer_detection_f1``: precision/recall/F1 of "a clause is present" (gold is not
  ``Not found.``) against "the model gave an answer" (prediction is not ``Not found.``).
- ``aupr``: CUAD's ``evaluate.py``: answers (predictions other than ``Not found.``) ranked by
  confidence (mean token log-probability), a hit is token F1 >= 0.5 against a present clause,
  precisions made monotone from the right, and the area taken with the trapezoid rule over
  recall. Items without a confidence are ranked last.
"""

from __future__ import annotations

from collections.abc import Sequence

from parity.evals.metrics.base import Metric, register_metric
from parity.evals.metrics.longbench import _f1
from parity.evals.metrics.squad import normalize_answer

NOT_FOUND = "Not found."
HIT_THRESHOLD = 0.5


def is_absent(text: str) -> bool:
    """True for an abstention: empty or ``Not found.`` after normalization."""
    normalized = normalize_answer(text)
    return normalized in ("", normalize_answer(NOT_FOUND))


def span_f1(prediction: str, references: Sequence[str]) -> float:
    """Best token F1 of ``prediction`` over ``references``."""
    pred = normalize_answer(prediction).split()
    best = 0.0
    for ref in references:
        ref_tokens = normalize_answer(ref).split()
        best = max(
            best, float(pred == ref_tokens) if not pred or not ref_tokens else _f1(pred, ref_tokens)
        )
    return best


def token_f1(prediction: str, references: Sequence[str]) -> dict[str, float]:
    """Token F1; both sides abstaining counts as a perfect match."""
    if all(is_absent(ref) for ref in references):
        return {"token_f1": float(is_absent(prediction))}
    if is_absent(prediction):
        return {"token_f1": 0.0}
    return {"token_f1": span_f1(prediction, [r for r in references if not is_absent(r)])}


def answer_detection(
    predictions: Sequence[str], references: Sequence[Sequence[str]], _conf=None
) -> dict[str, float]:
    """Precision, recall and F1 of detecting that a clause is present."""
    tp = fp = fn = 0
    for prediction, refs in zip(predictions, references, strict=True):
        present = not all(is_absent(r) for r in refs)
        answered = not is_absent(prediction)
        tp += present and answered
        fp += answered and not present
        fn += present and not answered
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "answer_detection_precision": precision,
        "answer_detection_recall": recall,
        "answer_detection_f1": f1,
    }


def aupr(
    predictions: Sequence[str],
    references: Sequence[Sequence[str]],
    confidences: Sequence[float | None],
) -> dict[str, float]:
    """Area under the precision-recall curve of confidence-ranked answers (CUAD)."""
    positives = sum(not all(is_absent(r) for r in refs) for refs in references)
    answered = [
        (conf if conf is not None else float("-inf"), pred, refs)
        for pred, refs, conf in zip(predictions, references, confidences, strict=True)
        if not is_absent(pred)
    ]
    if not positives or not answered:
        return {"aupr": 0.0}
    answered.sort(key=lambda item: item[0], reverse=True)
    precisions, recalls, hits = [], [], 0
    for rank, (_, pred, refs) in enumerate(answered, start=1):
        gold = [r for r in refs if not is_absent(r)]
        hits += bool(gold) and span_f1(pred, gold) >= HIT_THRESHOLD
        precisions.append(hits / rank)
        recalls.append(hits / positives)
    for i in range(len(precisions) - 2, -1, -1):
        precisions[i] = max(precisions[i], precisions[i + 1])
    area = sum(
        (recalls[i] - recalls[i - 1]) * (precisions[i] + precisions[i - 1]) / 2
        for i in range(1, len(recalls))
    )
    return {"aupr": area}


register_metric(
    Metric("token_f1", token_f1, reference="Baseweight CUAD token F1 (SQuAD normalization)")
)
register_metric(
    Metric(
        "answer_detection_f1",
        lambda p, r: {},
        corpus=answer_detection,
        outputs=("answer_detection_precision", "answer_detection_recall", "answer_detection_f1"),
        reference="Baseweight CUAD answer-detection F1",
    )
)
register_metric(Metric("aupr", lambda p, r: {}, corpus=aupr, reference="CUAD evaluate.py get_aupr"))
