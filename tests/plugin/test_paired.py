"""Paired comparisons against scipy and hand-checked numbers."""

import math

import numpy as np
import pytest
from scipy import stats

from parity.config import parse_config
from parity.paired import (
    CORPUS_RESAMPLES,
    ITEM_RESAMPLES,
    MCNEMAR,
    PERMUTATION,
    WILCOXON,
    compare,
    examples_needed,
    holm,
    minimum_detectable,
)
from parity.record import EvalRecord, StageUsage
from tests.conftest import experiment


def record(example_id, index, scores, tokens=100, latency=10.0, cost=0.01, prediction="", gold=("",), subset=None):  # fmt: skip
    metadata = {"subset": subset} if subset else {}
    return EvalRecord(
        "x", example_id, index, "m", prediction=prediction, references=list(gold), scores=scores,
        usage={"model": StageUsage(tokens, 1, latency, cost)}, metadata=metadata,
    )  # fmt: skip


def f1_experiment(**extra):
    return parse_config([experiment(**extra)], "t.yaml").experiments[0]


def scipy_mean_interval(values):
    result = stats.bootstrap(
        (np.asarray(values),), np.mean, n_resamples=ITEM_RESAMPLES, method="percentile",
        rng=np.random.default_rng(0),
    )  # fmt: skip
    return tuple(result.confidence_interval)


def test_binary_scores_get_exact_mcnemar_and_scipys_bootstrap_interval():
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
    assert (delta.ci_low, delta.ci_high) == pytest.approx(scipy_mean_interval(diffs))
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
    assert (delta.ci_low, delta.ci_high) == pytest.approx(scipy_mean_interval(diffs))


def test_identical_sides_give_a_point_interval_and_p_one():
    exp = f1_experiment(metrics=["f1"])
    records = [record(str(i), i, {"f1": v}) for i, v in enumerate([0.1, 0.5, 0.9])]
    delta = compare(exp, "base", records, records).metrics["f1"]
    assert (delta.difference, delta.ci_low, delta.ci_high, delta.p_value) == (0.0, 0.0, 0.0, 1.0)


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
    expected = stats.bootstrap(
        (np.arange(len(labels)),), lambda idx: macro(cand_pred, idx) - macro(base_pred, idx),
        n_resamples=CORPUS_RESAMPLES, method="percentile", vectorized=False,
        rng=np.random.default_rng(0),
    )  # fmt: skip
    assert (delta.ci_low, delta.ci_high) == pytest.approx(tuple(expected.confidence_interval))
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
    result = compare(exp, "base", cand, base)
    assert result.n_pairs == 2
    assert (result.only_candidate, result.only_baseline) == (["only-cand"], ["only-base"])
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


def test_minimum_detectable_difference_and_examples_needed_by_hand():
    z = stats.norm.ppf(0.975) + stats.norm.ppf(0.8)  # 1.95996 + 0.84162 = 2.80158
    assert minimum_detectable(0.2, 32) == pytest.approx(z * 0.2 / math.sqrt(32))
    assert minimum_detectable(0.2, 32) == pytest.approx(0.09905, abs=1e-5)
    # lower end = d - 1.96 sd / sqrt(n) must clear -0.05 with d = -0.01, sd = 0.2
    assert examples_needed(-0.01, 0.2, -0.05) == math.ceil((1.959964 * 0.2 / 0.04) ** 2) == 97
    assert examples_needed(-0.06, 0.2, -0.05) is None  # already past the margin
