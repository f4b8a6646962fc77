"""Gates: floors (on the mean or the interval's lower end) and paired gates on the interval of
(candidate − baseline): passing, failing, inconclusive and unevaluable."""

import pytest

from parity.analysis.aggregation import Aggregator
from parity.analysis.baselines import BaselineSource
from parity.analysis.gates import evaluate_gates
from parity.analysis.stats import wilson
from parity.analysis.verdicts import compare_all, holm_table, verdict_line
from parity.config.config import parse_config
from parity.record.record import EvalRecord, StageUsage
from tests.conftest import experiment
from tests.support.hall import hall_widened_t


def record(example_id, index, f1, **lost):
    return EvalRecord(
        "x", example_id, index, "m", scores={"f1": f1, "exact_match": 0.0},
        usage={"model": StageUsage(1, 1, 1.0, 0.0)}, **lost,
    )  # fmt: skip


LOST = {"failed": {"error": "ProviderError: 503"}, "skipped": {"skip_reason": "budget reached"}}


def run(candidate, baseline, allow=False, lost=None, **gates):
    """Gates of 'cand' (compared with 'base') after both report the given f1 scores; ``lost``
    maps (side, position) to failed or skipped: that item reports no score."""
    config = parse_config(
        [experiment(id="base"), experiment(id="cand", baseline="base", **gates)], "t.yaml"
    )
    agg = Aggregator(config.experiments)
    for side, scores in (("base", baseline), ("cand", candidate)):
        for i, f1 in enumerate(scores):
            outcome = (lost or {}).get((side, i))
            if outcome is None:
                agg.add_report(side, "passed", record(f"e{i}", i, f1))
            else:
                agg.add_report(side, outcome, record(f"e{i}", i, f1, **LOST[outcome]))
    agg.expect(["base"] * len(baseline) + ["cand"] * len(candidate))
    summaries = {k: o.summary() for k, o in agg.outcomes.items() if o.reported}
    comparisons = compare_all(agg.outcomes, {"cand": BaselineSource("base")})
    results = evaluate_gates(agg.outcomes, summaries, comparisons, allow)
    return {g.name: g for g in results}, comparisons


def test_non_inferior_when_the_lower_bound_clears_the_margin():
    gates, comparisons = run([0.81, 0.79] * 10, [0.8] * 20, max_drop={"f1": 0.05})
    gate = gates["cand::max_drop::f1"]
    assert gate.status == "passed" and gate.verdict == "non-inferior"
    assert "lower bound -0.005 > -0.050" in gate.message
    line = verdict_line(comparisons["cand"], "cand", "base", list(gates.values()))
    assert line.startswith("cand vs base  f1 +0.000 [-0.005, +0.005] n=20 |")
    assert line.endswith("-> f1 non-inferior (margin 0.05)")


def test_inferior_when_the_whole_interval_is_past_the_margin():
    gates, _ = run([0.1] * 20, [0.8] * 20, max_drop={"f1": 0.05})
    gate = gates["cand::max_drop::f1"]
    assert gate.status == "failed" and gate.verdict == "inferior"
    # no spread (every pair -0.7): the interval of 20 agreeing pairs, centred on -0.7
    assert "upper bound -0.539 <= -0.050 -> inferior" in gate.message


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
    gates, _ = run([0.52] * 20, [0.5] * 20, min_gain={"f1": 0.2})
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
    gates, _ = run([0.9] * 20, [0.9] * 20, thresholds={"f1": 0.4}, threshold_mode="lower_bound")
    gate = gates["cand::threshold::f1"]
    assert gate.verdict == "inconclusive" and "zero width" in gate.message


def test_a_lower_bound_threshold_wholly_above_the_interval_is_not_met():
    values = [0.1, 0.2] * 10  # mean 0.15, Student-t interval [0.1260, 0.1740]
    gates, _ = run(values, values, thresholds={"f1": 0.5}, threshold_mode="lower_bound")
    gate = gates["cand::threshold::f1"]
    assert (gate.status, gate.verdict) == ("failed", "not met")
    assert "upper bound 0.1740 < threshold 0.5 (threshold_mode: lower_bound)" in gate.message
    assert (gate.ci_low, gate.ci_high) == pytest.approx((0.1260, 0.1740), abs=1e-4)


@pytest.mark.parametrize(
    ("candidate", "baseline", "gate"),
    [([0.8], [0.8], {"max_drop": {"f1": 0.05}}), ([1.0], [0.0], {"min_gain": {"f1": 0.2}}),
     ([1.0] * 5, [0.0] * 5, {"min_gain": {"f1": 0.2}})],
    ids=["one-pair-non-inferior", "one-pair-superior", "five-pairs-superior"],
)  # fmt: skip
def test_fewer_pairs_than_min_pairs_never_decide(candidate, baseline, gate):
    gates, _ = run(candidate, baseline, **gate)
    (result,) = gates.values()
    assert result.status == "failed" and result.verdict == "inconclusive"
    assert f"inconclusive: n={len(candidate)} < min_pairs 6" in result.message
    gates, _ = run(candidate, baseline, min_pairs=1, **gate)  # a config may ask for fewer
    assert "min_pairs" not in next(iter(gates.values())).message


def test_a_zero_width_paired_interval_never_decides():
    from parity.analysis.gates import _paired
    from parity.analysis.paired import MetricDelta, PairedComparison

    delta = MetricDelta("f1", 0.5, 0.5, 0.0, 0.0, 0.0, "paired permutation", 1.0, 0.0, 40, True)
    comparison = PairedComparison("cand", "base", 40, {"f1": delta}, {})
    cand = parse_config([experiment(id="cand")], "t.yaml").experiments[0]
    gate = _paired(cand, "max_drop", "f1", 0.05, comparison)
    assert gate.verdict == "inconclusive" and "the interval has zero width" in gate.message


@pytest.mark.parametrize(
    ("lost", "why"),
    [({("base", 3): "failed"}, "1 failed on the baseline side"),
     ({("base", 3): "skipped"}, "1 skipped on the baseline side"),
     ({("cand", 0): "failed", ("base", 0): "failed", ("cand", 5): "skipped"},
      "1 failed on both sides, 1 skipped on the candidate side")],
    ids=["failed", "budget-skip", "both-sides"],
)  # fmt: skip
def test_a_gate_with_missing_pairs_is_inconclusive_and_the_verdict_counts_them(lost, why):
    candidate, baseline = [0.81, 0.79] * 4, [0.8] * 8
    gates, comparisons = run(candidate, baseline, lost=lost, max_drop={"f1": 0.3})
    gate = gates["cand::max_drop::f1"]
    n = 8 - len({i for _, i in lost})
    assert gate.verdict == "inconclusive"
    assert f"of 8 examples have no pair ({why}), over max_missing_share 0.0" in gate.message
    line = verdict_line(comparisons["cand"], "cand", "base", [gate])
    assert f" n={n} of 8 ({why}) |" in line
    assert comparisons["cand"].to_dict()["n_examples"] == 8
    gates, _ = run(candidate, baseline, lost=lost, max_drop={"f1": 0.3}, max_missing_share=0.25)
    assert gates["cand::max_drop::f1"].verdict == "non-inferior"


def run_repeats(lost_repeat, **gates):
    """'cand' (2 repeats of 8 examples) against 'base' (8 examples), the candidate's repeat
    ``lost_repeat`` = (example, repeat) failing."""
    model = {"name": "local:smollm2", "temperature": 0.7}
    config = parse_config(
        [experiment(id="base"),
         experiment(id="cand", baseline="base", repeats=2, model=model, **gates)], "t.yaml",
    )  # fmt: skip
    agg = Aggregator(config.experiments)
    for i in range(8):
        agg.add_report("base", "passed", record(f"e{i}", i, 0.8))
        for repeat in range(2):
            lost = LOST["failed"] if (i, repeat) == lost_repeat else {}
            scored = record(f"e{i}", i, 0.8 + (0.01 if i % 2 else -0.01), **lost)
            scored.metadata["repeat"] = repeat
            agg.add_report("cand", "failed" if lost else "passed", scored)
    agg.expect(["base"] * 8 + ["cand"] * 16)
    summaries = {k: o.summary() for k, o in agg.outcomes.items()}
    comparisons = compare_all(agg.outcomes, {"cand": BaselineSource("base")})
    return evaluate_gates(agg.outcomes, summaries, comparisons), comparisons


def test_an_example_that_lost_a_repeat_is_a_missing_pair():
    (gate,), comparisons = run_repeats((3, 1), max_drop={"f1": 0.3})
    why = "1 lost a repeat on the candidate side"
    assert gate.verdict == "inconclusive"
    assert f"1 of 8 examples have no pair ({why}), over max_missing_share 0.0" in gate.message
    line = verdict_line(comparisons["cand"], "cand", "base", [gate])
    assert f" n=7 of 8 ({why}) |" in line
    (gate,), _ = run_repeats((3, 1), max_drop={"f1": 0.3}, max_missing_share=0.25)
    assert gate.verdict == "non-inferior" and "on 7 pairs" in gate.message
    (gate,), comparisons = run_repeats(None, max_drop={"f1": 0.3})
    assert gate.verdict == "non-inferior" and not comparisons["cand"].unpaired


def run_selected(expected, unnamed_skip=False, **gates):
    """'cand' reports 7 of its ``expected`` items (and, given ``unnamed_skip``, one more that
    was skipped before it made a record) against 'base', which scored 10 examples."""
    config = parse_config(
        [experiment(id="base"), experiment(id="cand", baseline="base", **gates)], "t.yaml"
    )
    agg = Aggregator(config.experiments)
    for i in range(10):
        agg.add_report("base", "passed", record(f"e{i}", i, 0.8))
    for i in range(7):
        agg.add_report("cand", "passed", record(f"e{i}", i, 0.8 + (0.01 if i % 2 else -0.01)))
    if unnamed_skip:
        agg.add_report("cand", "skipped", None, "a skip mark")
    agg.expect(["base"] * 10 + ["cand"] * expected)
    summaries = {k: o.summary() for k, o in agg.outcomes.items()}
    comparisons = compare_all(agg.outcomes, {"cand": BaselineSource("base")})
    gates = evaluate_gates(agg.outcomes, summaries, comparisons)
    return {g.kind: g for g in gates}, verdict_line(comparisons["cand"], "cand", "base", gates)


def test_examples_a_side_did_not_run_are_named_apart_from_lost_ones():
    # -k deselected 3 of the candidate's examples: they were not run, and no pair is lost
    gates, line = run_selected(7, max_drop={"f1": 0.3})
    assert " n=7 (3 not run on the candidate side) |" in line
    assert gates["max_drop"].verdict == "non-inferior"
    # one selected item never reported (a lost worker): the 3 may be lost, so they count
    gates, line = run_selected(8, max_drop={"f1": 0.3})
    assert " n=7 of 10 (3 missing on the candidate side) |" in line
    assert gates["max_drop"].verdict == "inconclusive"
    # one item skipped before it made a record (its example unknown here): likewise
    gates, line = run_selected(8, unnamed_skip=True, max_drop={"f1": 0.3})
    assert " n=7 of 10 (3 missing on the candidate side) |" in line
    gates, _ = run_selected(8, True, thresholds={"f1": 0.5}, threshold_mode="lower_bound")
    assert "1 of 8 examples have no score (1 skipped)" in gates["threshold"].message


@pytest.mark.parametrize("allow", [False, True])
def test_a_gate_without_baseline_scores_fails_unless_allowed(allow):
    gates, comparisons = run([0.8] * 3, [], allow, max_drop={"f1": 0.05})
    gate = gates["cand::max_drop::f1"]
    assert gate.verdict == "unevaluable"
    assert gate.status == ("skipped" if allow else "failed")
    assert "could not be evaluated" in gate.message and "no item of base" in gate.message
    assert "--parity-allow-skipped-gates" in gate.message
    assert "--parity-allow-skipped " not in gate.message  # the run evaluated something
    assert "no verdict" in verdict_line(comparisons["cand"], "cand", "base", [gate])


def test_holm_is_listed_only_for_several_gated_tests():
    gates, comparisons = run([0.8] * 20, [0.8] * 20, max_drop={"f1": 0.05})
    assert holm_table(comparisons, list(gates.values())) == []
    gates, comparisons = run([0.8] * 20, [0.8] * 20, max_drop={"f1": 0.05, "exact_match": 0.05})
    table = holm_table(comparisons, list(gates.values()))
    assert [row["metric"] for row in table] == ["f1", "exact_match"]
    assert all(row["p_holm"] >= row["p_value"] for row in table)


@pytest.mark.parametrize(
    ("key", "value", "problem"),
    [("min_pairs", 0, "must be greater than 0"), ("max_missing_share", 1.5, "below 1")],
)
def test_gate_sample_options_are_checked(key, value, problem):
    from parity.config.errors import ConfigError

    with pytest.raises(ConfigError, match=f"key '{key}'.*{problem}"):
        parse_config([experiment(id="cand", **{key: value})], "t.yaml")


def _delta(low, high, sd=0.1, difference=0.0):
    from parity.analysis.paired import MetricDelta

    return MetricDelta("f1", 0.5, 0.5 + difference, difference, low, high, "t", 1.0, sd, 40)


def _paired_gate(delta, kind="max_drop", limit=0.05):
    from parity.analysis.gates import _paired
    from parity.analysis.paired import PairedComparison

    metrics = {} if delta is None else {"f1": delta}
    comparison = PairedComparison("cand", "base", 40, metrics, {})
    cand = parse_config([experiment(id="cand")], "t.yaml").experiments[0]
    return _paired(cand, kind, "f1", limit, comparison)


def test_a_paired_interval_ending_on_the_bound_is_decided_by_which_end():
    # max_drop 0.05: the bound is -0.05; the lower end must be above it, the upper end at or
    # below it is inferior
    assert _paired_gate(_delta(-0.05, 0.1)).verdict == "inconclusive"
    gate = _paired_gate(_delta(-0.2, -0.05, difference=-0.1))
    assert (gate.status, gate.verdict) == ("failed", "inferior")
    assert "upper bound -0.050 <= -0.050 -> inferior (margin 0.05)" in gate.message
    assert _paired_gate(_delta(-0.049, 0.1)).verdict == "non-inferior"


def test_an_inconclusive_gate_says_what_would_decide_it():
    spread = _paired_gate(_delta(-0.1, 0.1, sd=0.3))
    assert "at n=40 the minimum detectable difference is 0.136 (80% power" in spread.message
    assert "about 141 pairs would decide it if the difference stays at +0.000" in spread.message
    alike = _paired_gate(_delta(-0.1, 0.1, sd=0.0))
    assert "every pair differs by +0.000, so the interval is that of 40 agreeing pairs" in (
        alike.message
    )
    past = _paired_gate(_delta(-0.15, 0.03, sd=0.3, difference=-0.06))
    assert past.message.endswith(
        "the observed difference -0.060 is itself past the bound, so more pairs would not pass it"
    )


def test_a_metric_compared_on_one_side_only_cannot_be_evaluated():
    gate = _paired_gate(None)
    assert (gate.status, gate.verdict) == ("failed", "unevaluable")
    assert gate.message == "f1 was not scored on both sides of the pairs with base"
    assert gate.name == "cand::max_drop::f1" and gate.test_name == "max_drop[cand-f1]"


def _threshold_gate(stats, mode="lower_bound", floor=0.5):
    from parity.analysis.gates import _threshold

    config = parse_config([experiment(id="cand", threshold_mode=mode, min_pairs=1)], "t.yaml")
    agg = Aggregator(config.experiments)
    agg.add_report("cand", "passed", record("e0", 0, 0.5))
    return _threshold(agg.outcomes["cand"], {"metrics": {"f1": stats}}, "f1", floor)


def test_a_threshold_met_exactly_passes_and_an_upper_end_on_it_is_inconclusive():
    assert _threshold_gate({"mean": 0.5}, mode="mean").status == "passed"
    met = _threshold_gate({"mean": 0.6, "ci95_low": 0.5, "ci95_high": 0.7, "std": 0.1})
    assert met.verdict == "met" and "lower bound 0.5000 >= threshold 0.5" in met.message
    on_it = _threshold_gate({"mean": 0.4, "ci95_low": 0.3, "ci95_high": 0.5, "std": 0.1})
    assert on_it.verdict == "inconclusive"
    no_spread = _threshold_gate({"mean": 0.55, "ci95_low": 0.4, "ci95_high": 0.7})  # no std
    assert no_spread.message.endswith(
        "the interval straddles threshold 0.5: inconclusive (threshold_mode: lower_bound)"
    )


def test_a_lower_bound_threshold_is_held_to_min_pairs_and_max_missing_share():
    values = [0.9, 0.91] * 4  # lower bound about 0.90: met, on a whole sample of 8
    mode = {"thresholds": {"f1": 0.5}, "threshold_mode": "lower_bound"}
    assert run(values, values, **mode)[0]["cand::threshold::f1"].verdict == "met"
    (gate,) = run(values[:3], values[:3], **mode)[0].values()
    assert (gate.status, gate.verdict) == ("failed", "inconclusive")
    assert gate.message.endswith(
        "over 3 examples: inconclusive: n=3 < min_pairs 6 (threshold_mode: lower_bound)"
    )
    lost = {("cand", 2): "failed"}
    (gate,) = run(values, values, lost=lost, **mode)[0].values()
    assert gate.verdict == "inconclusive"
    why = "1 of 8 examples have no score (1 failed), over max_missing_share 0.0: the scores left"
    assert f"over 7 examples: inconclusive: {why}" in gate.message
    (gate,) = run(values, values, lost=lost, max_missing_share=0.25, **mode)[0].values()
    assert gate.verdict == "met"


def test_a_lower_bound_threshold_counts_items_never_reported_as_missing():
    from parity.analysis.gates import _threshold

    config = parse_config([experiment(id="cand", threshold_mode="lower_bound")], "t.yaml")
    agg = Aggregator(config.experiments)
    for i in range(8):
        agg.add_report("cand", "passed", record(f"e{i}", i, 0.9 + 0.01 * (i % 2)))
    agg.expect(["cand"] * 10)  # two items never reported (a lost worker)
    outcome = agg.outcomes["cand"]
    gate = _threshold(outcome, outcome.summary(), "f1", 0.5)
    assert gate.verdict == "inconclusive"
    assert "2 of 10 examples have no score (2 never reported)" in gate.message


def test_a_threshold_without_scores_cannot_be_evaluated():
    lost = {("cand", i): "failed" for i in range(3)}
    gates, _ = run([0.8] * 3, [0.8] * 3, lost=lost, thresholds={"f1": 0.5})
    gate = gates["cand::threshold::f1"]
    assert (gate.status, gate.verdict) == ("failed", "unevaluable")
    assert "no item of cand was scored (3 failed, 0 missing)" in gate.message


def test_a_deselected_experiment_has_no_gates_and_one_without_baseline_says_how_to_add_it():
    gates, _ = run([], [0.8] * 3, max_drop={"f1": 0.05}, thresholds={"f1": 0.5})
    assert gates == {}
    config = parse_config([experiment(id="solo", max_drop={"f1": 0.05})], "t.yaml")
    agg = Aggregator(config.experiments)
    agg.add_report("solo", "passed", record("e0", 0, 0.8))
    agg.expect(["solo"])
    (gate,) = evaluate_gates(agg.outcomes, {}, {})
    assert gate.verdict == "unevaluable" and "it has no baseline: add 'baseline:" in gate.message


def test_a_corpus_metrics_gate_needs_the_pairs_its_interval_is_trusted_from():
    from parity.analysis.paired import MetricDelta

    # 8 pairs clear min_pairs (6) but not a corpus interval's floor (10): an interval that
    # would pass is not trusted yet
    corpus = MetricDelta("f1", 0.5, 0.6, 0.1, 0.01, 0.2, "permutation", 0.1, 0.2, 8,
                         corpus_level=True, interval_min_pairs=10)  # fmt: skip
    gate = _paired_gate(corpus)
    assert (gate.status, gate.verdict) == ("failed", "inconclusive")
    assert "inconclusive: n=8 < 10, the fewest pairs a corpus metric's interval is trusted " in (
        gate.message
    )
    per_example = MetricDelta("f1", 0.5, 0.6, 0.1, 0.01, 0.2, "t", 0.1, 0.2, 8)
    assert _paired_gate(per_example).verdict == "non-inferior"
    at_the_floor = MetricDelta("f1", 0.5, 0.6, 0.1, 0.01, 0.2, "permutation", 0.1, 0.2, 10,
                               corpus_level=True, interval_min_pairs=10)  # fmt: skip
    assert _paired_gate(at_the_floor).verdict == "non-inferior"


def test_a_lower_bound_threshold_on_a_corpus_metric_needs_the_items_its_interval_needs():
    stats = {"mean": 0.9, "ci95_low": 0.8, "ci95_high": 0.95, "corpus_level": True}
    assert _threshold_gate(stats).verdict == "met"  # min_pairs 1, no interval floor
    gate = _threshold_gate({**stats, "interval_min_pairs": 10})
    assert gate.verdict == "inconclusive"
    assert "inconclusive: n=1 < 10, the fewest scores a corpus metric's interval" in gate.message
    assert _threshold_gate({**stats, "interval_min_pairs": 1}).verdict == "met"  # n=1 is enough


def test_a_score_not_compared_for_its_nan_value_is_inconclusive_not_skippable():
    from parity.analysis.gates import _paired
    from parity.analysis.paired import PairedComparison

    cand = parse_config([experiment(id="cand")], "t.yaml").experiments[0]
    nan_corpus = PairedComparison("cand", "base", 40, {}, {},
                                  not_compared={"f1": "its value is nan on the candidate's side"})  # fmt: skip
    gate = _paired(cand, "max_drop", "f1", 0.05, nan_corpus)
    assert (gate.status, gate.verdict) == ("failed", "inconclusive")
    assert gate.message == (
        "f1 vs base: inconclusive: its value is nan on the candidate's side (margin 0.05)"
    )
    no_pairs = PairedComparison("cand", "base", 0, {}, {}, unpaired={"e0": "lost a repeat on the candidate side"})  # fmt: skip
    gate = _paired(cand, "min_gain", "f1", 0.02, no_pairs)
    assert gate.verdict == "inconclusive"
    assert "n=0 < min_pairs 6, 1 lost a repeat on the candidate side (gain 0.02)" in gate.message


def test_an_example_that_lost_a_repeat_everywhere_still_gets_a_comparison():
    config = parse_config(
        [experiment(id="base"),
         experiment(id="cand", baseline="base", repeats=2, max_drop={"f1": 0.1},
                    model={"name": "local:smollm2", "temperature": 0.7})], "t.yaml",
    )  # fmt: skip
    agg = Aggregator(config.experiments)
    for i in range(8):
        agg.add_report("base", "passed", record(f"e{i}", i, 0.5))
        agg.add_report("cand", "passed", record(f"e{i}", i, 0.5))
        agg.add_report("cand", "failed", record(f"e{i}", i, 0.5, **LOST["failed"]))
    comparison = compare_all(agg.outcomes, {"cand": BaselineSource("base")})["cand"]
    assert not isinstance(comparison, str), comparison
    assert comparison.n_pairs == 0 and len(comparison.unpaired) == 8


def test_a_lower_bound_threshold_on_0_1_scores_decides_on_wilsons_interval():
    """15 of 16 right against a floor of 0.8: Student t's interval [0.804, 1.0] called it met;
    Wilson's, [0.717, 0.989], straddles the floor (issue 28's outside review)."""
    values = [1.0] * 15 + [0.0]
    gates, _ = run(values, values, thresholds={"f1": 0.8}, threshold_mode="lower_bound")
    gate = gates["cand::threshold::f1"]
    assert (gate.status, gate.verdict) == ("failed", "inconclusive")
    assert (gate.ci_low, gate.ci_high) == pytest.approx(wilson(15, 16), abs=1e-12)
    assert "f1 = 0.9375 [0.7167, 0.9889] over 16 examples" in gate.message


def test_a_lower_bound_threshold_on_scores_at_a_ceiling_decides_on_the_hall_widened_t():
    """13 of 16 at 1.0 and three far below: Student t's lower end is 0.782, Hall's 0.408,
    held at Wilson's interval of the sum (14.4 of 16, the most any scores in [0, 1] with this
    mean can spread): 0.670."""
    values = [1.0] * 13 + [0.3, 0.5, 0.6]
    gates, _ = run(values, values, thresholds={"f1": 0.7}, threshold_mode="lower_bound")
    gate = gates["cand::threshold::f1"]
    assert gate.verdict == "inconclusive"
    assert hall_widened_t(values)[0] < 0.41
    assert gate.ci_low == pytest.approx(wilson(14.4, 16)[0], rel=1e-9)
