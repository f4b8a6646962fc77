"""Paired comparisons' edges that test_paired leaves open (issue 35's mutants): scores that
touch 0 or 1, a NaN on one side, symmetric and barely skewed differences, Hall's inverse on
both of its branches, three pairs, the jackknife at two items, where pairs-needed stops, the
spread tolerance, binary counts that all differ, and identical graded sides."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from scipy import stats

from parity.analysis.paired import (
    CORPUS_MIN_PAIRS,
    MAX_PAIRS_NEEDED,
    MCNEMAR,
    NO_SPREAD,
    TANGO,
    WILCOXON,
    compare,
    difference_interval,
    examples_needed,
    jackknife_interval,
)
from parity.analysis.stats import (
    SKEW_T,
    STUDENT_T,
    _hall_inverse,
    paired_proportion_interval,
    tango_interval,
)
from parity.config.config import parse_config
from parity.record.record import EvalRecord, StageUsage
from tests.conftest import experiment


def record(example_id: str, scores: dict[str, float]) -> EvalRecord:
    return EvalRecord(
        "x", example_id, 0, "m", prediction="", references=[""], scores=scores,
        usage={"model": StageUsage(100, 1, 10.0, 0.01)},
    )  # fmt: skip


def hall(t: float, a: float) -> float:
    """Hall's (1992) transform of the t statistic, g(t) = t + a·t² + a²·t³/3 + a/2."""
    return t + a * t * t + a * a * t**3 / 3 + a / 2


@pytest.mark.parametrize(("low_score", "high_score"), [(0.0, 0.9), (0.1, 1.0)])
def test_a_constant_difference_between_scores_that_touch_0_or_1_is_clipped_into_unit(
    low_score, high_score
):
    """Scores of exactly 0 or 1 are proportions too: the no-spread interval stays in [-1, 1]."""
    n = 3
    cand, base = np.full(n, high_score), np.full(n, low_score)
    low, high, name = difference_interval(cand, base)
    half = paired_proportion_interval(0, 0, 0, n)[1]
    assert name == NO_SPREAD and high == 1.0 and low == pytest.approx(0.9 - half)
    low, high, _ = difference_interval(base, cand)
    assert low == -1.0 and high == pytest.approx(-0.9 + half)


@pytest.mark.parametrize("side", ["candidate", "baseline"])
def test_a_score_not_finite_on_one_side_only_is_not_compared(side):
    exp = parse_config([experiment(metrics=["f1"])], "t.yaml").experiments[0]
    finite = [record(str(i), {"f1": v}) for i, v in enumerate([0.2, 0.5, 0.7])]
    broken = [record(str(i), {"f1": v}) for i, v in enumerate([0.2, math.nan, 0.7])]
    cand, base = (broken, finite) if side == "candidate" else (finite, broken)
    result = compare(exp, "base", cand, base)
    assert result.metrics == {}
    assert result.warnings == [
        f"f1 is not compared: its value is {'nan' if side == 'candidate' else 0.4666666666666666}"
        f" on the candidate's side and {'nan' if side == 'baseline' else 0.4666666666666666}"
        " on the baseline's"
    ]


def test_symmetric_differences_keep_student_ts_interval():
    """No skewness at all (exact in binary): Hall's correction is the identity, and a = 0 is
    not divided by."""
    diffs = np.array([-0.25, -0.125, 0.0, 0.125, 0.25])
    low, high, name = difference_interval(diffs + 0.5, np.full(5, 0.5))
    expected = stats.ttest_1samp(diffs, 0.0).confidence_interval(0.95)
    assert name == SKEW_T
    assert (low, high) == pytest.approx(tuple(expected), rel=1e-12)
    assert _hall_inverse(2.0, 0.0) == 2.0


@pytest.mark.parametrize(("cand", "base"), [(0.45, -0.5), (0.55, 1.5)])
def test_a_constant_difference_between_scores_just_outside_0_and_1_is_not_clipped(cand, base):
    """A score below 0 or above 1 (under 2) is no proportion: its interval keeps its width."""
    n = 3
    low, high, name = difference_interval(np.full(n, cand), np.full(n, base))
    half = paired_proportion_interval(0, 0, 0, n)[1]
    assert name == NO_SPREAD and abs(cand - base) + half > 1.0  # clipping would show
    assert (low, high) == pytest.approx((cand - base - half, cand - base + half))


@pytest.mark.parametrize(
    ("x", "a"),
    [
        (2.0, 1e-12),  # barely skewed: 1 + shift's cube root would cancel to noise
        (-2.0, 3e-10),
        (1.9, -0.2),  # shift = -1.2: past log1p's domain, on the real cube root's branch
        (2.0, 0.15),  # shift = 0.8375
        (2.0, 0.08),  # shift = 0.4704, just inside the log1p branch
        (2.0, -0.1),  # shift = -0.615: 1 + shift > 0 while shift < 0
    ],
)
def test_halls_inverse_solves_g_of_t_on_both_branches(x, a):
    t = _hall_inverse(x, a)
    assert hall(t, a) == pytest.approx(x, rel=1e-12)


def test_three_pairs_are_enough_for_the_skewness_correction():
    diffs = np.array([0.0, 0.05, -0.4])
    low, high, name = difference_interval(diffs + 5.0, np.full(3, 5.0))
    t_low, t_high = stats.ttest_1samp(diffs, 0.0).confidence_interval(0.95)
    assert name == SKEW_T
    assert low < t_low - 0.01 and high == pytest.approx(t_high, rel=1e-12)
    two = difference_interval(diffs[:2] + 0.5, np.full(2, 0.5))
    assert two[2] == STUDENT_T


def test_the_jackknife_of_two_items_has_a_width():
    values = np.array([0.25, 0.75])
    low, high, error = jackknife_interval(2, lambda idx: float(values[idx].mean()))
    expected = stats.ttest_1samp(values, 0.0).confidence_interval(0.95)
    assert (low, high) == pytest.approx(tuple(expected), rel=1e-12)
    assert error == pytest.approx(0.25)


def test_a_corpus_interval_is_trusted_from_ten_pairs():
    """test_coverage's simulation: the jackknife t interval covers at >= 0.93 from 10 pairs."""
    assert CORPUS_MIN_PAIRS == 10


def test_pairs_needed_is_counted_up_to_a_billion_and_no_further():
    assert MAX_PAIRS_NEEDED == 10**9
    z = stats.norm.ppf(0.975)
    # about 5e8 pairs: still counted (t is z there to 9 digits)
    gap = z / math.sqrt(5e8)
    needed = examples_needed(gap, 1.0, 0.0)
    assert needed is not None and needed == pytest.approx(5e8, rel=1e-6)
    # about 1.5e9 pairs: past the cap, not counted
    assert examples_needed(z / math.sqrt(1.5e9), 1.0, 0.0) is None


def test_pairs_needed_counts_students_t_at_n_minus_1_degrees_of_freedom():
    # two pairs: t(1 df) 12.71 / √2 = 8.98 > 5 (t at 2 df would give 3.04 and clear it);
    # three: t(2 df) 4.30 / √3 = 2.48 < 5
    assert examples_needed(5.0, 1.0, 0.0) == 3


@pytest.mark.parametrize(("step", "spread"), [(1.5e-9, True), (0.7e-9, False)])
def test_a_spread_is_told_from_rounding_at_1e_9_of_differences_under_1(step, spread):
    """Differences of about 0.5: the tolerance is 1e-9 (scaled only past 1), not 2e-9 nor
    0.5e-9."""
    diffs = np.array([0.5, 0.5 + step, 0.5])
    _, _, name = difference_interval(diffs + 0.25, np.full(3, 0.25))
    assert (name != NO_SPREAD) is spread


def test_binary_pairs_count_each_kind_apart():
    """Both right 3, only the candidate 5, only the baseline 1, neither 2: no two counts
    alike, so counting one kind as another shows (Tango's interval depends on the discordant
    counts and n alone)."""
    cand = np.array([1.0] * 3 + [1.0] * 5 + [0.0] * 1 + [0.0] * 2)
    base = np.array([1.0] * 3 + [0.0] * 5 + [1.0] * 1 + [0.0] * 2)
    low, high, name = difference_interval(cand, base)
    assert name == TANGO
    assert (low, high) == pytest.approx(tango_interval(5, 1, 11), rel=1e-12)
    exp = parse_config([experiment(metrics=["exact_match"])], "t.yaml").experiments[0]
    delta = compare(
        exp, "base",
        [record(str(i), {"exact_match": v}) for i, v in enumerate(cand)],
        [record(str(i), {"exact_match": v}) for i, v in enumerate(base)],
    ).metrics["exact_match"]  # fmt: skip
    assert delta.test == MCNEMAR
    assert delta.p_value == pytest.approx(stats.binomtest(5, 6, 0.5).pvalue, rel=1e-12)


def test_identical_graded_sides_get_p_one_without_a_warning():
    """scipy's Wilcoxon on all-zero differences warns (invalid value) before answering 1."""
    exp = parse_config([experiment(metrics=["f1"])], "t.yaml").experiments[0]
    records = [record(str(i), {"f1": v}) for i, v in enumerate([0.1, 0.5, 0.9])]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        delta = compare(exp, "base", records, records).metrics["f1"]
    assert (delta.test, delta.p_value) == (WILCOXON, 1.0)
