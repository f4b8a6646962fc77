"""Reference intervals computed by hand with scipy, for the tests of parity's own: Student t
widened to Hall's (1992) skewness-corrected t, and the jackknife t interval so widened."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np
from scipy import stats
from scipy.optimize import brentq


def hall_widened_t(values: Sequence[float], centre: float | None = None) -> tuple[float, float]:
    """Student t's 95% interval of the mean of ``values`` (about ``centre``, their mean unless
    given), each end moved out to Hall's end where that is further: g(t) = t + a·t² + a²·t³/3 +
    a/2 = ±t₀.₉₇₅,ₙ₋₁ solved by ``brentq`` (g'(t) = (1 + a·t)² >= 0), a = G₁ / (3√n)."""
    values = np.asarray(values, dtype=float)
    n = len(values)
    centre = float(values.mean()) if centre is None else centre
    error = values.std(ddof=1) / math.sqrt(n)
    a = stats.skew(values, bias=False) / (3 * math.sqrt(n))
    critical = stats.t.ppf(0.975, n - 1)

    def solve(x: float) -> float:
        return brentq(lambda t: t + a * t * t + a * a * t**3 / 3 + a / 2 - x, -100, 100, xtol=1e-14)

    low, high = centre - critical * error, centre + critical * error
    return min(low, centre - solve(critical) * error), max(high, centre - solve(-critical) * error)


def jackknife_by_hand(n: int, statistic: Callable[[list[int]], float]) -> tuple[float, float]:
    """The leave-one-out jackknife t interval of ``statistic`` over ``n`` items, Hall-widened:
    :func:`hall_widened_t` of the pseudo-values n·θ̂ − (n − 1)·θ̂₍₋ᵢ₎ about θ̂ (their standard
    error is the jackknife's)."""
    everything = list(range(n))
    point = statistic(everything)
    left_out = [statistic([j for j in everything if j != i]) for i in everything]
    pseudo = [n * point - (n - 1) * value for value in left_out]
    return hall_widened_t(pseudo, centre=point)
