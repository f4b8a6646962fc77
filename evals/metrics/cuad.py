"""CUAD metrics as the Baseweight benchmark reports them: token F1, answer detection, AUPR.

- ``token_f1``: the Baseweight benchmark's token F1: lowercase, strip ``[^\\w\\s]``, split on
  whitespace (articles are kept), multiset overlap F1, best over the gold spans. An absent
  clause has the gold answer ``"Not found."``, so abstaining scores 1.0 there and any other
  answer scores its token overlap with "Not found.".
- ``answer_detection_f1``: precision/recall/F1 of "a clause is present" (gold is not
  ``Not found.``) against "the model gave an answer" (prediction is not ``Not found.``).
- ``aupr``: CUAD's ``evaluate.py`` (``get_precisions_recalls`` / ``get_aupr``): answers
  (predictions other than ``Not found.``) ranked by confidence (mean token log-probability),
  a hit is ``get_jaccard`` >= 0.5 (IOU_THRESH) against a present clause, the curve starts at
  (recall 0, precision 1), precisions are made monotone from the right, and the area is taken
  with the trapezoid rule over recall. Items without a confidence are ranked last.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from parity.evals.metrics.base import Metric, register_metric
from parity.evals.metrics.overlap import f_measure, token_prf

NOT_FOUND = "Not found."
IOU_THRESH = 0.5
_NON_WORD = re.compile(r"[^\w\s]")


def baseweight_tokens(text: str) -> list[str]:
    """Baseweight's normalization: lowercase, drop ``[^\\w\\s]``, split on whitespace."""
    return _NON_WORD.sub("", text.lower()).split()


def is_absent(text: str) -> bool:
    """True for an abstention: empty or ``Not found.`` after normalization."""
    return baseweight_tokens(text) in ([], baseweight_tokens(NOT_FOUND))


def _f1(prediction: list[str], reference: list[str]) -> float:
    if not prediction or not reference:
        return float(prediction == reference)
    return token_prf(prediction, reference)[2]


def token_f1(prediction: str, references: Sequence[str]) -> dict[str, float]:
    """Token F1 of ``prediction`` against the best gold span (``Not found.`` for absent)."""
    pred = baseweight_tokens(prediction)
    return {"token_f1": max(_f1(pred, baseweight_tokens(ref)) for ref in references)}


def jaccard(prediction: str, ground_truth: str) -> float:
    """CUAD ``evaluate.py`` ``get_jaccard``: word-set IoU after dropping ``.,;:``, lowercasing
    and turning ``/`` into spaces."""
    for token in (".", ",", ";", ":"):
        ground_truth = ground_truth.replace(token, "")
        prediction = prediction.replace(token, "")
    truth = set(ground_truth.lower().replace("/", " ").split(" "))
    pred = set(prediction.lower().replace("/", " ").split(" "))
    return len(truth & pred) / len(truth | pred)


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
    return {
        "answer_detection_precision": precision,
        "answer_detection_recall": recall,
        "answer_detection_f1": f_measure(precision, recall),
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
    precisions, recalls, hits = [1.0], [0.0], 0  # CUAD's curve starts at (recall 0, precision 1)
    for rank, (_, pred, refs) in enumerate(answered, start=1):
        gold = [r for r in refs if not is_absent(r)]
        hits += any(jaccard(pred, truth) >= IOU_THRESH for truth in gold)
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
    Metric(
        "token_f1",
        token_f1,
        reference="Baseweight CUAD token F1 (lowercase, strip [^\\w\\s], articles kept)",
    )
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
register_metric(Metric("aupr", None, corpus=aupr, reference="CUAD evaluate.py get_aupr"))
