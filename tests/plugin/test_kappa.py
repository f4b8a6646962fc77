"""Cohen's kappa and agreement (parity.analysis.kappa) against scikit-learn's, on
generated raters, and the calibration block and its min_kappa gate."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import cohen_kappa_score, confusion_matrix

from parity.analysis.aggregation import Aggregator
from parity.analysis.gates import evaluate_gates
from parity.analysis.kappa import agreement
from parity.config.config import parse_config
from parity.record.record import EvalRecord, StageUsage

LABELS = st.sampled_from(["pass", "fail", "unsure"])


@st.composite
def two_raters(draw):
    n = draw(st.integers(1, 60))
    return draw(st.lists(LABELS, min_size=n, max_size=n)), draw(
        st.lists(LABELS, min_size=n, max_size=n)
    )


@pytest.mark.filterwarnings("ignore:A single label was found")
@settings(max_examples=400, deadline=None)
@given(two_raters())
def test_kappa_and_agreement_match_scikit_learn(raters):
    a, b = raters
    found = agreement(a, b)
    expected = cohen_kappa_score(a, b) if len(set(a) | set(b)) > 1 else math.nan
    if math.isnan(expected):
        assert found.kappa is None
    else:
        assert found.kappa == pytest.approx(expected, abs=1e-12)
    assert found.agreement == pytest.approx(sum(x == y for x, y in zip(a, b, strict=True)) / len(a))
    labels = sorted(set(a) | set(b))
    matrix = confusion_matrix(a, b, labels=labels)
    assert {
        (x, y): int(matrix[i][j])
        for i, x in enumerate(labels)
        for j, y in enumerate(labels)
        if matrix[i][j]
    } == found.confusion


def test_kappa_refuses_unequal_or_empty_ratings():
    with pytest.raises(ValueError, match="3 labels against 2"):
        agreement([1, 0, 1], [1, 0])
    with pytest.raises(ValueError, match="no items"):
        agreement([], [])


def calibrated_run(judge_scores, gold_scores, min_kappa, gold=None, path="cal.yaml"):
    gold = gold or {"against": "exact_match"}
    config = parse_config(
        [{"id": "cal", "model": {"name": "local:smollm2"}, "dataset": {"name": "hotpotqa"},
          "task": {"name": "rag_qa"},
          "metrics": ["exact_match", {"name": "judge", "model": "local:smollm2",
                                      "rubric": "correctness"}],
          "judge_calibration": {**gold, "min_kappa": min_kappa}}],
        path,
    )  # fmt: skip
    aggregator = Aggregator(config.experiments)
    for i, (j, g) in enumerate(zip(judge_scores, gold_scores, strict=True)):
        aggregator.add_report("cal", "passed", EvalRecord(
            "cal", f"e{i}", i, "m", scores={"exact_match": g, "judge_correctness": j},
            usage={"model": StageUsage(1, 1, 1.0, 0.0)},
        ))  # fmt: skip
    outcome = aggregator.outcomes["cal"]
    summary = outcome.summary()
    gates = evaluate_gates({"cal": outcome}, {"cal": summary}, {})
    return summary["judge_calibration"]["judge_correctness"], gates


def test_the_calibration_block_and_a_min_kappa_gate():
    judge = [1.0, 1.0, 0.0, 0.0, 1.0, 0.0, 1.0, 0.0]
    gold = [1.0, 1.0, 0.0, 0.0, 0.0, 1.0, 1.0, 0.0]
    block, [gate] = calibrated_run(judge, gold, 0.6)
    assert block["kappa"] == pytest.approx(cohen_kappa_score(judge, gold))  # 0.5
    assert block["agreement"] == 0.75 and block["n"] == 8
    assert block["confusion"] == {
        "judge_pass_gold_pass": 3, "judge_pass_gold_fail": 1,
        "judge_fail_gold_pass": 1, "judge_fail_gold_fail": 3,
    }  # fmt: skip
    assert (gate.test_name, gate.status) == ("min_kappa[cal-judge_correctness]", "failed")
    assert "Cohen's kappa = 0.5000 < min_kappa 0.6" in gate.message
    _, [passed] = calibrated_run(judge, gold, 0.5)
    assert passed.status == "passed"


def test_an_undefined_kappa_cannot_pass_a_gate():
    block, [gate] = calibrated_run([1.0] * 6, [1.0] * 6, 0.1)
    assert block["kappa"] is None and block["agreement"] == 1.0
    assert gate.status == "failed" and "kappa is undefined" in gate.message


def test_calibration_against_a_labelled_file_joins_by_example_id(tmp_path):
    labels = tmp_path / "labels.csv"
    labels.write_text("id,label\ne0,pass\ne1,fail\ne2,true\ne3,0\ne9,pass\n")
    config = tmp_path / "cal.yaml"
    config.write_text("")  # the labelled file is found beside the config
    block, [gate] = calibrated_run(
        [1.0, 1.0, 1.0, 0.0, 1.0], [0.0] * 5, 0.5, {"labels": "labels.csv"}, str(config)
    )
    assert block["against"] == "labels.csv" and block["n"] == 4  # e4 has no label
    assert block["confusion"] == {
        "judge_pass_gold_pass": 2, "judge_pass_gold_fail": 1,
        "judge_fail_gold_pass": 0, "judge_fail_gold_fail": 1,
    }  # fmt: skip
    assert block["kappa"] == pytest.approx(cohen_kappa_score([1, 1, 1, 0], [1, 0, 1, 0]))
    assert gate.status == "passed"
