"""Summary statistics: mean, sample std, linear-interpolated percentiles, the Student-t
interval and its skewness-corrected widening (Hall 1992), the interval of a mean chosen by the
data (Wilson's for 0/1 scores), Tango's and Newcombe's intervals for a difference of paired
proportions, paired-t power, and the jackknife t interval of any statistic (corpus metrics)."""

from __future__ import annotations

import importlib
import math
import threading
from collections.abc import Callable, Sequence
from types import ModuleType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

CONFIDENCE = 0.95
STUDENT_T = "Student t"
SKEW_T = "Student t widened by Hall's skewness-corrected t"
WILSON = "Wilson score"
BOOTSTRAP_SEED = 0
# a corpus metric's jackknife t interval covered a macro-F1 difference at >= 0.93 from 10
# pairs on in a seeded simulation (0.91 at 8; the percentile bootstrap: 0.80 at 6, 0.92 at 32)
CORPUS_MIN_PAIRS = 10
JACKKNIFE_GROUPS = 1000  # past this many items, items are left out in this many groups


def scipy_stats() -> ModuleType:
    """``scipy.stats``, imported on first use: it takes about a second and 60 MB, which
    every pytest run with Parity installed would otherwise pay at plugin load."""
    from scipy import stats

    return stats


def import_ahead() -> threading.Thread:
    """Import ``scipy.special`` (the critical values; about 0.3 s) on a background thread,
    so that the process which will write summaries does it while it waits on the model
    calls, rather than after the last answer."""
    thread = threading.Thread(
        target=importlib.import_module, args=("scipy.special",), name="parity-import-ahead"
    )
    thread.start()
    return thread


def mean(values: Sequence[float]) -> float:
    """Arithmetic mean (0.0 for no values)."""
    return math.fsum(values) / len(values) if values else 0.0


def std(values: Sequence[float]) -> float:
    """Sample standard deviation (ddof=1, as pandas and ScaleBench report); 0.0 below 2 values."""
    if len(values) < 2:
        return 0.0
    centre = mean(values)
    return math.sqrt(math.fsum((v - centre) ** 2 for v in values) / (len(values) - 1))


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile with linear interpolation (numpy's default method)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def t_critical(df: int) -> float:
    """Two-sided 95% critical value of Student's t with ``df`` degrees of freedom:
    ``scipy.special.stdtrit``, the function ``scipy.stats.t.ppf`` evaluates, without the
    60 MB that importing ``scipy.stats`` adds to every summary."""
    from scipy.special import stdtrit

    return float(stdtrit(df, 0.5 + CONFIDENCE / 2))


def z_critical(probability: float) -> float:
    """The standard normal quantile at ``probability`` (``scipy.special.ndtri``, which
    ``scipy.stats.norm.ppf`` evaluates)."""
    from scipy.special import ndtri

    return float(ndtri(probability))


def ci95(values: Sequence[float]) -> tuple[float, float]:
    """95% confidence interval of the mean (Student-t); a point for fewer than 2 values."""
    centre = mean(values)
    if len(values) < 2:
        return centre, centre
    half = t_critical(len(values) - 1) * std(values) / math.sqrt(len(values))
    return centre - half, centre + half


def wilson(successes: float, n: int) -> tuple[float, float]:
    """Wilson's 95% score interval of a proportion (``successes`` of ``n``), without
    continuity correction; (0, 1) for ``n`` = 0."""
    if n == 0:
        return 0.0, 1.0
    z = z_critical(0.5 + CONFIDENCE / 2)
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def mean_interval(values: Sequence[float]) -> tuple[float, float, str]:
    """The 95% interval of the mean of ``values`` chosen by the data, and its name: every
    value 0 or 1: Wilson's score interval (the Student t interval's lower end lies above the
    proportion up to 11% of the time at 16 values); other values: :func:`skew_corrected_interval`
    (the t interval's lower end lies above the mean of scores that crowd at 1.0 up to 7% of
    the time), its widening held within Wilson's interval of the values' sum when every value
    lies in [0, 1] (:func:`unit_scores_bound`); a point below 2 values or without a spread."""
    import numpy as np

    array = np.asarray(values, dtype=float)
    if len(array) and bool(np.all((array == 0.0) | (array == 1.0))):
        low, high = wilson(int(array.sum()), len(array))
        return low, high, WILSON
    if len(array) < 2 or float(np.ptp(array)) == 0.0:
        centre = mean(array.tolist())
        return centre, centre, STUDENT_T
    bound = None
    if bool(np.all((array >= 0.0) & (array <= 1.0))):
        bound = wilson(float(array.sum()), len(array))
    return skew_corrected_interval(array, bound)


def unit_scores_bound(cand: np.ndarray, base: np.ndarray) -> tuple[float, float]:
    """How far the interval of the mean difference ``cand − base`` of paired scores in [0, 1]
    may be widened for skewness: Tango's interval (:func:`tango_interval`) of the expected
    discordant counts Σ c(1 − b) and Σ b(1 − c).

    Each score s in [0, 1] can be replaced by a 0/1 draw that is 1 with probability s, the
    two sides of a pair drawn independently: every mean stays, and each difference only gains
    spread (a mean-preserving spread, E[(B_c − B_b)²] ≥ (c − b)²). No paired scores in [0, 1]
    with these means are more uncertain than those 0/1 pairs, whose interval is Tango's; a
    mean of scores in [0, 1] is bounded alike by Wilson's interval of their sum. Hall's
    correction reaches past these bounds when its cubic flattens (|a| near 1/(3t), strongly
    skewed scores such as mostly-zero F1): 32 real HotpotQA F1 scores of mean 0.110 got an
    upper end of 0.493; held within Wilson's: 0.263. In the seeded coverage simulations
    (tests/plugin/test_coverage.py) the bound leaves every miss rate as it was and narrows
    the median interval of few pairs by up to 40%. Scores that are nearly 0/1 (0 or 0.99)
    inherit Wilson's and Tango's own dips in coverage: 0.923 at 16 values (0.9995 unbounded)."""
    better = float((cand * (1 - base)).sum())
    worse = float((base * (1 - cand)).sum())
    return tango_interval(better, worse, len(cand))


def skew_corrected_interval(
    values: np.ndarray, bound: tuple[float, float] | None = None
) -> tuple[float, float, str]:
    """The Student-t 95% interval of the mean of ``values``, each end moved out to Hall's
    skewness-corrected t interval where that reaches further, but not past ``bound`` where
    one is given (never narrower than the t interval), and its name (below 3 values, which
    have no skewness, the t interval alone).

    Hall (1992), "On the removal of skewness by transformation", JRSS B 54(1): the pivot
    t = (mean − μ)·√n / s is replaced by g(t) = t + a·t² + a²·t³/3 + a/2, a = γ / (3√n), which
    is monotone; the interval inverts g(t) = ±t₀.₉₇₅,ₙ₋₁. γ is the adjusted sample skewness
    G₁ (``scipy.stats.skew(bias=False)``), larger than the plain one at small n. The t
    interval alone misses on the side of a long tail (a few pairs that drop far among many
    ties, or exponential differences).
    """
    low, high = ci95(values.tolist())
    n = len(values)
    if n < 3:
        return low, high, STUDENT_T
    centre = float(values.mean())
    error = float(values.std(ddof=1)) / math.sqrt(n)
    hall_low, hall_high = _hall_ends(centre, error, _adjusted_skewness(values), n)
    if bound is not None:
        hall_low, hall_high = max(hall_low, bound[0]), min(hall_high, bound[1])
    return min(low, hall_low), max(high, hall_high), SKEW_T


def _hall_ends(centre: float, error: float, skewness: float, n: int) -> tuple[float, float]:
    """Hall's (1992) skewness-corrected 95% t interval of a mean ``centre`` with standard
    error ``error``, from ``n`` values of adjusted skewness ``skewness``."""
    a = skewness / (3 * math.sqrt(n))
    critical = t_critical(n - 1)
    return centre - _hall_inverse(critical, a) * error, centre - _hall_inverse(-critical, a) * error


def _adjusted_skewness(values: np.ndarray) -> float:
    """The adjusted Fisher–Pearson skewness G₁ of 3 or more values with a spread,
    ``scipy.stats.skew(values, bias=False)`` (computed here: scipy's takes a millisecond);
    0 when the spread underflows (values within 1e-154 of each other)."""
    n = len(values)
    centred = values - values.mean()
    variance = float((centred**2).mean())
    if variance == 0.0:
        return 0.0
    g1 = float((centred**3).mean()) / variance**1.5
    return g1 * math.sqrt(n * (n - 1)) / (n - 2)


def _hall_inverse(x: float, a: float) -> float:
    """The t with Hall's g(t) = ((1 + a·t)³ − 1) / (3a) + a/2 equal to ``x``."""
    shift = 3 * a * (x - a / 2)
    if abs(shift) < 0.5:  # cube root of 1 + shift, minus 1, without cancellation
        return x if shift == 0 else math.expm1(math.log1p(shift) / 3) / a
    return (math.copysign(abs(1 + shift) ** (1 / 3), 1 + shift) - 1) / a


def tango_interval(better: float, worse: float, n: int) -> tuple[float, float]:
    """Tango's (1998) 95% score interval of p1 − p2 for ``n`` paired 0/1 outcomes, ``better``
    of them 1 on the first side only and ``worse`` on the second only (Tango, "Equivalence
    test and confidence interval for the difference in proportions for the paired-sample
    design", Statistics in Medicine 17:891–908): the δ with score statistic
    T(δ) = (better − worse − nδ) / √(n(2q̃ + δ(1 − δ))) equal to ±z, q̃ the maximum-likelihood
    share of ``worse`` pairs given δ; found by bisection (T falls as δ rises). When the
    candidate only ever loses (5% to 20% of pairs), its low end lies above the true
    difference at most 2.5% of the time at 10 to 200 pairs, exactly (Newcombe's method 10:
    up to 7.1%). (−1, 1) for no pairs."""
    if n == 0:
        return -1.0, 1.0
    z = z_critical(0.5 + CONFIDENCE / 2)
    difference = (better - worse) / n
    low = -1.0 if difference == -1 else _tango_root(better, worse, n, z)
    high = 1.0 if difference == 1 else _tango_root(better, worse, n, -z)
    return low, high


def _tango_root(better: float, worse: float, n: int, target: float) -> float:
    """The δ in (−1, 1) where Tango's score statistic crosses ``target``, to within 1e-15."""
    low, high = -1.0, 1.0
    for _ in range(60):
        middle = (low + high) / 2
        if _tango_score(better, worse, n, middle) > target:
            low = middle
        else:
            high = middle
    return (low + high) / 2


def _tango_score(better: float, worse: float, n: int, delta: float) -> float:
    """Tango's score statistic at δ, with q̃ the positive root of
    2n·q² + (−better − worse + (2n − better + worse)·δ)·q − worse·δ(1 − δ) = 0."""
    b = -better - worse + (2 * n - better + worse) * delta
    c = -worse * delta * (1 - delta)
    q = (math.sqrt(max(b * b - 8 * n * c, 0.0)) - b) / (4 * n)
    gap = better - worse - n * delta
    variance = n * (2 * q + delta * (1 - delta))
    if variance <= 0:
        return math.copysign(math.inf, gap) if gap else 0.0
    return gap / math.sqrt(variance)


def paired_proportion_interval(
    both: int, only_first: int, only_second: int, neither: int
) -> tuple[float, float]:
    """Newcombe's (1998) hybrid score interval, his method 10, of p1 − p2 for paired 0/1
    outcomes: ``both`` pairs where both are 1, ``only_first`` where only the first is,
    ``only_second``, ``neither``. Wilson intervals of each proportion are combined with the
    pairs' correlation (phi, its numerator continuity-corrected as the method prescribes); the
    interval keeps its width when every pair agrees, and stays within [−1, 1]."""
    n = both + only_first + only_second + neither
    p1, p2 = (both + only_first) / n, (both + only_second) / n
    l1, u1 = wilson(both + only_first, n)
    l2, u2 = wilson(both + only_second, n)
    margins = (
        (both + only_first)
        * (only_second + neither)
        * (both + only_second)
        * (only_first + neither)
    )
    phi = 0.0
    if margins:
        agreement: float = both * neither - only_first * only_second
        if agreement > 0:
            agreement = max(agreement - n / 2, 0.0)
        phi = agreement / math.sqrt(margins)
    below = (p1 - l1) ** 2 - 2 * phi * (p1 - l1) * (u2 - p2) + (u2 - p2) ** 2
    above = (u1 - p1) ** 2 - 2 * phi * (u1 - p1) * (p2 - l2) + (p2 - l2) ** 2
    difference = p1 - p2
    return (
        max(-1.0, difference - math.sqrt(max(below, 0.0))),
        min(1.0, difference + math.sqrt(max(above, 0.0))),
    )


def t_power_multiple(n: int, power: float) -> float:
    """The true mean difference, in per-pair standard deviations × √n, that a two-sided 95%
    paired t test at ``n`` pairs finds with probability ``power`` (the noncentrality of
    Student's t, ``scipy.special.nctdtrinc``; the far tail, below 1e-6 at any n ≥ 2, is left
    out). ``inf`` below 2 pairs."""
    if n < 2:
        return math.inf
    from scipy.special import nctdtrinc

    return float(nctdtrinc(n - 1, 1 - power, t_critical(n - 1)))


def describe(values: Sequence[float]) -> dict[str, float]:
    """ScaleBench's ``{mean, std, p50, p95}`` block."""
    return {
        "mean": mean(values),
        "std": std(values),
        "p50": percentile(values, 50),
        "p95": percentile(values, 95),
    }


def jackknife_interval(
    n: int, statistic: Callable[[np.ndarray], float]
) -> tuple[float, float, float]:
    """The 95% jackknife t interval of ``statistic`` over ``n`` items (it receives the kept
    item indices): the full-sample value ± t₀.₉₇₅,g₋₁ · the jackknife standard error, with
    g = min(n, ``JACKKNIFE_GROUPS``) groups left out one at a time (Efron & Tibshirani 1993,
    An Introduction to the Bootstrap, ch. 11; past ``JACKKNIFE_GROUPS`` items Kott's 2001
    delete-a-group jackknife, item i in group i mod g), each end moved out to Hall's (1992)
    skewness-corrected t interval where that reaches further, γ the adjusted skewness of the
    jackknife pseudo-values g·θ̂ − (g − 1)·θ̂₍₋ₖ₎ (a macro-F1 difference over imbalanced
    classes: coverage 0.92 at 10 and 16 pairs without it, 0.93 and 0.94 with it). Also that
    standard error. A point (and error 0) below 2 items or when a left-out value is not
    finite."""
    import numpy as np

    everything = np.arange(n)
    point = statistic(everything)
    if n < 2:
        return point, point, 0.0
    g = min(n, JACKKNIFE_GROUPS)
    left_out = np.array([statistic(np.delete(everything, everything[k::g])) for k in range(g)])
    if not np.all(np.isfinite(left_out)):
        return point, point, 0.0
    error = math.sqrt((g - 1) / g * math.fsum((left_out - left_out.mean()) ** 2))
    half = t_critical(g - 1) * error
    low, high = point - half, point + half
    pseudo = g * point - (g - 1) * left_out
    if g >= 3 and float(np.ptp(pseudo)) > 0:
        hall_low, hall_high = _hall_ends(point, error, _adjusted_skewness(pseudo), g)
        low, high = min(low, hall_low), max(high, hall_high)
    return low, high, error
