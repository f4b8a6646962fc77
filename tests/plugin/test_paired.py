"""Paired comparisons against scipy and hand-checked numbers."""

import math

import numpy as np
import pytest
from scipy import stats

from parity.analysis.paired import (
    JACKKNIFE,
    MCNEMAR,
    NO_SPREAD,
    PERMUTATION,
    TANGO,
    WILCOXON,
    PairedComparison,
    agreeing_pairs_needed,
    compare,
    difference_interval,
    examples_needed,
    holm,
    minimum_detectable,
)
from parity.analysis.stats import (
    CORPUS_MIN_PAIRS,
    SKEW_T,
    STUDENT_T,
    paired_proportion_interval,
    tango_interval,
)
from parity.config.config import parse_config
from parity.record.record import EvalRecord, StageUsage
from tests.conftest import experiment
from tests.support.hall import jackknife_by_hand


def record(example_id, index, scores, tokens=100, latency=10.0, cost=0.01, prediction="", gold=("",), subset=None):  # fmt: skip
    metadata = {"subset": subset} if subset else {}
    return EvalRecord(
        "x", example_id, index, "m", prediction=prediction, references=list(gold), scores=scores,
        usage={"model": StageUsage(tokens, 1, latency, cost)}, metadata=metadata,
    )  # fmt: skip


def f1_experiment(**extra):
    return parse_config([experiment(**extra)], "t.yaml").experiments[0]


def test_binary_scores_get_exact_mcnemar_and_tangos_paired_interval():
    # 10 pairs: 6 where only the candidate is right, 1 where only the baseline is, 3 ties
    base = [0, 0, 0, 0, 0, 0, 1, 1, 0, 1]
    cand = [1, 1, 1, 1, 1, 1, 0, 1, 0, 1]
    exp = f1_experiment()
    pairs = [
        (
            record(str(i), i, {"exact_match": c, "f1": c}),
            record(str(i), i, {"exact_match": b, "f1": b}),
        )
        for i, (b, c) in enumerate(zip(base, cand, strict=True))
    ]
    result = compare(exp, "base", [p[0] for p in pairs], [p[1] for p in pairs])
    delta = result.metrics["exact_match"]
    assert delta.test == MCNEMAR
    # two-sided exact binomial on the 7 discordant pairs: 2 * (1 + 7) / 128
    assert delta.p_value == pytest.approx(16 / 128)
    assert delta.p_value == pytest.approx(stats.binomtest(6, 7, 0.5).pvalue)
    assert delta.difference == pytest.approx(0.5)
    assert (delta.baseline, delta.candidate) == (pytest.approx(0.3), pytest.approx(0.8))
    diffs = [c - b for b, c in zip(base, cand, strict=True)]
    # only the candidate 6, only the baseline 1 of 10 (Tango's score interval, checked against
    # a published figure in test_stats)
    assert delta.interval == TANGO
    assert (delta.ci_low, delta.ci_high) == pytest.approx(tango_interval(6, 1, 10))
    assert delta.sd_difference == pytest.approx(np.std(diffs, ddof=1))
    assert result.n_pairs == 10


def test_graded_scores_get_wilcoxon_signed_rank():
    base = [0.2, 0.5, 0.9, 0.4, 0.3, 0.8, 0.6, 0.1]
    cand = [0.3, 0.45, 0.7, 0.4, 0.6, 0.85, 0.2, 0.15]
    exp = f1_experiment(metrics=["f1"])
    result = compare(
        exp, "base",
        [record(str(i), i, {"f1": v}) for i, v in enumerate(cand)],
        [record(str(i), i, {"f1": v}) for i, v in enumerate(base)],
    )  # fmt: skip
    delta = result.metrics["f1"]
    assert delta.test == WILCOXON
    assert delta.p_value == pytest.approx(stats.wilcoxon(cand, base).pvalue)
    diffs = np.subtract(cand, base)
    assert delta.difference == pytest.approx(diffs.mean())
    assert delta.interval == SKEW_T
    # skewness -0.63: Hall's correction moves the low end out; the high end stays Student t's
    reference = stats.ttest_rel(cand, base).confidence_interval(0.95)
    assert delta.ci_low < reference.low - 0.005
    assert delta.ci_high == pytest.approx(reference.high, rel=1e-12)


def test_identical_sides_keep_an_interval_of_agreeing_pairs_and_p_one():
    exp = f1_experiment(metrics=["f1"])
    records = [record(str(i), i, {"f1": v}) for i, v in enumerate([0.1, 0.5, 0.9])]
    delta = compare(exp, "base", records, records).metrics["f1"]
    assert (delta.difference, delta.p_value, delta.interval) == (0.0, 1.0, NO_SPREAD)
    # as wide as three agreeing 0/1 pairs': no spread is not certainty
    assert (delta.ci_low, delta.ci_high) == pytest.approx(paired_proportion_interval(0, 0, 0, 3))
    assert delta.ci_high > 0.5


def test_corpus_metric_resamples_pairs_and_permutes_sides():
    labels = ["a", "b", "c", "a", "b", "c", "a", "b"]
    base_pred = ["a", "b", "c", "a", "c", "c", "b", "b"]
    cand_pred = ["a", "a", "c", "b", "b", "c", "a", "a"]
    exp = f1_experiment(metrics=["macro_f1"], dataset={"name": "banking77", "source": "shipped"},
                        task={"name": "classification"})  # fmt: skip
    cand = [
        record(str(i), i, {}, prediction=p, gold=[g])
        for i, (p, g) in enumerate(zip(cand_pred, labels, strict=True))
    ]
    base = [
        record(str(i), i, {}, prediction=p, gold=[g])
        for i, (p, g) in enumerate(zip(base_pred, labels, strict=True))
    ]
    delta = compare(exp, "base", cand, base).metrics["macro_f1"]
    from sklearn.metrics import f1_score

    def macro(pred, idx):
        return f1_score(
            [labels[i] for i in idx], [pred[i] for i in idx], average="macro", zero_division=0
        )

    everything = range(len(labels))
    assert delta.corpus_level and delta.test == PERMUTATION
    assert delta.baseline == pytest.approx(macro(base_pred, everything))
    assert delta.candidate == pytest.approx(macro(cand_pred, everything))
    # the jackknife t interval by hand: each pair left out once, t with 7 degrees of freedom,
    # widened to Hall's end for the pseudo-values' skewness
    left_out = [
        macro(cand_pred, [j for j in everything if j != i])
        - macro(base_pred, [j for j in everything if j != i])
        for i in everything
    ]
    error = math.sqrt(7 / 8 * sum((v - np.mean(left_out)) ** 2 for v in left_out))
    expected = jackknife_by_hand(8, lambda idx: macro(cand_pred, idx) - macro(base_pred, idx))
    assert (delta.interval, delta.interval_min_pairs) == (JACKKNIFE, CORPUS_MIN_PAIRS)
    assert (delta.ci_low, delta.ci_high) == pytest.approx(expected, rel=1e-9)
    assert delta.sd_difference == pytest.approx(error * math.sqrt(8))
    # 8 pairs: 2**8 = 256 side swaps < 999, so scipy enumerates them all (an exact test)
    swapped = []
    for mask in range(256):
        c = [base_pred[i] if mask >> i & 1 else cand_pred[i] for i in everything]
        b = [cand_pred[i] if mask >> i & 1 else base_pred[i] for i in everything]
        swapped.append(macro(c, everything) - macro(b, everything))
    observed = delta.difference
    exact = sum(abs(s) >= abs(observed) - 1e-12 for s in swapped) / 256
    assert delta.p_value == pytest.approx(exact)


def test_unpaired_examples_are_counted_and_named_and_resources_are_paired():
    exp = f1_experiment(metrics=["f1"])
    cand = [record("a", 0, {"f1": 1.0}, tokens=30, cost=0.003, latency=40.0),
            record("b", 1, {"f1": 1.0}, tokens=30, cost=0.003, latency=60.0),
            record("only-cand", 2, {"f1": 1.0})]  # fmt: skip
    base = [record("a", 0, {"f1": 1.0}, tokens=100, cost=0.01, latency=100.0),
            record("b", 1, {"f1": 1.0}, tokens=100, cost=0.01, latency=100.0),
            record("only-base", 3, {"f1": 0.0})]  # fmt: skip
    result = compare(exp, "base", cand, base, lost=({"only-base": "failed"}, {"gone": "skipped"}))
    assert result.n_pairs == 2
    assert (result.only_candidate, result.only_baseline) == (["only-cand"], ["only-base"])
    assert result.unpaired == {
        "gone": "missing on the candidate side and skipped on the baseline side",
        "only-base": "failed on the candidate side",
        "only-cand": "missing on the baseline side",
    }
    assert result.n_examples == 5 and result.missing_share == pytest.approx(0.6)
    assert result.resources["input_tokens"]["change"] == pytest.approx(-0.70)
    assert result.resources["cost_usd"]["change"] == pytest.approx(-0.70)
    assert result.resources["latency_p50_ms"]["change"] == pytest.approx(-0.50)


def test_repeats_are_averaged_into_one_pair_per_example():
    exp = f1_experiment(metrics=["f1"])
    cand = [record("a", 0, {"f1": 1.0}), record("a", 0, {"f1": 0.0}), record("b", 1, {"f1": 1.0})]
    base = [record("a", 0, {"f1": 0.0}), record("b", 1, {"f1": 0.0}), record("b", 1, {"f1": 0.0})]
    delta = compare(exp, "base", cand, base).metrics["f1"]
    assert delta.n_pairs == 2 and delta.difference == pytest.approx((0.5 + 1.0) / 2)


def test_holm_step_down_by_hand():
    # sorted: 0.01*3 = 0.03, 0.03*2 = 0.06, 0.04*1 = 0.04 -> kept monotone at 0.06
    assert holm([0.01, 0.04, 0.03]) == pytest.approx([0.03, 0.06, 0.06])
    assert holm([0.5, 0.9]) == pytest.approx([1.0, 1.0])


def paired_t_power(effect, sd, n):
    """Two-sided 95% paired t test's power at a true mean difference ``effect``."""
    df, ncp = n - 1, effect / (sd / math.sqrt(n))
    critical = stats.t.ppf(0.975, df)
    return stats.nct.sf(critical, df, ncp) + stats.nct.sf(critical, df, -ncp)  # both tails


@pytest.mark.parametrize("n", [2, 5, 8, 32, 500])
def test_minimum_detectable_difference_has_80_percent_paired_t_power(n):
    mdd = minimum_detectable(0.2, n)
    assert paired_t_power(mdd, 0.2, n) == pytest.approx(0.80, abs=1e-4)
    assert minimum_detectable(0.2, 1) == math.inf


def test_minimum_detectable_difference_at_8_pairs_uses_t_not_z():
    assert minimum_detectable(1.0, 8) * math.sqrt(8) == pytest.approx(3.2697, abs=1e-3)
    assert minimum_detectable(1.0, 8) == pytest.approx(1.156, abs=1e-3)  # z gave 0.990


def test_examples_needed_is_the_first_n_whose_t_interval_clears_the_bound():
    def lower_end(n):  # d - t(0.975, n-1) sd / sqrt(n), d = -0.01, sd = 0.2
        return -0.01 - stats.t.ppf(0.975, n - 1) * 0.2 / math.sqrt(n)

    needed = examples_needed(-0.01, 0.2, -0.05)
    assert lower_end(needed) > -0.05 >= lower_end(needed - 1)
    assert needed == 99  # z gave 97
    assert examples_needed(0.9, 0.01, -0.05) == 2  # never below two pairs
    assert examples_needed(-0.06, 0.2, -0.05) is None  # already past the margin


def test_holm_caps_each_adjusted_value_at_one():
    # 0.6 * 2 = 1.2 is capped to 1.0, not left past it
    assert holm([0.6, 0.9]) == [1.0, 1.0]
    assert holm([0.2, 0.9]) == pytest.approx([0.4, 0.9])
    assert holm([]) == []


def test_minimum_detectable_difference_without_pairs_is_infinite():
    assert minimum_detectable(0.2, 0) == math.inf


def test_two_pairs_have_a_spread_and_a_student_t_interval():
    exp = f1_experiment(metrics=["f1"])
    cand = [record("a", 0, {"f1": 0.9}), record("b", 1, {"f1": 0.4})]
    base = [record("a", 0, {"f1": 0.5}), record("b", 1, {"f1": 0.3})]
    delta = compare(exp, "base", cand, base).metrics["f1"]
    assert delta.sd_difference == pytest.approx(np.std([0.4, 0.1], ddof=1))
    assert delta.interval == STUDENT_T and delta.n_pairs == 2


def test_resources_compare_each_percentile_and_leave_an_empty_side_out():
    from parity.analysis.paired import _resources

    cand = [record(str(i), i, {}, tokens=50, cost=0.002, latency=v) for i, v in enumerate([40.0, 60.0])]  # fmt: skip
    base = [record(str(i), i, {}, tokens=100, cost=0.004, latency=100.0) for i in range(2)]
    resources = _resources(cand, base)
    assert resources["latency_p50_ms"] == {"baseline": 100.0, "candidate": 50.0, "change": -0.5}
    # numpy's linear p95 of [40, 60] is 59, not p94's 58.8 or p96's 59.2
    assert resources["latency_p95_ms"]["candidate"] == pytest.approx(59.0)
    assert resources["input_tokens"] == {"baseline": 100.0, "candidate": 50.0, "change": -0.5}
    assert resources["cost_usd"]["change"] == pytest.approx(-0.5)
    # one side without records: nothing to compare, never a division by zero
    assert _resources(cand, []) == {} and _resources([], base) == {}


def test_examples_needed_is_none_without_a_gap_or_a_spread():
    assert examples_needed(-0.05, 0.2, -0.05) is None  # already on the bound
    assert examples_needed(0.1, 0.0, -0.05) is None  # no spread: the t interval never helps
    assert examples_needed(math.nan, 0.2, -0.05) is None


def test_agreeing_pairs_needed_is_the_first_n_narrow_enough():
    from parity.analysis.paired import agreeing_pairs_needed

    for gap in (0.5, 0.2, 0.05):
        n = agreeing_pairs_needed(gap)
        assert n is not None
        half = paired_proportion_interval(0, 0, 0, n)[1]
        before = paired_proportion_interval(0, 0, 0, n - 1)[1]
        assert half < gap <= before, (gap, n)
    assert agreeing_pairs_needed(5.0) == 2  # never below two pairs
    assert agreeing_pairs_needed(0.0) is None


def test_a_constant_difference_keeps_the_agreeing_pairs_interval_clipped_to_one():
    exp = f1_experiment(metrics=["f1"])
    cand = [record(str(i), i, {"f1": 0.95}) for i in range(3)]
    base = [record(str(i), i, {"f1": 0.05}) for i in range(3)]
    delta = compare(exp, "base", cand, base).metrics["f1"]
    half = paired_proportion_interval(0, 0, 0, 3)[1]
    assert delta.interval == NO_SPREAD and delta.ci_high == 1.0
    assert delta.ci_low == pytest.approx(0.9 - half)
    assert delta.sd_difference == pytest.approx(0.0, abs=1e-12)
    needed = delta.examples_needed(0.5)  # pairs that all differ alike: agreeing pairs
    assert needed is not None and paired_proportion_interval(0, 0, 0, needed)[1] < 0.4
    flipped = compare(exp, "base", base, cand).metrics["f1"]
    assert flipped.ci_low == -1.0 and flipped.ci_high == pytest.approx(-0.9 + half)


def test_identical_binary_sides_get_mcnemar_p_one():
    exp = f1_experiment(metrics=["exact_match"])
    records = [record(str(i), i, {"exact_match": v}) for i, v in enumerate([1.0, 0.0, 1.0])]
    delta = compare(exp, "base", records, records).metrics["exact_match"]
    assert (delta.test, delta.p_value, delta.difference) == (MCNEMAR, 1.0, 0.0)


def test_a_score_missing_on_a_side_or_no_shared_example_compares_nothing():
    exp = f1_experiment()  # exact_match and f1
    cand = [record("a", 0, {"f1": 1.0}), record("b", 1, {"f1": 0.5})]
    base = [record("a", 0, {"f1": 0.0, "exact_match": 0.0}), record("b", 1, {"f1": 0.5, "exact_match": 1.0})]  # fmt: skip
    result = compare(exp, "base", cand, base)
    assert set(result.metrics) == {"f1"}
    disjoint = compare(exp, "base", cand, [record("z", 9, {"f1": 1.0, "exact_match": 1.0})])
    assert disjoint.metrics == {} and disjoint.n_pairs == 0 and disjoint.resources == {}
    assert disjoint.missing_share == 1.0


def test_the_comparison_as_data():
    exp = f1_experiment(metrics=["f1"])
    cand = [record("a", 0, {"f1": 1.0}), record("b", 1, {"f1": 1.0})]
    base = [record("a", 0, {"f1": 0.0})]
    result = compare(exp, "base", cand, base, lost=({}, {"b": "failed", "c": "failed"}))
    data = result.to_dict()
    assert (data["candidate"], data["baseline"], data["n_pairs"]) == (exp.id, "base", 1)
    assert (data["n_only_candidate"], data["n_only_baseline"]) == (1, 0)
    assert data["only_candidate"] == ["b"] and data["n_examples"] == 3
    assert data["unpaired"] == {
        "b": "failed on the baseline side",
        "c": "missing on the candidate side and failed on the baseline side",
    }
    assert result.missing_text() == (
        "1 failed on the baseline side, "
        "1 missing on the candidate side and failed on the baseline side"
    )
    # one pair: no minimum detectable difference (infinite), written as null
    assert data["metrics"]["f1"]["minimum_detectable_difference"] is None
    assert data["metrics"]["f1"]["n_pairs"] == 1
    assert data["metrics"]["f1"]["interval_min_pairs"] == 0  # per-example scores: no floor
    assert PairedComparison("x", "y", 0, {}, {}).missing_share == 0.0


def test_lost_on_both_sides_alike_is_said_once():
    exp = f1_experiment(metrics=["f1"])
    records = [record("a", 0, {"f1": 1.0})]
    lost = ({"b": "skipped", "c": "failed"}, {"b": "skipped", "c": "skipped"})
    result = compare(exp, "base", records, records, lost=lost)
    assert result.unpaired == {
        "b": "skipped on both sides",
        "c": "failed on the candidate side and skipped on the baseline side",
    }


def test_resource_changes_without_a_baseline_value_or_price():
    from parity.analysis.paired import _change, _stage_p50, _total_cost

    assert _change(0.0, 5.0) == {"baseline": 0.0, "candidate": 5.0, "change": None}
    assert _change(None, 5.0)["change"] is None and _change(2.0, None)["change"] is None
    assert _change(2.0, 3.0)["change"] == pytest.approx(0.5)
    priced = [record("a", 0, {}, cost=0.25), record("b", 1, {}, cost=0.5)]
    assert _total_cost(priced) == 0.75
    assert _total_cost([*priced, record("c", 2, {}, cost=None)]) is None
    assert _total_cost([]) is None
    staged = record("a", 0, {})
    staged.usage["compression"] = StageUsage(1, 1, 30.0, 0.0)
    assert _stage_p50([staged, record("b", 1, {})], "compression") == 30.0
    assert _stage_p50([record("b", 1, {})], "compression") is None


def test_resource_percentiles_differ_on_both_sides_and_the_compressor_overhead_is_paired():
    from parity.analysis.paired import COMPRESSION_P50, _resources

    def staged(i, latency, compression=None):
        made = record(str(i), i, {}, latency=latency)
        if compression is not None:
            made.usage["compression"] = StageUsage(1, 1, compression, 0.0)
        return made

    cand = [staged(0, 40.0, 10.0), staged(1, 60.0, 30.0)]
    base = [staged(0, 80.0), staged(1, 120.0)]
    resources = _resources(cand, base)
    # linear percentiles of two values: p50 is their middle, p95 19/20 of the way
    assert resources["latency_p50_ms"]["baseline"] == pytest.approx(100.0)
    assert resources["latency_p95_ms"]["baseline"] == pytest.approx(118.0)
    assert resources["latency_p95_ms"]["candidate"] == pytest.approx(88.0)  # 50 and 90 with stages
    assert resources[COMPRESSION_P50] == {"baseline": None, "candidate": 20.0, "change": None}


def test_one_pair_has_no_spread_and_an_unknown_minimum_detectable_difference():
    exp = f1_experiment(metrics=["f1"])
    delta = compare(exp, "base", [record("a", 0, {"f1": 0.9})], [record("a", 0, {"f1": 0.5})])
    assert delta.metrics["f1"].sd_difference == 0.0
    assert minimum_detectable(0.0, 1) == math.inf


def test_a_spread_difference_needs_student_t_pairs_and_wilcoxon_without_ties():
    exp = f1_experiment(metrics=["f1"])
    base = [0.2, 0.5, 0.9, 0.3, 0.1]
    cand = [0.3, 0.45, 0.7, 0.6, 0.15]  # no pair is tied
    delta = compare(
        exp, "base",
        [record(str(i), i, {"f1": v}) for i, v in enumerate(cand)],
        [record(str(i), i, {"f1": v}) for i, v in enumerate(base)],
    ).metrics["f1"]  # fmt: skip
    assert delta.p_value == pytest.approx(stats.wilcoxon(cand, base).pvalue)
    assert delta.examples_needed(-0.5) == examples_needed(
        delta.difference, delta.sd_difference, -0.5
    )


@pytest.mark.parametrize(
    ("difference", "sd", "bound"),
    [
        (-0.04999999999999999, 0.40, -0.05),  # 0.45 - 0.5 against max_drop 0.05
        (0.1 + 0.2, 0.2, 0.3),  # a lower_bound threshold met up to rounding
        (1e-17, 1.0, 0.0),
        (1e-160, 1.0, 0.0),  # (z·sd/gap)² overflows a float
        (0.1, math.inf, 0.0),
    ],
)
def test_pairs_needed_on_the_bound_up_to_rounding_is_none_at_once(difference, sd, bound):
    """A difference within rounding of its bound needs more than 2**53 pairs: counting up
    one by one never ended (n += 1 stops changing a float), and a gate hung the run."""
    assert examples_needed(difference, sd, bound) is None
    assert agreeing_pairs_needed(1e-300) is None


def test_pairs_needed_is_the_first_n_whose_t_interval_clears_the_bound():
    def half(k: int, sd: float) -> float:
        return stats.t.ppf(0.975, k - 1) * sd / math.sqrt(k)

    for difference, sd, bound in [(0.05, 0.2, 0.0), (0.1, 0.3, -0.05), (0.3, 0.1, 0.0)]:
        n = examples_needed(difference, sd, bound)
        assert n is not None and n >= 2
        assert half(n, sd) < difference - bound <= (half(n - 1, sd) if n > 2 else math.inf)


def test_differences_alike_up_to_rounding_get_the_no_spread_interval():
    """0.7 - 0.6 and 0.2 - 0.1 differ in their last bits: that is no spread, so the interval
    is the wide one of agreeing pairs, not a t interval of width 1e-16 that decided a gate."""
    base = np.array([0.1, 0.2, 0.3, 0.4, 0.5, 0.6])
    rounded = difference_interval(base + 0.1, base)
    exact = difference_interval(np.full(6, 0.6), np.full(6, 0.5))
    assert rounded[2] == exact[2] == NO_SPREAD
    assert rounded[:2] == pytest.approx(exact[:2]) and exact[1] - exact[0] > 0.7
    # scores outside [0, 1]: the interval is not clipped into [-1, 1] (it was inverted)
    low, high, _ = difference_interval(np.full(6, 43.0), np.full(6, 40.0))
    assert low < 3.0 < high


def hall(t, a):
    """Hall's (1992) transform of the t statistic, g(t) = t + a·t² + a²·t³/3 + a/2."""
    return t + a * t * t + a * a * t**3 / 3 + a / 2


@pytest.mark.parametrize(
    "diffs",
    [
        [0.0] * 31 + [-0.6],  # one pair of 32 broke: Hall's low end is far below Student t's
        [-0.3, -0.1, 0.0, 0.05, 0.1, 0.1, 0.15, 0.2],  # mildly skewed
        list(0.08 - np.random.default_rng(5).exponential(0.1, 12)),
    ],
)
def test_a_skewed_difference_gets_halls_skewness_corrected_end_where_it_reaches_further(diffs):
    diffs = np.array(diffs)
    n = len(diffs)
    # scores outside [0, 1] (no 0/1 bound): Hall's ends as they are
    low, high, name = difference_interval(diffs + 5.0, np.full(n, 5.0))
    assert name == SKEW_T
    centre, error = diffs.mean(), diffs.std(ddof=1) / math.sqrt(n)
    a = stats.skew(diffs, bias=False) / (3 * math.sqrt(n))
    critical = stats.t.ppf(0.975, n - 1)
    t_low, t_high = stats.ttest_1samp(diffs, 0.0).confidence_interval(0.95)
    # each end is Hall's (the t value whose g is ±critical) or Student t's, whichever is further
    hall_low = low if low < t_low - 1e-12 else None
    hall_high = high if high > t_high + 1e-12 else None
    assert hall_low is not None or hall_high is not None
    if hall_low is not None:
        assert hall((centre - hall_low) / error, a) == pytest.approx(critical, rel=1e-9)
    else:
        assert low == pytest.approx(t_low, rel=1e-12)
    if hall_high is not None:
        assert hall((centre - hall_high) / error, a) == pytest.approx(-critical, rel=1e-9)
    else:
        assert high == pytest.approx(t_high, rel=1e-12)


def test_one_broken_pair_in_32_reaches_three_times_further_down_than_student_t():
    diffs = np.array([0.0] * 31 + [-0.6])
    low, high, _ = difference_interval(diffs + 0.6, np.full(32, 0.6))
    t_low, t_high = stats.ttest_1samp(diffs, 0.0).confidence_interval(0.95)
    # by hand: mean -0.01875, standard error 0.01875, G1 -5.6572, a = G1 / (3√32) = -0.33336,
    # t₀.₉₇₅,₃₁ = 2.03951; g(t) = 2.03951 at t = (∛(1 + 3a(2.03951 - a/2)) - 1) / a = 6.1932,
    # so the low end is -0.01875 - 6.1932 · 0.01875 = -0.13487 (Student t's: -0.0570)
    centre = diffs.mean()
    assert low == pytest.approx(-0.13487, abs=1e-5) and low < centre - 3 * (centre - t_low)
    assert high == pytest.approx(t_high)  # Hall's high end (+0.0046) is inside Student t's


def test_a_corpus_metric_without_a_shared_example_compares_nothing():
    exp = f1_experiment(metrics=["macro_f1"], dataset={"name": "banking77", "source": "shipped"},
                        task={"name": "classification"})  # fmt: skip
    cand = [record("a", 0, {}, prediction="x", gold=["x"])]
    base = [record("z", 9, {}, prediction="y", gold=["y"])]
    result = compare(exp, "base", cand, base)
    assert result.metrics == {} and result.not_compared == {} and result.warnings == []


@pytest.mark.parametrize(
    ("offset", "spread", "expected"),
    [(0.1, 5e-10, NO_SPREAD), (0.1, 1.5e-9, SKEW_T), (3.0, 2.5e-9, NO_SPREAD)],
)
def test_rounding_is_judged_against_the_larger_of_one_and_the_largest_difference(
    offset, spread, expected
):
    """Differences that spread less than 1e-9 × max(1, |largest difference|) are alike."""
    base = np.array([1.0, 2.0, 3.0, 4.0])
    cand = base + offset + np.array([0.0, 0.0, spread, spread / 3])
    assert difference_interval(cand, base)[2] == expected
