"""The paired interval covers the true mean difference at small n: a seeded simulation of
binary, normal and F1-like paired scores, of many ties with a few far drops ("compression
breaks 5%, 10%, 20% of examples") and of exponential differences, at 5, 10, 32 and 100 pairs,
and of a macro-F1 difference from ``CORPUS_MIN_PAIRS`` pairs on. Issue 28 measured the
percentile bootstrap this replaced at 0.53 for binary pairs and 0.81 for continuous at n = 5;
an outside review measured the plain t interval at 0.91 for 10% breaks at n = 32 and 0.88 for
exponential differences at n = 5, and the corpus percentile bootstrap at 0.76 at n = 6."""

from __future__ import annotations

from functools import cache

import numpy as np
import pytest

from parity.analysis.paired import difference_interval
from parity.analysis.stats import CORPUS_MIN_PAIRS, jackknife_interval, mean_interval

REPETITIONS = 1000
FLOOR = 0.93
TAIL = 0.035  # the most either end may miss, from 32 pairs on


def binary(rng, n):
    """Per pair: both right 0.5, only the baseline 0.15, only the candidate 0.1, neither."""
    cells = rng.choice(4, size=n, p=[0.5, 0.15, 0.1, 0.25])
    base = np.isin(cells, [0, 1]).astype(float)
    cand = np.isin(cells, [0, 2]).astype(float)
    return cand, base, 0.1 - 0.15


def normal(rng, n):
    base = rng.normal(0.5, 0.2, n)
    return base + rng.normal(-0.03, 0.2, n), base, -0.03


def f1_scores(rng, n, zero, one):
    """Token-F1-like scores: 0 or 1 often, partial overlap (Beta(2, 2)) otherwise."""
    u = rng.random(n)
    return np.where(u < zero, 0.0, np.where(u < zero + one, 1.0, rng.beta(2, 2, n)))


def f1_like(rng, n):
    """Half the candidate's answers are the baseline's (equal scores); the others are drawn
    a little worse: mean 0.45 against 0.5, so the true difference is -0.025."""
    base = f1_scores(rng, n, 0.3, 0.3)
    same = rng.random(n) < 0.5
    return np.where(same, base, f1_scores(rng, n, 0.35, 0.25)), base, 0.5 * (0.45 - 0.5)


def breaks(share):
    """Compression breaks ``share`` of the answers (the candidate scores 0 there) and leaves
    the others as the baseline's (equal scores): most differences 0, a few far below."""

    def design(rng, n):
        base = f1_scores(rng, n, 0.1, 0.4)  # mean 0.4 + 0.5 * 0.5 = 0.65
        return np.where(rng.random(n) < share, 0.0, base), base, -share * 0.65

    design.__name__ = f"breaks_{round(share * 100)}_percent"
    return design


def exponential(rng, n):
    """A long tail of losses: differences 0.08 − Exp(mean 0.1), skewness −2."""
    base = rng.uniform(0.3, 0.7, n)
    return base + 0.08 - rng.exponential(0.1, n), base, -0.02


DESIGNS = [binary, normal, f1_like, breaks(0.05), breaks(0.1), breaks(0.2), exponential]


@cache
def misses(design, n):
    """How often the interval's low end lies above the truth, and its high end below it."""
    rng = np.random.default_rng(2028 + n)
    low_misses = high_misses = 0
    for _ in range(REPETITIONS):
        cand, base, true_difference = design(rng, n)
        low, high, _ = difference_interval(cand, base)
        low_misses += true_difference < low
        high_misses += true_difference > high
    return low_misses / REPETITIONS, high_misses / REPETITIONS


EXPONENTIAL_AT_5 = pytest.mark.xfail(
    strict=True, reason="0.922: 5 exponential differences hide the tail (below min_pairs 6)"
)


@pytest.mark.parametrize(
    ("design", "n"),
    [
        pytest.param(d, n, marks=EXPONENTIAL_AT_5 if (d, n) == (exponential, 5) else ())
        for d in DESIGNS
        for n in (5, 6, 10, 32, 100)
        if n != 6 or d is exponential
    ],
    ids=lambda value: getattr(value, "__name__", str(value)),
)
def test_the_95_percent_paired_interval_covers_at_least_93_percent(design, n):
    low, high = misses(design, n)
    assert 1 - low - high >= FLOOR, f"coverage {1 - low - high:.3f} (misses {low} low, {high} high)"


@pytest.mark.parametrize("design", DESIGNS, ids=lambda d: d.__name__)
@pytest.mark.parametrize("n", [32, 100])
def test_neither_end_of_the_interval_misses_more_than_3_5_percent(design, n):
    low, high = misses(design, n)
    assert max(low, high) <= TAIL, f"misses {low} low, {high} high"


CLASSES = 3


def labels(rng, n, right, gold):
    """Predictions that are right with probability ``right``, another class otherwise."""
    wrong = (gold + rng.integers(1, CLASSES, n)) % CLASSES
    return np.where(rng.random(n) < right, gold, wrong)


def macro_f1(gold, pred):
    """sklearn's ``f1_score(average="macro", zero_division=0)`` over the classes present."""
    total, present = 0.0, 0
    for c in range(CLASSES):
        tp = np.sum((gold == c) & (pred == c))
        spread = np.sum(gold == c) + np.sum(pred == c)
        total, present = total + (2 * tp / spread if spread else 0.0), present + bool(spread)
    return total / present


def classify(rng, n, same, shares=None):
    """Gold labels of 3 classes (in ``shares``; alike if None); the baseline right 80% of the
    time; the candidate repeats the baseline's label with probability ``same``, else is
    right 70% of the time."""
    gold = rng.choice(CLASSES, n, p=shares) if shares else rng.integers(0, CLASSES, n)
    base = labels(rng, n, 0.8, gold)
    cand = np.where(rng.random(n) < same, base, labels(rng, n, 0.7, gold))
    return gold, cand, base


def corpus_interval(gold, cand, base):
    """The corpus interval of the macro-F1 difference (candidate − baseline) over pairs."""

    def difference(picks):
        return macro_f1(gold[picks], cand[picks]) - macro_f1(gold[picks], base[picks])

    return jackknife_interval(len(gold), difference)[:2]


IMBALANCED = (0.7, 0.2, 0.1)


@pytest.mark.parametrize(
    ("same", "n", "shares"),
    [(0.0, CORPUS_MIN_PAIRS, None), (0.7, CORPUS_MIN_PAIRS, None), (0.0, 32, None),
     (0.7, 32, None), (0.0, CORPUS_MIN_PAIRS, IMBALANCED)],
)  # fmt: skip
def test_the_corpus_interval_covers_a_macro_f1_difference_from_its_minimum_pairs(same, n, shares):
    """Coverage of the population difference (from 400,000 examples) among intervals of
    non-zero width (a gate calls a zero-width interval inconclusive). Classes of 70%, 20% and
    10% skew the left-out values: the jackknife t interval without Hall's widening covered
    0.918 of them at 10 pairs (2,000 repetitions; 0.948 with it; here 0.922 and 0.94)."""
    gold, cand, base = classify(np.random.default_rng(1), 400_000, same, shares)
    truth = macro_f1(gold, cand) - macro_f1(gold, base)
    rng = np.random.default_rng(2028 + n)
    covered = decided = 0
    for _ in range(400):
        low, high = corpus_interval(*classify(rng, n, same, shares))
        decided += high > low
        covered += low <= truth <= high and high > low
    assert decided >= 300 and covered / decided >= FLOOR, f"{covered} of {decided}"


def only_loses(n, loses, both=0.6):
    """The exact chance that the paired interval's low end lies above the true difference
    (−``loses``) when the candidate only ever loses: each pair both right (``both``), only the
    baseline right (``loses``) or neither, never only the candidate; cells under 1e-9 are
    left out. Every table is enumerated, so the answer is exact, not simulated."""
    from scipy.stats import multinomial

    chance = 0.0
    for worse in range(n + 1):
        for right in range(n + 1 - worse):
            p = multinomial.pmf(
                [right, worse, n - right - worse], n, [both, loses, 1 - both - loses]
            )
            if p < 1e-9:
                continue
            base = np.repeat([1.0, 1.0, 0.0], [right, worse, n - right - worse])
            cand = np.repeat([1.0, 0.0, 0.0], [right, worse, n - right - worse])
            chance += p * (difference_interval(cand, base)[0] > -loses)
    return chance


@pytest.mark.parametrize(("n", "loses"), [(20, 0.1), (50, 0.05), (100, 0.1), (150, 0.05)])
def test_a_max_drop_at_the_true_loss_passes_at_most_3_percent_when_the_candidate_only_loses(
    n, loses
):
    """The typical compression failure: the candidate loses some answers and wins none.
    Newcombe's paired interval this replaced passed such a gate 4.1%, 7.1%, 5.5% and 5.5% of
    the time in these cells (nominal 2.5%); Tango's score interval 0.0% to 2.4%."""
    assert only_loses(n, loses) <= 0.03


def proportion(p):
    """Values 0 or 1, 1 with probability ``p`` (exact match, pass@1)."""

    def design(rng, n):
        return (rng.random(n) < p).astype(float)

    design.truth = p
    design.__name__ = f"proportion_{p}"
    return design


def ceiling(rng, n):
    """F1- or ROUGE-like scores that crowd at 1.0: 85% exactly 1, the rest Beta(2, 5)."""
    return np.where(rng.random(n) < 0.85, 1.0, rng.beta(2, 5, n))


ceiling.truth = 0.85 + 0.15 * 2 / 7


@pytest.mark.parametrize(
    ("design", "n"),
    [(proportion(0.8), 16), (proportion(0.8), 32), (proportion(0.9), 32), (proportion(0.9), 64),
     (ceiling, 32), (ceiling, 64)],
    ids=lambda value: getattr(value, "__name__", str(value)),
)  # fmt: skip
def test_a_lower_bound_floor_at_the_true_mean_is_met_at_most_3_percent_of_the_time(design, n):
    """``threshold_mode: lower_bound`` passes when the summary interval's lower end reaches
    the floor: with the floor at the true mean that must be rare. Student t's interval (the
    summary's before) called it met 14.2%, 3.7%, 16.6%, 3.5%, 8.2% and 6.2% of the time here;
    Wilson's and the Hall-widened t 2.6%, 0.8%, 0%, 1.3%, 0.3% and 0.1%."""
    rng = np.random.default_rng(4000 + n)
    met = sum(mean_interval(design(rng, n))[0] >= design.truth for _ in range(REPETITIONS))
    assert met / REPETITIONS <= 0.03, f"met {met} of {REPETITIONS}"


def mostly_zero(rng, n):
    """Token-F1 scores of a weak model: 70% exactly 0, 8% exactly 1, the rest Beta(1.5, 3)."""
    u = rng.random(n)
    return np.where(u < 0.7, 0.0, np.where(u < 0.78, 1.0, rng.beta(1.5, 3, n)))


mostly_zero.truth = 0.08 + 0.22 * 1.5 / 4.5


@pytest.mark.parametrize("n", [8, 16, 32, 64])
def test_the_summary_interval_covers_the_mean_of_mostly_zero_scores(n):
    """The Student t interval alone covered 0.874 at 16 values and 0.927 at 32 (its high end
    missing 12% and 6.5% of the time): these scores' long right tail needs Hall's widening,
    and held within Wilson's interval of the sum it still covers (0.985, 0.982)."""
    rng = np.random.default_rng(5000 + n)
    low_misses = high_misses = decided = 0
    for _ in range(REPETITIONS):
        values = mostly_zero(rng, n)
        if np.ptp(values) == 0:
            continue
        low, high, _ = mean_interval(values)
        decided += 1
        low_misses += mostly_zero.truth < low
        high_misses += mostly_zero.truth > high
    assert 1 - (low_misses + high_misses) / decided >= FLOOR, (low_misses, high_misses, decided)


# Token F1 of SmolLM2-135M on the 32 shipped HotpotQA examples, from the README's first
# command at 549ae7f (reports/*/hotpotqa_{baseline,extractive}_local.jsonl, rounded to 3
# places): the full context (baseline) and the extractive compressor's (candidate).
HOTPOT_BASELINE = np.array([
    0.0, 0.1, 0.0, 0.0, 0.333, 0.0, 0.0, 0.0, 1.0, 0.0, 0.333, 0.0, 0.133, 0.0, 0.0, 1.0,
    0.105, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.211, 0.0, 0.0, 0.316, 0.0, 0.0, 0.0,
])  # fmt: skip
HOTPOT_CANDIDATE = np.array([
    0.0, 0.0, 0.0, 0.0, 0.333, 0.0, 0.0, 0.0, 0.444, 0.0, 0.095, 0.0, 0.0, 0.0, 0.0, 0.0,
    0.118, 0.0, 0.0, 0.375, 0.0, 0.0, 0.0, 0.211, 0.0, 0.105, 0.0, 0.0, 0.3, 0.0, 0.143, 0.0,
])  # fmt: skip


def test_the_real_hotpotqa_intervals_stay_within_what_scores_in_0_1_allow():
    """Hall's correction alone gave [0.018, 0.493] for the baseline's mean F1 (0.110) and
    [-0.375, +0.037] for the paired difference (-0.044); Student t gives [0.018, 0.202] and
    [-0.125, +0.037]. Held within Wilson's interval of the sum and Tango's of the expected
    discordant counts, the intervals end at 0.263 and -0.202."""
    low, high, _ = mean_interval(HOTPOT_BASELINE)
    assert (low, high) == pytest.approx((0.01842, 0.26286), abs=1e-5)
    low, high, _ = difference_interval(HOTPOT_CANDIDATE, HOTPOT_BASELINE)
    assert (low, high) == pytest.approx((-0.20156, 0.03662), abs=1e-5)


def resampled_hotpot_pairs(n, seed):
    """``REPETITIONS`` sets of ``n`` pairs drawn with replacement from the real pairs (whose
    population mean difference is that of the 32), each with a spread on both sides."""
    rng = np.random.default_rng(seed)
    for _ in range(REPETITIONS):
        picks = rng.integers(0, len(HOTPOT_BASELINE), n)
        cand, base = HOTPOT_CANDIDATE[picks], HOTPOT_BASELINE[picks]
        if np.ptp(cand - base) > 0 and np.ptp(base) > 0:
            yield cand, base


def test_intervals_of_32_real_hotpotqa_pairs_are_rarely_wide():
    """The 90th percentile of the intervals' widths over resamples of 32 real pairs: Hall's
    correction alone 0.47 (baseline mean) and 0.41 (difference), Student t 0.24 and 0.21;
    held within the 0/1 bounds 0.28 and 0.27."""
    mean_widths, difference_widths = [], []
    for cand, base in resampled_hotpot_pairs(32, seed=32):
        low, high, _ = mean_interval(base)
        mean_widths.append(high - low)
        low, high, _ = difference_interval(cand, base)
        difference_widths.append(high - low)
    assert np.quantile(mean_widths, 0.9) <= 0.3
    assert np.quantile(difference_widths, 0.9) <= 0.3


def test_a_max_drop_gate_on_real_hotpotqa_f1_passes_with_enough_pairs():
    """Power on the real scores: the candidate truly loses 0.044 F1; a ``max_drop: 0.1`` gate
    (the interval's low end above -0.1) passes 86% of the time at 200 pairs (Student t: 91%)
    and 50% at 100 (t: 69%, whose low end then misses the true loss 7% of the time)."""
    passes = [
        difference_interval(cand, base)[0] > -0.1
        for cand, base in resampled_hotpot_pairs(200, seed=200)
    ]
    assert np.mean(passes) >= 0.8
