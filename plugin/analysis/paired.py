"""Paired comparison of a candidate experiment with its baseline, example by example.

Items are paired by example (dataset subset and id). Per score this gives both means, the
mean paired difference (candidate − baseline), a 95% interval of that difference chosen by
the data, and a paired test:

- every score 0 or 1: Tango's score interval for paired proportions, exact McNemar;
- other scores: the Student-t interval of the mean difference with each end moved out to
  Hall's (1992) skewness-corrected t interval where that reaches further (for scores in
  [0, 1] no further than Tango's interval of the same pairs drawn as 0/1), Wilcoxon
  signed-rank; when every pair differs by the same amount (no spread to estimate) the
  paired-proportion interval of that many agreeing pairs, centred on the difference;
- corpus-level metrics: a jackknife t interval over pairs (delete-a-group past
  ``JACKKNIFE_GROUPS`` pairs) widened by Hall's correction for its pseudo-values' skewness, trusted from ``CORPUS_MIN_PAIRS`` pairs on, and a paired
  permutation test (``scipy.stats.permutation_test``, each pair's sides swapped at random).

These cover at 95% from 5 pairs on (corpus metrics: from ``CORPUS_MIN_PAIRS``), also when
most pairs tie and a few drop far, or the differences are skewed
(tests/plugin/test_coverage.py); the percentile bootstrap they replace covered 53% of binary
differences at 5 pairs and 80% of a macro-F1 difference at 6. Repeats of one example are
averaged into one pair. Examples scored on one side only are kept by name, with why the
other side has none (failed, skipped, missing), for the verdict and the gates.
"""

from __future__ import annotations

import math
import warnings
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from parity.analysis.aggregation import corpus_value
from parity.analysis.error_classes import error_flips
from parity.analysis.stats import (
    BOOTSTRAP_SEED,
    CONFIDENCE,
    CORPUS_MIN_PAIRS,
    STUDENT_T,
    jackknife_interval,
    paired_proportion_interval,
    percentile,
    scipy_stats,
    skew_corrected_interval,
    t_critical,
    t_power_multiple,
    tango_interval,
    unit_scores_bound,
    z_critical,
)
from parity.config.config import Experiment
from parity.evals.metrics import METRICS
from parity.record.record import COMPRESSION_STAGE, EvalRecord

if TYPE_CHECKING:
    import numpy as np

# "pairs needed" past this is reported as not at any n (also ends the search when the
# difference sits on the bound up to rounding, where n would grow past 2**53)
MAX_PAIRS_NEEDED = 10**9
# differences that spread less than this (relative to their size) differ by rounding alone
SPREAD_TOLERANCE = 1e-9
PERMUTATIONS = 999
POWER = 0.80
MCNEMAR = "exact McNemar"
WILCOXON = "Wilcoxon signed-rank"
PERMUTATION = "paired permutation"
TANGO = "Tango paired score"
NO_SPREAD = "Newcombe paired score, no spread (every pair differs alike)"
JACKKNIFE = "jackknife t"
COMPRESSION_P50 = "compression_latency_p50_ms"  # the compressor's own time, per example
COMPRESSION_COST = "compression_cost_usd"  # the compressor's own cost, mean per example

Group = list[EvalRecord]  # every record (repeat) of one example on one side


def examples_needed(difference: float, sd: float, bound: float) -> int | None:
    """Roughly how many pairs put the Student-t interval's lower end above ``bound``, if the
    mean difference and its per-pair spread stay as observed (None: not at any n up to
    ``MAX_PAIRS_NEEDED``, as when the difference sits on the bound up to rounding)."""
    gap = difference - bound
    if not (gap > 0 and 0 < sd < math.inf):  # also when either is NaN
        return None
    root = z_critical(0.5 + CONFIDENCE / 2) * sd / gap  # t > z: root**2 is a lower bound on n
    if not root <= math.sqrt(MAX_PAIRS_NEEDED):
        return None
    floor = root**2

    def clears(n: int) -> bool:
        return t_critical(n - 1) * sd / math.sqrt(n) < gap

    return _first_n(clears, max(2, math.ceil(floor)))


def _first_n(clears: Callable[[int], bool], start: int) -> int | None:
    """The first n >= ``start`` for which ``clears`` holds (it holds for every larger n once
    it holds), by doubling then bisecting; None past ``MAX_PAIRS_NEEDED``."""
    low, high = start - 1, start
    while not clears(high):
        if high > MAX_PAIRS_NEEDED:
            return None
        low, high = high, high * 2
    while high - low > 1:  # the first n that clears lies in (low, high]
        middle = (low + high) // 2
        low, high = (low, middle) if clears(middle) else (middle, high)
    return high


def agreeing_pairs_needed(gap: float) -> int | None:
    """How many pairs that all differ alike put the interval's end within ``gap`` of their
    difference (the paired-proportion interval narrows as agreeing pairs are added); at
    least 2."""
    if not gap > 0:
        return None
    return _first_n(lambda n: paired_proportion_interval(0, 0, 0, n)[1] < gap, 2)


def minimum_detectable(sd: float, n: int) -> float:
    """The smallest true difference a two-sided 95% paired t test at ``n`` pairs finds with
    80% power, given the per-pair standard deviation ``sd`` (1.156·sd, i.e. 3.27·sd/√n, at n = 8)."""
    return t_power_multiple(n, POWER) * sd / math.sqrt(n) if n >= 2 else math.inf


def difference_interval(cand: np.ndarray, base: np.ndarray) -> tuple[float, float, str]:
    """The 95% interval of the mean paired difference ``cand − base``, and its name, chosen
    by the data (see the module's docstring)."""
    import numpy as np

    diffs = cand - base
    if _binary(cand, base):
        better = int(np.sum((cand == 1) & (base == 0)))
        worse = int(np.sum((cand == 0) & (base == 1)))
        low, high = tango_interval(better, worse, len(diffs))
        return low, high, TANGO
    scale = max(1.0, float(np.max(np.abs(diffs)))) if len(diffs) else 1.0
    if len(diffs) > 1 and float(np.ptp(diffs)) > SPREAD_TOLERANCE * scale:
        bound = unit_scores_bound(cand, base) if _within_unit(cand, base) else None
        return skew_corrected_interval(diffs, bound)
    # no spread, or only rounding's (0.6 - 0.5 and 0.7 - 0.6 differ in the last bits)
    low, high = paired_proportion_interval(0, 0, 0, len(diffs))
    centre = float(np.mean(diffs))
    if _within_unit(cand, base):  # proportions: a difference lies in [-1, 1]
        return max(-1.0, centre + low), min(1.0, centre + high), NO_SPREAD
    return centre + low, centre + high, NO_SPREAD


def _within_unit(cand: np.ndarray, base: np.ndarray) -> bool:
    import numpy as np

    both = np.concatenate([cand, base])
    return bool(np.all((both >= 0.0) & (both <= 1.0)))


def _binary(cand: np.ndarray, base: np.ndarray) -> bool:
    import numpy as np

    return set(np.unique(np.concatenate([cand, base])).tolist()) <= {0.0, 1.0}


@dataclass(frozen=True)
class MetricDelta:
    """One score compared over the paired examples."""

    metric: str
    baseline: float
    candidate: float
    difference: float
    ci_low: float
    ci_high: float
    test: str
    p_value: float
    sd_difference: float  # per pair (corpus metrics: jackknife standard error × √n)
    n_pairs: int
    corpus_level: bool = False
    interval: str = STUDENT_T  # how ci_low and ci_high were found
    # the fewest pairs at which this interval was shown to cover (a gate below it is inconclusive)
    interval_min_pairs: int = 0

    @property
    def minimum_detectable(self) -> float:
        """:func:`minimum_detectable` at this comparison's number of pairs."""
        return minimum_detectable(self.sd_difference, self.n_pairs)

    def examples_needed(self, bound: float) -> int | None:
        """:func:`examples_needed` for the interval's lower end to clear ``bound`` (pairs
        that all differ alike: :func:`agreeing_pairs_needed`)."""
        if self.sd_difference == 0 and not self.corpus_level:
            return agreeing_pairs_needed(self.difference - bound)
        return examples_needed(self.difference, self.sd_difference, bound)

    def to_dict(self) -> dict[str, Any]:
        """As data, with the minimum detectable difference."""
        mdd = self.minimum_detectable
        return asdict(self) | {"minimum_detectable_difference": mdd if math.isfinite(mdd) else None}


@dataclass(frozen=True)
class PairedComparison:
    """A candidate against its baseline: per-score deltas, resource changes, what is unpaired."""

    candidate: str
    baseline: str
    n_pairs: int
    metrics: Mapping[str, MetricDelta]
    resources: Mapping[str, Mapping[str, float | None]]
    only_candidate: list[str] = field(default_factory=list)
    only_baseline: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    unpaired: Mapping[str, str] = field(default_factory=dict)  # example -> why it has no pair
    # score -> why it is not compared although both sides have it (a NaN corpus value)
    not_compared: Mapping[str, str] = field(default_factory=dict)
    # paired examples one side gets wrong and the other right, by class (error_classes.py)
    error_flips: Mapping[str, Any] = field(default_factory=dict)

    @property
    def n_examples(self) -> int:
        """The examples either side evaluated or lost: the pairs the run set out to have."""
        return self.n_pairs + len(self.unpaired)

    @property
    def missing_share(self) -> float:
        """The share of :attr:`n_examples` that has no pair."""
        return len(self.unpaired) / self.n_examples if self.n_examples else 0.0

    def missing_text(self) -> str:
        """Why pairs are missing, counted, e.g. ``1 failed on the baseline side``."""
        counts = Counter(self.unpaired.values())
        return ", ".join(f"{count} {why}" for why, count in sorted(counts.items()))

    def to_dict(self) -> dict[str, Any]:
        """The comparison as it appears in ``summary.json`` and the candidate's summary."""
        return {
            "candidate": self.candidate,
            "baseline": self.baseline,
            "n_pairs": self.n_pairs,
            "metrics": {name: delta.to_dict() for name, delta in self.metrics.items()},
            "resources": {name: dict(block) for name, block in self.resources.items()},
            "n_only_candidate": len(self.only_candidate),
            "n_only_baseline": len(self.only_baseline),
            "only_candidate": self.only_candidate,
            "only_baseline": self.only_baseline,
            "n_examples": self.n_examples,
            "unpaired": dict(self.unpaired),
            "warnings": self.warnings,
            "error_flips": dict(self.error_flips),
        }


def _groups(records: Iterable[EvalRecord]) -> dict[str, Group]:
    groups: dict[str, Group] = {}
    for record in records:
        groups.setdefault(record.example_key, []).append(record)
    return groups


def _example_order(group: Group) -> tuple[int, str, str]:
    """Where an example stands in its sample (its index, subset and id): pairs follow it, so a
    serial run and an xdist one, whose records arrive in another order, compare alike."""
    first = min(group, key=lambda r: r.example_index)
    return first.example_index, first.subset or "", first.example_key


def compare(
    experiment: Experiment,
    baseline_label: str,
    candidate_records: Sequence[EvalRecord],
    baseline_records: Sequence[EvalRecord],
    notes: Sequence[str] = (),
    lost: tuple[Mapping[str, str], Mapping[str, str]] = ({}, {}),
) -> PairedComparison:
    """Pair ``candidate_records`` with ``baseline_records`` and compare every score of
    ``experiment`` (the candidate) that both sides have. ``lost`` names the examples each
    side (candidate, baseline) failed or skipped, to say why a pair is missing."""
    cand, base = _groups(candidate_records), _groups(baseline_records)
    keys = sorted((key for key in cand if key in base), key=lambda key: _example_order(cand[key]))
    cand_groups, base_groups = [cand[k] for k in keys], [base[k] for k in keys]
    deltas: dict[str, MetricDelta] = {}
    not_compared: dict[str, str] = {}
    notes = list(notes)
    for name in experiment.metrics:
        metric = METRICS.get(name)
        for output in metric.outputs:
            if not keys:
                continue
            if metric.is_corpus_level:
                delta = _corpus_delta(name, output, cand_groups, base_groups)
            elif _all_scored(output, cand_groups) and _all_scored(output, base_groups):
                delta = _item_delta(
                    output, _group_means(output, cand_groups), _group_means(output, base_groups)
                )
            else:
                continue
            if math.isfinite(delta.candidate) and math.isfinite(delta.baseline):
                deltas[output] = delta
            else:  # a corpus metric, or a stored run's rows from before scores were checked
                not_compared[output] = (
                    f"its value is {delta.candidate} on the candidate's side and "
                    f"{delta.baseline} on the baseline's"
                )
                notes.append(f"{output} is not compared: {not_compared[output]}")
    return PairedComparison(
        candidate=experiment.id,
        baseline=baseline_label,
        n_pairs=len(keys),
        metrics=deltas,
        resources=_resources(_flat(cand_groups), _flat(base_groups)),
        only_candidate=sorted(set(cand) - set(base)),
        only_baseline=sorted(set(base) - set(cand)),
        warnings=notes,
        unpaired=_unpaired(set(cand), set(base), *lost),
        not_compared=not_compared,
        error_flips=error_flips(
            keys, cand_groups, base_groups, experiment.task, experiment.score_names()
        ),
    )


def _unpaired(
    cand: set[str], base: set[str], cand_lost: Mapping[str, str], base_lost: Mapping[str, str]
) -> dict[str, str]:
    """Every example without a pair, and why: ``failed on the baseline side``, ``skipped on
    both sides``, ``missing on the candidate side`` (never reported, or not in a stored run)."""
    reasons: dict[str, str] = {}
    for key in sorted((cand | base | set(cand_lost) | set(base_lost)) - (cand & base)):
        sides = {
            side: lost.get(key, "missing")
            for side, scored, lost in (
                ("candidate", cand, cand_lost),
                ("baseline", base, base_lost),
            )
            if key not in scored
        }
        states = set(sides.values())
        if len(sides) == 2 and len(states) == 1:
            reasons[key] = f"{states.pop()} on both sides"
        else:
            reasons[key] = " and ".join(
                f"{state} on the {side} side" for side, state in sides.items()
            )
    return reasons


def _flat(groups: Sequence[Group]) -> list[EvalRecord]:
    return [record for group in groups for record in group]


def _all_scored(output: str, groups: Sequence[Group]) -> bool:
    return all(output in record.scores for group in groups for record in group)


def _group_means(output: str, groups: Sequence[Group]) -> np.ndarray:
    import numpy as np

    return np.array([math.fsum(r.scores[output] for r in g) / len(g) for g in groups])


def _item_delta(output: str, cand: np.ndarray, base: np.ndarray) -> MetricDelta:
    diffs = cand - base
    low, high, interval = difference_interval(cand, base)
    test, p_value = _paired_test(cand, base)
    return MetricDelta(
        metric=output,
        baseline=float(base.mean()),
        candidate=float(cand.mean()),
        difference=float(diffs.mean()),
        ci_low=low,
        ci_high=high,
        test=test,
        p_value=p_value,
        sd_difference=float(diffs.std(ddof=1)) if len(diffs) > 1 else 0.0,
        n_pairs=len(diffs),
        interval=interval,
    )


def _paired_test(cand: np.ndarray, base: np.ndarray) -> tuple[str, float]:
    """Exact McNemar for 0/1 scores (a two-sided binomial test on the discordant pairs),
    Wilcoxon signed-rank otherwise; p = 1 when no pair differs."""
    import numpy as np

    if _binary(cand, base):
        worse = int(np.sum((base == 1) & (cand == 0)))
        better = int(np.sum((base == 0) & (cand == 1)))
        if worse + better == 0:
            return MCNEMAR, 1.0
        return MCNEMAR, float(scipy_stats().binomtest(better, worse + better, 0.5).pvalue)
    if not np.any(cand != base):
        return WILCOXON, 1.0
    return WILCOXON, float(scipy_stats().wilcoxon(cand, base).pvalue)


def _corpus_delta(
    name: str, output: str, cand: Sequence[Group], base: Sequence[Group]
) -> MetricDelta:
    import numpy as np

    def value(groups: Sequence[Group], picks: Iterable[int]) -> float:
        return corpus_value(name, output, [r for i in picks for r in groups[int(i)]])

    n = len(cand)
    low, high, error = jackknife_interval(n, lambda idx: value(cand, idx) - value(base, idx))
    both = [*base, *cand]  # a permutation swaps sides within pairs: index i <-> i + n
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        test = scipy_stats().permutation_test(
            (np.arange(n), np.arange(n) + n),
            lambda x, y: value(both, y) - value(both, x),
            permutation_type="samples",
            n_resamples=PERMUTATIONS,
            vectorized=False,
            rng=np.random.default_rng(BOOTSTRAP_SEED),
        )
    candidate, baseline = value(cand, range(n)), value(base, range(n))
    return MetricDelta(
        metric=output,
        baseline=baseline,
        candidate=candidate,
        difference=candidate - baseline,
        ci_low=low,
        ci_high=high,
        test=PERMUTATION,
        p_value=float(test.pvalue),
        sd_difference=error * math.sqrt(n),
        n_pairs=n,
        corpus_level=True,
        interval=JACKKNIFE,
        interval_min_pairs=CORPUS_MIN_PAIRS,
    )


def _change(baseline: float | None, candidate: float | None) -> dict[str, float | None]:
    relative = None
    if baseline is not None and candidate is not None and baseline != 0:
        relative = candidate / baseline - 1
    return {"baseline": baseline, "candidate": candidate, "change": relative}


def _total_cost(records: Sequence[EvalRecord]) -> float | None:
    costs = [r.cost_usd for r in records]
    if not costs or any(c is None for c in costs):
        return None
    return math.fsum(c for c in costs if c is not None)


def _resources(
    cand: Sequence[EvalRecord], base: Sequence[EvalRecord]
) -> dict[str, dict[str, float | None]]:
    """Paired changes in input tokens (mean), cost (total) and latency (p50, p95), and the
    compressor's own latency p50 and cost per example (its overhead, absent from a baseline
    that compresses nothing)."""
    if not cand or not base:
        return {}

    def tokens(records: Sequence[EvalRecord]) -> float:
        return math.fsum(r.input_tokens for r in records) / len(records)

    def latency(records: Sequence[EvalRecord], q: float) -> float:
        return percentile([r.latency_ms for r in records], q)

    resources = {
        "input_tokens": _change(tokens(base), tokens(cand)),
        "cost_usd": _change(_total_cost(base), _total_cost(cand)),
        "latency_p50_ms": _change(latency(base, 50), latency(cand, 50)),
        "latency_p95_ms": _change(latency(base, 95), latency(cand, 95)),
    }
    overhead = _stage_p50(cand, COMPRESSION_STAGE)
    if overhead is not None:
        resources[COMPRESSION_P50] = _change(_stage_p50(base, COMPRESSION_STAGE), overhead)
        resources[COMPRESSION_COST] = _change(
            _stage_cost(base, COMPRESSION_STAGE), _stage_cost(cand, COMPRESSION_STAGE)
        )
    return resources


def _stage_p50(records: Sequence[EvalRecord], stage: str) -> float | None:
    latencies = [r.usage[stage].latency_ms for r in records if stage in r.usage]
    return percentile(latencies, 50) if latencies else None


def _stage_cost(records: Sequence[EvalRecord], stage: str) -> float | None:
    """The mean cost per example of ``stage`` (None: no record has it, or a price is unknown)."""
    costs = [r.usage[stage].cost_usd for r in records if stage in r.usage]
    if not costs or any(c is None for c in costs):
        return None
    return math.fsum(c for c in costs if c is not None) / len(costs)


def holm(p_values: Sequence[float]) -> list[float]:
    """Holm's step-down adjustment of ``p_values`` (same order), for several gated pairs."""
    order = sorted(range(len(p_values)), key=lambda i: p_values[i])
    adjusted = [0.0] * len(p_values)
    running = 0.0
    for rank, index in enumerate(order):
        running = max(running, min(1.0, (len(p_values) - rank) * p_values[index]))
        adjusted[index] = running
    return adjusted
