"""Summary statistics against hand-computed values."""

import math

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from scipy import stats

from parity.analysis.stats import (
    SKEW_T,
    STUDENT_T,
    WILSON,
    ci95,
    describe,
    import_ahead,
    jackknife_interval,
    mean_interval,
    paired_proportion_interval,
    percentile,
    skew_corrected_interval,
    std,
    t_critical,
    t_power_multiple,
    tango_interval,
    unit_scores_bound,
    wilson,
    z_critical,
)
from tests.support.hall import hall_widened_t


def test_std_is_sample_std_like_scalebench():
    # 4 ones and 6 zeros: ScaleBench reports std 0.52 (ddof=1), not 0.49
    values = [1.0] * 4 + [0.0] * 6
    assert std(values) == pytest.approx(math.sqrt(0.24 * 10 / 9))
    assert round(std(values), 2) == 0.52


def test_percentile_interpolates_linearly_like_numpy():
    values = [1.0, 2.0, 3.0, 4.0]
    assert percentile(values, 50) == 2.5
    assert percentile(values, 95) == pytest.approx(3.85)
    assert percentile([7.0], 95) == 7.0


def test_ci95_uses_student_t():
    values = [1.0, 2.0, 3.0]
    half = 4.302653 * 1.0 / math.sqrt(3)  # t(0.975, df=2)
    assert ci95(values) == pytest.approx((2 - half, 2 + half))
    assert ci95([5.0]) == (5.0, 5.0)
    assert t_critical(100) == pytest.approx(1.98397, abs=1e-4)  # scipy.stats.t.ppf(0.975, 100)


def test_critical_values_equal_scipy_stats_ppf_exactly():
    from scipy import stats

    for df in [1, 2, 3, 7, 29, 30, 31, 99, 100, 1_000, 99_999]:
        assert t_critical(df) == stats.t.ppf(0.975, df)
    for probability in [0.5, 0.8, 0.9, 0.975, 0.995]:
        assert z_critical(probability) == stats.norm.ppf(probability)


def test_describe_is_scalebenchs_block_with_its_values():
    # mean 2.5, sample std sqrt(5/3), p50 2.5, p95 3.85 (numpy's linear percentile)
    assert describe([4.0, 1.0, 3.0, 2.0]) == {
        "mean": 2.5,
        "std": pytest.approx(math.sqrt(5 / 3)),
        "p50": 2.5,
        "p95": pytest.approx(3.85),
    }
    assert describe([]) == {"mean": 0.0, "std": 0.0, "p50": 0.0, "p95": 0.0}
    assert describe([7.0]) == {"mean": 7.0, "std": 0.0, "p50": 7.0, "p95": 7.0}


@pytest.mark.parametrize(("k", "n"), [(0, 1), (0, 5), (3, 5), (5, 5), (12, 50), (49, 50)])
def test_wilson_interval_equals_scipys(k, n):
    from scipy import stats

    reference = stats.binomtest(k, n).proportion_ci(0.95, method="wilson")
    assert wilson(k, n) == pytest.approx((reference.low, reference.high), abs=1e-12)


@pytest.mark.parametrize(
    ("cells", "expected"),
    [((36, 12, 2, 0), (0.0569, 0.3404)), ((18, 12, 2, 18), (0.0562, 0.3290)),
     ((53, 0, 0, 1), (-0.0729, 0.0729))],
)  # fmt: skip
def test_paired_proportion_interval_reproduces_newcombes_published_figures(cells, expected):
    # Newcombe (1998), Statistics in Medicine 17:2635, Table II, method 10: (both, first
    # only, second only, neither) and the 95% interval of p1 - p2, to 4 decimals
    low, high = paired_proportion_interval(*cells)
    assert (round(low, 4), round(high, 4)) == expected


def test_paired_proportion_interval_stays_within_minus_one_and_one():
    assert paired_proportion_interval(0, 5, 0, 0)[1] == 1.0
    assert paired_proportion_interval(0, 0, 5, 0)[0] == -1.0
    low, high = paired_proportion_interval(0, 0, 0, 5)  # five agreeing pairs: still wide
    assert low == pytest.approx(-high) and high > 0.4


def test_a_summary_interval_clipped_to_zero_one_says_so():
    from parity.analysis.aggregation import score_block
    from parity.config.config import parse_config
    from parity.record.record import EvalRecord
    from parity.report.terminal import render_experiment
    from tests.conftest import experiment

    exp = parse_config([experiment(metrics=["f1"])], "t.yaml").experiments[0]

    def block(values):
        records = [EvalRecord("x", str(i), i, "m", scores={"f1": v}) for i, v in enumerate(values)]
        return score_block(exp, records)["f1"]

    clipped = block([1.0, 1.0, 1.0, 0.5])  # Student t: 0.875 ± 0.40
    assert clipped["ci95_high"] == 1.0 and clipped["ci_clipped"] is True
    assert block([0.4, 0.5, 0.6])["ci_clipped"] is False
    summary = {"model": "m", "mode": "baseline", "dataset": "d", "task": "t",
               "experiment_id": "x", "n_examples": 4, "n_failed": 0, "n_skipped": 0,
               "metrics": {"f1": clipped}, "latency_ms": {"p50": 1.0, "p95": 1.0},
               "tokens": {"avg_input_tokens": 1.0, "avg_output_tokens": 1.0},
               "cost": {"total_usd": None}}  # fmt: skip
    assert any("(clipped to [0, 1])" in line for line in render_experiment(summary, []))
    # scores outside [0, 1] (an extension metric's) are not proportions: never clipped
    negative = block([-0.5, -0.4, -0.6])
    assert negative["ci95_low"] < negative["ci95_high"] < 0 and negative["ci_clipped"] is False
    percent = block([40.0, 38.0, 42.0])
    assert 30 < percent["ci95_low"] < 40 < percent["ci95_high"] < 50
    # 0/1 scores get Wilson's interval, which never leaves [0, 1] (Student t: [0.804, 1.07])
    right = block([1.0] * 15 + [0.0])
    assert (right["ci95_low"], right["ci95_high"]) == pytest.approx(wilson(15, 16), abs=1e-12)
    assert right["ci_clipped"] is False


def test_the_interval_of_a_mean_is_wilsons_for_0_1_scores_and_hall_widened_t_otherwise():
    # 15 of 16 right: Wilson's lower end 0.7167 (scipy's binomtest), not Student t's 0.8043
    low, high, name = mean_interval([1.0] * 15 + [0.0])
    reference = stats.binomtest(15, 16).proportion_ci(0.95, method="wilson")
    assert name == WILSON
    assert (low, high) == pytest.approx((reference.low, reference.high), abs=1e-12)
    assert round(low, 4) == 0.7167
    # values crowding at 10 with a few far below: Hall's low end, far under Student t's
    values = [10.0] * 13 + [3.0, 5.0, 6.0]
    low, high, name = mean_interval(values)
    assert name == SKEW_T
    assert (low, high) == pytest.approx(hall_widened_t(values), rel=1e-9)
    assert low < stats.ttest_1samp(values, 0.0).confidence_interval(0.95)[0] - 3
    # the same as scores in [0, 1]: Hall's low end (0.407) held at Wilson's of the sum
    values = [1.0] * 13 + [0.3, 0.5, 0.6]
    low, high, name = mean_interval(values)
    student_low = stats.ttest_1samp(values, 0.0).confidence_interval(0.95)[0]
    assert hall_widened_t(values)[0] < wilson(14.4, 16)[0] == pytest.approx(low, abs=1e-12)
    assert round(low, 4) == 0.6695 < student_low - 0.1
    # a point when nothing spreads, or below two values; two values: Student t
    assert mean_interval([0.7] * 4) == (0.7, 0.7, STUDENT_T)
    assert mean_interval([0.3]) == (0.3, 0.3, STUDENT_T)
    assert mean_interval([0.25, 0.75])[:2] == pytest.approx(ci95([0.25, 0.75]))
    assert mean_interval([1.0, 1.0, 1.0])[:2] == pytest.approx(wilson(3, 3))


@pytest.mark.parametrize(
    ("better", "worse", "n", "expected"),
    [(1, 7, 21, (-0.517, -0.026))],
)
def test_tangos_interval_reproduces_a_published_figure(better, worse, n, expected):
    # Fagerland, Lydersen & Laake (2014), "Recommended tests and confidence intervals for
    # paired binomial proportions", Statistics in Medicine 33:2850, Table V: Tango's score
    # interval for airway hyper-responsiveness before and after stem cell transplantation
    # (Bentur et al. 2009; a 2x2 table 1, 1 / 7, 12: p1 - p2 = (1 - 7) / 21)
    low, high = tango_interval(better, worse, n)
    assert (round(low, 3), round(high, 3)) == expected


@pytest.mark.parametrize(
    ("better", "worse", "n"),
    [(1, 7, 21), (12, 2, 50), (0, 5, 40), (3, 0, 8), (0, 0, 10), (40, 20, 160), (0, 0, 3),
     (1, 0, 3), (0, 2, 3), (1, 1, 3), (2, 1, 4), (0, 15, 29), (14, 0, 29)],
)  # fmt: skip
def test_tangos_interval_ends_are_where_his_score_statistic_is_plus_or_minus_z(better, worse, n):
    """Tango's statistic at δ, by hand from his restricted maximum-likelihood estimate,
    solved with scipy's brentq: the ends agree to 1e-9, and swapping the sides mirrors them."""
    from scipy.optimize import brentq

    def score(delta):
        b = -better - worse + (2 * n - better + worse) * delta
        q = (math.sqrt(b * b + 8 * n * worse * delta * (1 - delta)) - b) / (4 * n)
        return (better - worse - n * delta) / math.sqrt(n * (2 * q + delta * (1 - delta)))

    z = stats.norm.ppf(0.975)
    eps = 1e-12
    low, high = tango_interval(better, worse, n)
    assert low == pytest.approx(brentq(lambda d: score(d) - z, -1 + eps, 1 - eps), abs=1e-9)
    assert high == pytest.approx(brentq(lambda d: score(d) + z, -1 + eps, 1 - eps), abs=1e-9)
    assert tango_interval(worse, better, n) == pytest.approx((-high, -low), abs=1e-12)


def test_tangos_interval_reaches_minus_or_plus_one_only_when_every_pair_lost_or_won():
    assert tango_interval(0, 10, 10)[0] == -1.0 and tango_interval(10, 0, 10)[1] == 1.0
    low, high = tango_interval(0, 0, 10)  # ten agreeing pairs: a width, centred on 0
    assert low == pytest.approx(-high) and 0.2 < high < 0.3
    assert tango_interval(0, 0, 0) == (-1.0, 1.0)


def test_two_values_have_a_spread_and_an_interval():
    assert std([1.0, 3.0]) == pytest.approx(math.sqrt(2))
    half = 12.706205 * math.sqrt(2) / math.sqrt(2)  # t(0.975, df=1)
    assert ci95([1.0, 3.0]) == pytest.approx((2 - half, 2 + half))
    assert std([4.0]) == 0.0


def test_percentile_ends_are_the_extremes():
    values = [3.0, 1.0, 4.0, 2.0]
    assert (percentile(values, 0), percentile(values, 100)) == (1.0, 4.0)
    assert percentile(values, 25) == pytest.approx(1.75)


def test_wilson_of_no_trials_is_the_whole_range():
    assert wilson(0, 0) == (0.0, 1.0)
    assert wilson(0, 5)[0] == 0.0 and wilson(5, 5)[1] == 1.0


def test_t_power_multiple_needs_two_pairs():
    from scipy import stats

    assert t_power_multiple(1, 0.8) == math.inf
    assert t_power_multiple(0, 0.8) == math.inf
    # at n = 2 (df 1): the noncentrality whose upper tail past t(0.975, 1) is 0.8
    multiple = t_power_multiple(2, 0.8)
    assert stats.nct.sf(stats.t.ppf(0.975, 1), 1, multiple) == pytest.approx(0.8, abs=1e-6)


def test_paired_proportion_interval_of_agreeing_pairs_without_a_discordant_one():
    # one pair both right, one both wrong: phi's continuity correction (n/2 = 1) zeroes the
    # agreement of 1, so the interval is the uncorrelated combination of the two Wilsons
    low, high = paired_proportion_interval(1, 0, 0, 1)
    _, u1 = wilson(1, 2)
    assert high == pytest.approx(math.sqrt(2) * (u1 - 0.5)) and low == pytest.approx(-high)
    assert (low, high) == pytest.approx((-0.5734194679697172, 0.5734194679697172))


def test_import_ahead_imports_scipy_special_on_a_thread():
    import sys

    thread = import_ahead()
    thread.join()
    assert thread.name == "parity-import-ahead" and "scipy.special" in sys.modules


def test_paired_proportion_interval_without_correlation_combines_the_two_wilsons():
    # a zero margin (no pair where the first is 0): phi stays 0
    low, _ = paired_proportion_interval(0, 5, 0, 0)
    l1, _ = wilson(5, 5)
    _, u2 = wilson(0, 5)
    assert low == pytest.approx(1 - math.sqrt((1 - l1) ** 2 + u2**2))
    # agreement 1 below its correction n/2 = 1.5: phi is 0, not negative
    low, high = paired_proportion_interval(1, 1, 0, 1)
    l1, u1 = wilson(2, 3)
    l2, u2 = wilson(1, 3)
    difference = 2 / 3 - 1 / 3
    assert low == pytest.approx(difference - math.sqrt((2 / 3 - l1) ** 2 + (u2 - 1 / 3) ** 2))
    assert high == pytest.approx(difference + math.sqrt((u1 - 2 / 3) ** 2 + (1 / 3 - l2) ** 2))


def test_the_jackknife_interval_of_a_mean_is_the_skew_widened_t_alone_and_by_groups():
    """A mean's jackknife pseudo-values are the values themselves (by groups: the group
    means), so its interval is the Hall-widened Student t interval of them."""
    values = np.random.default_rng(3).exponential(1.0, 3000)
    # leave-one-out: the jackknife standard error of a mean is s/√n (here 20 values)
    low, high, _ = jackknife_interval(20, lambda idx: values[idx].mean())
    assert (low, high) == pytest.approx(hall_widened_t(values[:20]), rel=1e-9)
    assert high > stats.ttest_1samp(values[:20], 0.0).confidence_interval(0.95)[1] + 0.01
    # 3000 values: 1000 groups of 3 (i, i + 1000, i + 2000) left out in turn, i.e. the
    # interval over the group means
    low, high, _ = jackknife_interval(3000, lambda idx: values[idx].mean())
    means = values.reshape(3, 1000).mean(axis=0)
    assert (low, high) == pytest.approx(hall_widened_t(means), rel=1e-9)
    assert jackknife_interval(1, lambda idx: 0.25) == (0.25, 0.25, 0.0)
    # a left-out value is not finite (item 0 left out): a point, not [nan, nan]
    assert jackknife_interval(3, lambda idx: 1.0 if 0 in idx else math.inf) == (1.0, 1.0, 0.0)


def test_the_bound_for_0_1_pairs_is_tangos_interval_of_the_expected_discordant_counts():
    # 0/1 scores: the expected counts are the counts themselves
    cand = np.array([1.0, 1.0, 0.0, 0.0, 1.0, 0.0])
    base = np.array([1.0, 0.0, 1.0, 1.0, 0.0, 0.0])
    assert unit_scores_bound(cand, base) == tango_interval(2, 2, 6)
    # scores in [0, 1]: sum c(1 - b) = 0.5 * 0.8 + 0.9 * 0.5 + 0.2 * 0.7 = 0.99,
    # sum b(1 - c) = 0.2 * 0.5 + 0.5 * 0.1 + 0.3 * 0.8 = 0.39
    cand, base = np.array([0.5, 0.9, 0.2]), np.array([0.2, 0.5, 0.3])
    assert unit_scores_bound(cand, base) == pytest.approx(tango_interval(0.99, 0.39, 3), abs=1e-12)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.floats(-5, 5, allow_subnormal=False), min_size=3, max_size=40),
    st.floats(-1, 1),
    st.floats(0, 1),
)
def test_a_bound_never_narrows_the_student_t_interval_nor_widens_past_itself(values, below, above):
    values = np.asarray(values)
    assume(np.ptp(values) > 1e-6)
    t_low, t_high = ci95(values.tolist())
    centre, reach = float(values.mean()), 3 * float(np.ptp(values))
    bound = (centre - abs(below) * reach, centre + above * reach)
    low, high, _ = skew_corrected_interval(values, bound)
    free_low, free_high, _ = skew_corrected_interval(values)
    assert low == pytest.approx(min(t_low, max(free_low, bound[0])), abs=1e-12)
    assert high == pytest.approx(max(t_high, min(free_high, bound[1])), abs=1e-12)


def test_wilsons_ends_are_held_to_0_and_1_against_rounding():
    # unclamped, 0 of 21 ends at -1.4e-17 and 16 of 16 at 1 + 2.2e-16
    assert wilson(0, 21)[0] == 0.0 and wilson(16, 16)[1] == 1.0


def test_the_jackknife_widens_from_three_items_and_at_any_scale():
    """Three values are enough for Hall's correction, also when their spread is small; a
    statistic that does not vary gives a point, not a division by zero."""
    values = np.array([0.001, 0.002, 0.009])
    low, high, _ = jackknife_interval(3, lambda idx: values[idx].mean())
    assert (low, high) == pytest.approx(hall_widened_t(values), rel=1e-9)
    assert high > stats.ttest_1samp(values, 0.0).confidence_interval(0.95)[1] + 0.001
    assert jackknife_interval(5, lambda idx: 0.7) == (0.7, 0.7, 0.0)


def test_a_spread_that_underflows_or_an_array_without_one_is_no_error():
    assert mean_interval([0.0, 0.0, 1e-300])[:2] == pytest.approx((0.0, 1e-300), abs=1e-299)
    assert mean_interval(np.array([0.3, 0.3])) == (0.3, 0.3, STUDENT_T)


def test_the_bound_applies_to_scores_in_0_1_only():
    # a score of 2 takes the values out of [0, 1]: Hall's ends as they are
    values = [2.0] * 13 + [0.6, 1.0, 1.2]
    assert mean_interval(values)[:2] == pytest.approx(hall_widened_t(values), rel=1e-9)
    # scores of exactly 0 are in [0, 1]: held within Wilson's interval of the sum
    values = [0.0] * 13 + [0.3, 0.5, 0.6]
    assert mean_interval(values)[1] == pytest.approx(wilson(1.4, 16)[1], abs=1e-12)
    assert hall_widened_t(values)[1] > wilson(1.4, 16)[1] + 0.05
