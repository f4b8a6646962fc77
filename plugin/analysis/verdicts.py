"""Verdicts: every experiment with a baseline compared pair by pair, and how that reads.

``compare_all`` gives each such experiment a :class:`PairedComparison` (or the reason there
is none); ``verdict_line`` is its one terminal line; ``holm_table`` adjusts the p-values of
several gated pairs for multiplicity.

An example one side has and the other has no trace of is *missing* on that side (it counts
against ``max_missing_share``), unless that side is an experiment of this run whose every
selected item reported with its example: then the example was *not run* there (``-k``
deselected it, or it is outside that side's sample), which is not a lost pair.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from parity.analysis.aggregation import ExperimentOutcome
from parity.analysis.baselines import BaselineSource, stored_records, stored_summary
from parity.analysis.gates import GateResult, signed
from parity.analysis.narrowing import Narrowing
from parity.analysis.paired import (
    COMPRESSION_COST,
    COMPRESSION_P50,
    PairedComparison,
    compare,
    holm,
)
from parity.config.errors import DataError


def compare_all(
    outcomes: Mapping[str, ExperimentOutcome],
    sources: Mapping[str, BaselineSource],
    narrowing: Narrowing | None = None,
) -> dict[str, PairedComparison | str]:
    """Each experiment with a baseline: its paired comparison, or why there is none (in a
    run ``narrowing`` narrowed, a baseline it deselected is named so)."""
    comparisons: dict[str, PairedComparison | str] = {}
    for experiment_id, source in sources.items():
        outcome = outcomes.get(experiment_id)
        if outcome is None or not outcome.selected:
            continue
        if not outcome.records:
            comparisons[experiment_id] = outcome.no_scores_reason()
            continue
        deselected = narrowing.deselected(outcomes, source) if narrowing is not None else None
        if deselected is not None:
            comparisons[experiment_id] = deselected
            continue
        baseline = _baseline_records(outcomes, source)
        if isinstance(baseline, str):
            comparisons[experiment_id] = f"the baseline {source.label} has no scores: {baseline}"
            continue
        comparison = compare(
            outcome.experiment, source.label, outcome.paired_records(), baseline, source.warnings,
            lost=(outcome.lost_examples(), _baseline_lost(outcomes, source)),
        )  # fmt: skip
        comparison = _without_not_run(comparison, outcome, _in_run(outcomes, source))
        if comparison.n_pairs == 0 and not comparison.unpaired:
            comparisons[experiment_id] = (
                f"no example was scored by both {experiment_id} ({len(outcome.records)} scored) "
                f"and {source.label} ({len(baseline)} scored)"
            )
            continue
        comparisons[experiment_id] = comparison
    return comparisons


def _baseline_records(
    outcomes: Mapping[str, ExperimentOutcome], source: BaselineSource
) -> list[Any] | str:
    if source.run_dir is None:
        baseline = outcomes.get(source.experiment_id)
        if baseline is None:
            return f"'{source.experiment_id}' is not an experiment of this run"
        return baseline.paired_records() if baseline.records else baseline.no_scores_reason()
    try:
        summary = stored_summary(source.run_dir, source.experiment_id)
        records = stored_records(source.run_dir, summary) if summary is not None else []
    except DataError as exc:
        return str(exc)
    return records or f"{source.run_dir} holds no scored rows of '{source.experiment_id}'"


def _in_run(
    outcomes: Mapping[str, ExperimentOutcome], source: BaselineSource
) -> ExperimentOutcome | None:
    """The baseline's outcome when it is an experiment of this run (None: a stored run)."""
    return outcomes.get(source.experiment_id) if source.run_dir is None else None


def _baseline_lost(
    outcomes: Mapping[str, ExperimentOutcome], source: BaselineSource
) -> dict[str, str]:
    """The examples an in-run baseline failed or skipped (a stored run's are 'missing')."""
    baseline = _in_run(outcomes, source)
    return baseline.lost_examples() if baseline is not None else {}


def _without_not_run(
    comparison: PairedComparison,
    candidate: ExperimentOutcome,
    baseline: ExperimentOutcome | None,
) -> PairedComparison:
    """``comparison`` without the examples a side did not run among its unpaired ones: those
    only the other side has, on a side that accounts for every item it selected."""
    not_run = set()
    for outcome, others_only in ((candidate, comparison.only_baseline),
                                 (baseline, comparison.only_candidate)):  # fmt: skip
        if outcome is not None and outcome.every_item_named:
            not_run |= set(others_only) - set(outcome.lost_examples())
    if not not_run:
        return comparison
    unpaired = {key: why for key, why in comparison.unpaired.items() if key not in not_run}
    return replace(comparison, unpaired=unpaired)


def not_run_text(comparison: PairedComparison) -> str:
    """How many examples one side had that the other did not run (``-k``, another sample),
    e.g. ``3 not run on the candidate side``; empty when none."""
    unpaired = set(comparison.unpaired)
    counts = {
        side: len(set(others_only) - unpaired)
        for side, others_only in (("candidate", comparison.only_baseline),
                                  ("baseline", comparison.only_candidate))
    }  # fmt: skip
    return ", ".join(f"{n} not run on the {side} side" for side, n in counts.items() if n)


def _percent(block: Mapping[str, float | None] | None) -> str | None:
    change = block.get("change") if block else None
    return None if change is None else f"{100 * change:+.0f}%"


def verdict_line(comparison: PairedComparison | str, candidate: str, baseline: str,
                 gates: Sequence[GateResult]) -> str:  # fmt: skip
    """``cand vs base  f1 -0.012 [-0.041, +0.015] n=32 | tokens -71% | cost -69% | p50 -40%
    -> non-inferior (margin 0.05)``, with the compressor's own p50 and cost per query after
    the latency change when the candidate compresses; a gate-less pair ends with its test's
    p-value. Missing pairs are counted with why: ``n=7 of 8 (1 failed on the baseline
    side)``, and examples a side did not run after them (``n=8 (2 not run on the candidate
    side)``)."""
    head = f"{candidate} vs {baseline}"
    if isinstance(comparison, str):
        return f"{head}  no verdict: {comparison}"
    gated = [g for g in gates if g.kind in ("max_drop", "min_gain")]
    shown = list(dict.fromkeys(g.metric for g in gated)) or list(comparison.metrics)
    parts = [
        f"{name} {signed(d.difference)} [{signed(d.ci_low)}, {signed(d.ci_high)}]"
        for name in shown
        if (d := comparison.metrics.get(name)) is not None
    ]
    line = f"{head}  {', '.join(parts)} n={comparison.n_pairs}"
    missing = comparison.missing_text() if comparison.unpaired else ""
    if missing:
        line += f" of {comparison.n_examples}"
    why = "; ".join(text for text in (missing, not_run_text(comparison)) if text)
    if why:
        line += f" ({why})"
    for label, key in (("tokens", "input_tokens"), ("cost", "cost_usd"), ("p50", "latency_p50_ms")):
        change = _percent(comparison.resources.get(key))
        if change is not None:
            line += f" | {label} {change}"
    overhead = comparison.resources.get(COMPRESSION_P50, {}).get("candidate")
    if overhead is not None:
        spent = comparison.resources.get(COMPRESSION_COST, {}).get("candidate")
        price = "" if spent is None else f", ${spent:.1e}/query"
        line += f" (compression p50 {overhead:.0f} ms{price})"
    if gated:
        verdicts = [
            f"{g.metric} {g.verdict} ({'margin' if g.kind == 'max_drop' else 'gain'} {g.limit})"
            for g in gated
        ]
        return f"{line} -> {'; '.join(verdicts)}"
    tests = [
        f"{name} p={d.p_value:.3g} ({d.test})"
        for name in shown
        if (d := comparison.metrics.get(name)) is not None
    ]
    return f"{line} -> no gate; {'; '.join(tests)}"


def holm_table(
    comparisons: Mapping[str, PairedComparison | str], gates: Sequence[GateResult]
) -> list[dict[str, Any]]:
    """Holm-adjusted p-values of every gated (pair, metric) test, when there are several."""
    tests: list[dict[str, Any]] = []
    for gate in gates:
        comparison = comparisons.get(gate.experiment_id)
        if gate.kind not in ("max_drop", "min_gain") or not isinstance(
            comparison, PairedComparison
        ):
            continue
        delta = comparison.metrics.get(gate.metric)
        if delta is not None and (gate.experiment_id, gate.metric) not in {
            (t["candidate"], t["metric"]) for t in tests
        }:
            tests.append({
                "candidate": gate.experiment_id,
                "baseline": comparison.baseline,
                "metric": gate.metric,
                "test": delta.test,
                "p_value": delta.p_value,
            })  # fmt: skip
    if len(tests) < 2:
        return []
    for test, adjusted in zip(tests, holm([float(t["p_value"]) for t in tests]), strict=True):
        test["p_holm"] = adjusted
    return tests
