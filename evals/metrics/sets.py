"""Set metrics for list answers (ETHIC-style extraction) and retrieval metrics for passage ids.

A prediction is split into items on newlines, semicolons and commas (list markers and
numbering removed); items are compared after SQuAD normalization. References are the gold
items. Precision is |pred ∩ gold| / |pred|, recall |pred ∩ gold| / |gold|, F1 their harmonic
mean, and set exact match 1.0 when the two sets are equal. Retrieval metrics apply the same
definitions to passage identifiers (e.g. ``[1, 4]``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from parity.evals.metrics.base import Metric, register_metric
from parity.evals.metrics.overlap import f_measure
from parity.evals.metrics.squad import normalize_answer

_SPLIT = re.compile(r"[\n;,]+")
_MARKER = re.compile(r"^\s*(?:[-*•]|\d+[.)]|\(\d+\))\s*")
_IDS = re.compile(r"\d+")


def split_items(text: str) -> list[str]:
    """The items of a list answer, marker-free and normalized, empty ones dropped."""
    items = (normalize_answer(_MARKER.sub("", part)) for part in _SPLIT.split(text))
    return [item for item in items if item]


def passage_ids(text: str) -> set[str]:
    """Every integer in ``text`` (``"[2, 5]"`` -> {"2", "5"})."""
    return set(_IDS.findall(text))


def set_scores(predicted: Iterable[str], gold: Iterable[str], prefix: str) -> dict[str, float]:
    """Precision, recall, F1 (and exact match for ``set``) of two item sets."""
    pred, ref = set(predicted), set(gold)
    same = len(pred & ref)
    precision = same / len(pred) if pred else float(not ref)
    recall = same / len(ref) if ref else float(not pred)
    f1 = f_measure(precision, recall)
    scores = {f"{prefix}_precision": precision, f"{prefix}_recall": recall, f"{prefix}_f1": f1}
    if prefix == "set":
        scores["set_exact_match"] = float(pred == ref)
    return scores


def _set_metric(output: str):
    def score(prediction: str, references: Sequence[str]) -> dict[str, float]:
        gold = {normalize_answer(r) for r in references if normalize_answer(r)}
        return {output: set_scores(split_items(prediction), gold, "set")[output]}

    return score


def _retrieval_metric(output: str):
    def score(prediction: str, references: Sequence[str]) -> dict[str, float]:
        gold = {ref.strip() for ref in references}
        return {output: set_scores(passage_ids(prediction), gold, "retrieval")[output]}

    return score


for _name in ("set_exact_match", "set_precision", "set_recall", "set_f1"):
    register_metric(Metric(_name, _set_metric(_name), reference="ScaleBench set metrics"))
for _name in ("retrieval_precision", "retrieval_recall", "retrieval_f1"):
    register_metric(
        Metric(_name, _retrieval_metric(_name), reference="ScaleBench retrieval metrics")
    )
