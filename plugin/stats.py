"""Summary statistics: mean, sample std, linear-interpolated percentiles, the Student-t
interval, Wilson's score interval, Newcombe's interval for a difference of paired proportions,
paired-t power, and the jackknife t interval of any statistic (corpus metrics)."""

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


def wilson(successes: int, n: int) -> tuple[float, float]:
    """Wilson's 95% score interval of a proportion (``successes`` of ``n``), without
    continuity correction; (0, 1) for ``n`` = 0."""
    if n == 0:
        return 0.0, 1.0
    z = z_critical(0.5 + CONFIDENCE / 2)
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


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
    delete-a-group jackknife, item i in group i mod g). Also that standard error. A point
    (and error 0) below 2 items or when a left-out value is not finite."""
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
    return point - half, point + half, error
