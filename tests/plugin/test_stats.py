"""Summary statistics against hand-computed values."""

import math

import pytest

from parity.stats import (
    ci95,
    describe,
    paired_proportion_interval,
    percentile,
    std,
    t_critical,
    wilson,
    z_critical,
)


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
    from parity.aggregation import score_block
    from parity.config import parse_config
    from parity.record import EvalRecord
    from parity.terminal import render_experiment
    from tests.conftest import experiment

    exp = parse_config([experiment(metrics=["f1"])], "t.yaml").experiments[0]

    def block(values):
        records = [EvalRecord("x", str(i), i, "m", scores={"f1": v}) for i, v in enumerate(values)]
        return score_block(exp, records)["f1"]

    clipped = block([1.0, 1.0, 1.0, 0.0])  # Student t: 0.75 ± 0.80
    assert clipped["ci95_high"] == 1.0 and clipped["ci_clipped"] is True
    assert block([0.4, 0.5, 0.6])["ci_clipped"] is False
    summary = {"model": "m", "mode": "baseline", "dataset": "d", "task": "t",
               "experiment_id": "x", "n_examples": 4, "n_failed": 0, "n_skipped": 0,
               "metrics": {"f1": clipped}, "latency_ms": {"p50": 1.0, "p95": 1.0},
               "tokens": {"avg_input_tokens": 1.0, "avg_output_tokens": 1.0},
               "cost": {"total_usd": None}}  # fmt: skip
    assert any("(clipped to [0, 1])" in line for line in render_experiment(summary, []))
