"""Summary statistics: mean, sample std, linear-interpolated percentiles, Student-t interval."""

from __future__ import annotations

import math
from collections.abc import Sequence
from statistics import NormalDist

# Two-sided 95% Student-t critical values for 1..30 degrees of freedom.
_T95 = (
    12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
    2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
    2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042,
)  # fmt: skip


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
    """Two-sided 95% critical value of Student's t with ``df`` degrees of freedom."""
    if df <= len(_T95):
        return _T95[df - 1]
    return NormalDist().inv_cdf(0.975)


def ci95(values: Sequence[float]) -> tuple[float, float]:
    """95% confidence interval of the mean (Student-t); a point for fewer than 2 values."""
    centre = mean(values)
    if len(values) < 2:
        return centre, centre
    half = t_critical(len(values) - 1) * std(values) / math.sqrt(len(values))
    return centre - half, centre + half


def describe(values: Sequence[float]) -> dict[str, float]:
    """ScaleBench's ``{mean, std, p50, p95}`` block."""
    return {
        "mean": mean(values),
        "std": std(values),
        "p50": percentile(values, 50),
        "p95": percentile(values, 95),
    }
