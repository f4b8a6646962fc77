"""Summary statistics against hand-computed values."""

import math

import pytest

from parity.stats import ci95, describe, percentile, std, t_critical, z_critical


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


def test_describe_has_scalebench_keys():
    assert set(describe([1.0, 2.0])) == {"mean", "std", "p50", "p95"}
