"""Gates: floors (on the mean or the interval's lower end) and paired gates on the interval of
(candidate − baseline): passing, failing, inconclusive and unevaluable."""

import pytest

from parity.aggregation import Aggregator
from parity.baselines import BaselineSource
from parity.config import parse_config
from parity.gates import evaluate_gates
from parity.record import EvalRecord, StageUsage
from parity.verdicts import compare_all, holm_table, verdict_line
from tests.conftest import experiment


def record(example_id, index, f1):
    return EvalRecord(
        "x", example_id, index, "m", scores={"f1": f1, "exact_match": 0.0},
        usage={"model": StageUsage(1, 1, 1.0, 0.0)},
    )  # fmt: skip


def run(candidate, baseline, allow=False, **gates):
    """Gates of 'cand' (compared with 'base') after both report the given f1 scores."""
    config = parse_config(
        [experiment(id="base"), experiment(id="cand", baseline="base", **gates)], "t.yaml"
    )
    agg = Aggregator(config.experiments)
    for i, f1 in enumerate(baseline):
        agg.add_report("base", "passed", record(f"e{i}", i, f1))
    for i, f1 in enumerate(candidate):
        agg.add_report("cand", "passed", record(f"e{i}", i, f1))
    agg.expect(["base"] * len(baseline) + ["cand"] * len(candidate))
    summaries = {k: o.summary() for k, o in agg.outcomes.items() if o.reported}
    comparisons = compare_all(agg.outcomes, {"cand": BaselineSource("base")})
    results = evaluate_gates(agg.outcomes, summaries, comparisons, allow)
    return {g.name: g for g in results}, comparisons


def test_non_inferior_when_the_lower_bound_clears_the_margin():
    gates, comparisons = run([0.8] * 20, [0.8] * 20, max_drop={"f1": 0.05})
    gate = gates["cand::max_drop::f1"]
    assert gate.status == "passed" and gate.verdict == "non-inferior"
    assert "lower bound +0.000 > -0.050" in gate.message
    line = verdict_line(comparisons["cand"], "cand", "base", list(gates.values()))
    assert line.startswith("cand vs base  f1 +0.000 [+0.000, +0.000] n=20")
    assert line.endswith("-> f1 non-inferior (margin 0.05)")


def test_inferior_when_the_whole_interval_is_past_the_margin():
    gates, _ = run([0.1] * 20, [0.8] * 20, max_drop={"f1": 0.05})
    gate = gates["cand::max_drop::f1"]
    assert gate.status == "failed" and gate.verdict == "inferior"
    assert "upper bound -0.700 <= -0.050 -> inferior" in gate.message


def test_inconclusive_names_the_minimum_detectable_difference_and_the_n_needed():
    baseline = [0.8] * 20
    candidate = [0.8] * 18 + [0.3, 0.8]  # one example worse: difference -0.025
    gates, comparisons = run(candidate, baseline, max_drop={"f1": 0.05})
    gate = gates["cand::max_drop::f1"]
    delta = comparisons["cand"].metrics["f1"]
    assert delta.ci_low < -0.05 < delta.ci_high
    assert gate.status == "failed" and gate.verdict == "inconclusive"
    assert "minimum detectable difference is" in gate.message
    needed = delta.examples_needed(-0.05)
    assert needed is not None and needed > 20
    assert f"about {needed} pairs would decide it" in gate.message


def test_min_gain_is_a_superiority_gate():
    gates, _ = run([0.9] * 20, [0.5] * 20, min_gain={"f1": 0.2})
    assert gates["cand::min_gain::f1"].verdict == "superior"
    gates, _ = run([0.55] * 20, [0.5] * 20, min_gain={"f1": 0.2})
    assert gates["cand::min_gain::f1"].verdict == "not superior"


def test_threshold_on_the_lower_bound():
    values = [1.0, 0.0] * 10  # mean 0.5, Student-t interval about [0.26, 0.74]
    gates, _ = run(values, values, thresholds={"f1": 0.4}, threshold_mode="lower_bound")
    gate = gates["cand::threshold::f1"]
    assert gate.status == "failed" and gate.verdict == "inconclusive"
    assert "examples would decide it" in gate.message
    gates, _ = run(values, values, thresholds={"f1": 0.2}, threshold_mode="lower_bound")
    assert gates["cand::threshold::f1"].verdict == "met"
    gates, _ = run(values, values, thresholds={"f1": 0.4})  # the mean clears it
    assert gates["cand::threshold::f1"].status == "passed"


@pytest.mark.parametrize("allow", [False, True])
def test_a_gate_without_baseline_scores_fails_unless_allowed(allow):
    gates, comparisons = run([0.8] * 3, [], allow, max_drop={"f1": 0.05})
    gate = gates["cand::max_drop::f1"]
    assert gate.verdict == "unevaluable"
    assert gate.status == ("skipped" if allow else "failed")
    assert "could not be evaluated" in gate.message and "no item of base" in gate.message
    assert "--eval-allow-skipped-gates" in gate.message
    assert "no verdict" in verdict_line(comparisons["cand"], "cand", "base", [gate])


def test_holm_is_listed_only_for_several_gated_tests():
    gates, comparisons = run([0.8] * 20, [0.8] * 20, max_drop={"f1": 0.05})
    assert holm_table(comparisons, list(gates.values())) == []
    gates, comparisons = run([0.8] * 20, [0.8] * 20, max_drop={"f1": 0.05, "exact_match": 0.05})
    table = holm_table(comparisons, list(gates.values()))
    assert [row["metric"] for row in table] == ["f1", "exact_match"]
    assert all(row["p_holm"] >= row["p_value"] for row in table)
