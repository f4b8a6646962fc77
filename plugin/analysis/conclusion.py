"""A run's conclusion from its experiments' outcomes: each summary (with TCO and training),
the paired comparisons, the gates, the verdict lines and the Holm table. Computed at the end
of a pytest session, and once over all shards by ``python -m parity merge``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from parity.analysis.aggregation import ExperimentOutcome
from parity.analysis.baselines import BaselineSource
from parity.analysis.gates import GateResult, evaluate_gates
from parity.analysis.narrowing import Narrowing
from parity.analysis.tco import TcoSettings, tco_block, training_block
from parity.analysis.verdicts import compare_all, holm_table, verdict_line
from parity.engine.pricing import price_for


@dataclass(frozen=True)
class GateChoices:
    """What the gate options chose: ``--parity-allow-skipped-gates``,
    ``--parity-gate-narrowed``, ``--parity-allow-skipped``."""

    allow_skipped_gates: bool = False
    gate_narrowed: bool = False
    allow_skipped: bool = False


@dataclass(frozen=True)
class NarrowedGates:
    """Why each experiment's threshold gates, and its paired gates, are narrowed."""

    thresholds: Mapping[str, str] = field(default_factory=dict)
    paired: Mapping[str, str] = field(default_factory=dict)


@dataclass
class Conclusion:
    """Every experiment's summary (by id, with its comparison with its baseline), the gates,
    the verdict lines and the Holm-adjusted p-values."""

    summaries: dict[str, dict[str, Any]]
    gates: list[GateResult]
    verdicts: list[str]
    holm: list[dict[str, Any]]


def narrowed_gates(
    outcomes: Mapping[str, ExperimentOutcome],
    sources: Mapping[str, BaselineSource],
    narrowing: Narrowing | None,
) -> NarrowedGates:
    """Why each narrowed experiment's threshold gates, and its paired gates, are narrowed."""
    if narrowing is None:
        return NarrowedGates()
    thresholds = {
        experiment_id: reason
        for experiment_id, outcome in outcomes.items()
        if (reason := narrowing.of(outcome)) is not None
    }
    paired = {
        experiment_id: reason
        for experiment_id, source in sources.items()
        if (outcome := outcomes.get(experiment_id)) is not None
        and (reason := narrowing.paired(outcomes, outcome, source)) is not None
    }
    return NarrowedGates(thresholds, paired)


def shard_narrowed(outcomes: Mapping[str, ExperimentOutcome], shard: object) -> NarrowedGates:
    """A shard (``--parity-shard k/N``, ``shard`` its ``k/N``) evaluates no gate: each is
    evaluated once over all shards by ``python -m parity merge``."""
    reason = f"this is shard {shard}; python -m parity merge gates over all shards"
    every = dict.fromkeys(outcomes, reason)
    return NarrowedGates(every, every)


def summaries_of(
    outcomes: Mapping[str, ExperimentOutcome],
    setups: Mapping[str, dict[str, Any]],
    settings: TcoSettings,
) -> dict[str, dict[str, Any]]:
    """Each experiment's summary that reported (or went missing), with training and TCO."""
    summaries = {
        experiment_id: outcome.summary(setups.get(experiment_id))
        for experiment_id, outcome in outcomes.items()
        if outcome.reported or outcome.missing
    }
    for experiment_id, summary in summaries.items():
        model = outcomes[experiment_id].experiment.model
        price = price_for(model) if model.provider else None
        training = training_block(model.options.get("adapter"), (price or {}).get("gpu_hour_usd"))
        if training is not None:
            summary["training"] = training
        summary["tco"] = tco_block(summary, settings)
    return summaries


def conclude(
    outcomes: Mapping[str, ExperimentOutcome],
    setups: Mapping[str, dict[str, Any]],
    sources: Mapping[str, BaselineSource],
    settings: TcoSettings,
    narrowing: Narrowing | None,
    choices: GateChoices,
    empty_run: bool,
    narrowed: NarrowedGates | None = None,
) -> Conclusion:
    """Summarize, compare, gate and give verdicts; ``empty_run``: every item that reported
    was skipped; ``narrowed`` overrides the reasons ``narrowing`` gives for gates not to be
    evaluated (a shard's)."""
    summaries = summaries_of(outcomes, setups, settings)
    comparisons = compare_all(outcomes, sources, narrowing)
    if narrowed is None:
        narrowed = narrowed_gates(outcomes, sources, narrowing)
    gates = evaluate_gates(
        outcomes, summaries, comparisons, choices.allow_skipped_gates, narrowed.thresholds,
        narrowed.paired, choices.gate_narrowed, empty_run,
        choices.allow_skipped,
    )  # fmt: skip
    verdicts: list[str] = []
    for experiment_id, comparison in comparisons.items():
        source = sources[experiment_id]
        own = [g for g in gates if g.experiment_id == experiment_id]
        verdicts.append(verdict_line(comparison, experiment_id, source.label, own))
        if isinstance(comparison, str):
            block: dict[str, Any] = {"baseline": source.label, "unavailable": comparison}
        else:
            block = comparison.to_dict()
        block["verdicts"] = {
            f"{g.kind}.{g.metric}": g.verdict for g in own if g.kind in ("max_drop", "min_gain")
        }
        if experiment_id in summaries:
            summaries[experiment_id]["comparison"] = block
    return Conclusion(summaries, gates, verdicts, holm_table(comparisons, gates))
