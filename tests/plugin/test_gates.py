"""Gates: absolute floors and baseline drops on shared examples."""

from parity.aggregation import Aggregator
from parity.config import parse_config
from parity.gates import evaluate_gates
from parity.record import EvalRecord, StageUsage
from tests.conftest import experiment


def record(example_id, index, f1):
    return EvalRecord(
        "x", example_id, index, "m", scores={"f1": f1, "exact_match": 0.0},
        usage={"model": StageUsage(1, 1, 1.0, 0.0)},
    )  # fmt: skip


def outcomes(candidate_scores, baseline_scores, thresholds=None, max_drop=None):
    config = parse_config(
        [
            experiment(id="base"),
            experiment(
                id="cand",
                baseline="base",
                thresholds=thresholds or {"f1": 0.5},
                max_drop=max_drop or {"f1": 0.1},
            ),
        ],
        "t.yaml",
    )
    agg = Aggregator(config.experiments)
    for i, (example_id, f1) in enumerate(baseline_scores.items()):
        agg.add_report("base", "passed", record(example_id, i, f1))
    for i, (example_id, f1) in enumerate(candidate_scores.items()):
        agg.add_report("cand", "passed", record(example_id, i, f1))
    return {g.name: g for g in evaluate_gates(agg.outcomes)}


def test_threshold_and_baseline_pass():
    gates = outcomes({"a": 0.9, "b": 0.7}, {"a": 0.9, "b": 0.8})
    assert gates["cand::threshold::f1"].status == "passed"
    baseline = gates["cand::baseline::f1"]
    assert baseline.status == "passed" and abs(baseline.observed - 0.05) < 1e-12


def test_failures_carry_observed_value_and_limit():
    gates = outcomes({"a": 0.2, "b": 0.4}, {"a": 0.9, "b": 0.8})
    threshold = gates["cand::threshold::f1"]
    assert threshold.status == "failed" and "f1 = 0.3000 < threshold 0.5" in threshold.message
    drop = gates["cand::baseline::f1"]
    assert (
        drop.status == "failed" and drop.limit == 0.1 and "drop vs base = +0.5500" in drop.message
    )


def test_baseline_compares_only_shared_examples():
    # the baseline's extra example 'c' (score 0) must not lower its mean
    gates = outcomes({"a": 0.9, "b": 0.7}, {"a": 0.9, "b": 0.7, "c": 0.0})
    assert gates["cand::baseline::f1"].observed == 0.0
    assert "on 2 shared examples" in gates["cand::baseline::f1"].message


def test_gate_without_data_is_skipped_not_passed():
    gates = outcomes({"a": 0.9}, {})
    assert gates["cand::baseline::f1"].status == "skipped"
