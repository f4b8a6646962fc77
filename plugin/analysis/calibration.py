"""Judge calibration: how far a judge agrees with gold labels, in an experiment's summary.

``judge_calibration: {against: exact_match}`` compares each judge's verdict with another
score of the same items (or ``labels: FILE``, pass/fail by example id). Scores are read as
pass/fail: a score of at least ``threshold``
(default 0.5) passes, so a pass_fail judge's 1/0 and exact match's 1/0 are themselves, and a
1-5 judge passes from 3 up ((3 - 1) / 4 = 0.5). The block gives the items compared, the raw
agreement, Cohen's kappa (:mod:`parity.analysis.kappa`; agreement beyond chance) and the
confusion of judge vs gold; ``min_kappa`` gates on the kappa.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from parity.analysis.kappa import agreement
from parity.config.judges import JudgeCalibration
from parity.record.record import EvalRecord

CELLS = {  # (judge passes, gold passes) -> the confusion cell's name
    (True, True): "judge_pass_gold_pass",
    (True, False): "judge_pass_gold_fail",
    (False, True): "judge_fail_gold_pass",
    (False, False): "judge_fail_gold_fail",
}


def calibration_block(
    calibration: JudgeCalibration, records: Sequence[EvalRecord]
) -> dict[str, dict[str, Any]]:
    """Per calibrated judge: ``against``, ``threshold``, ``n``, ``agreement``, ``kappa``
    (None when undefined or nothing was compared) and ``confusion``."""
    block: dict[str, dict[str, Any]] = {}
    gold_name, threshold = calibration.against, calibration.threshold
    for judge in calibration.judges:
        rows = [r for r in records if judge in r.scores and _gold(calibration, r) is not None]
        entry: dict[str, Any] = {
            "against": gold_name,
            "threshold": threshold,
            "n": len(rows),
            "agreement": None,
            "kappa": None,
            "confusion": dict.fromkeys(CELLS.values(), 0),
        }
        if rows:
            found = agreement(
                [r.scores[judge] >= threshold for r in rows],
                [_gold(calibration, r) for r in rows],
            )
            entry["agreement"], entry["kappa"] = found.agreement, found.kappa
            entry["confusion"].update({CELLS[cell]: n for cell, n in found.confusion.items()})
        block[judge] = entry
    return block


def _gold(calibration: JudgeCalibration, record: EvalRecord) -> bool | None:
    """The gold verdict of ``record``: its label in the labelled file, else its ``against``
    score at least ``threshold``; None when it has none."""
    if calibration.labels is not None:
        return calibration.labels.get(record.example_id)
    score = record.scores.get(calibration.against)
    return None if score is None else score >= calibration.threshold
