"""``shard.json``: what a shard run (``--parity-shard k/N``) leaves beside its raw rows so
that ``python -m parity merge`` can conclude over all shards as one run would.

It holds the shard's identity (k, N), the plan's hash and the config's, each case the shard
was assigned (its position in the plan, its experiment and what became of it), and each
experiment's outcome apart from its scored records (which are the raw rows): the counts of
failed, skipped and missing items, the errors, the examples that lost a pair, the setup,
the baseline and the experiment itself (its secret-named settings masked), so that the merge
needs the run folders alone, not the config or its data.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from parity.analysis.aggregation import ExperimentOutcome
from parity.analysis.baselines import BaselineSource
from parity.analysis.tco import TcoSettings
from parity.cases.shards import Shard
from parity.config.config import Experiment
from parity.config.errors import ParityError
from parity.engine.redaction import mask_settings
from parity.marked.pipeline import experiment_from_data, experiment_to_data
from parity.record.record import EvalRecord

SHARD_FILE = "shard.json"
FORMAT = 1
NOT_RUN = "not run"  # a case's status when no report of it arrived


@dataclass(frozen=True)
class ShardCase:
    """One case of the plan a shard was assigned: where it stands in the plan, its id, its
    experiment, and its outcome in the shard (passed, failed, skipped or :data:`NOT_RUN`)."""

    position: int
    case_id: str
    experiment_id: str
    status: str


@dataclass(frozen=True)
class StoredOutcome:
    """An experiment's outcome in one shard, without its scored records."""

    outcome: ExperimentOutcome
    setup: dict[str, Any] | None
    source: BaselineSource | None
    raw_stems: tuple[str, ...]  # the raw row files ({stem}.jsonl) its cases write


@dataclass(frozen=True)
class ShardManifest:
    """Everything ``shard.json`` holds (see the module's docstring)."""

    shard: Shard
    plan_sha256: str
    config_sha256: str
    config: str  # the config as the run named it
    cases: tuple[ShardCase, ...]
    outcomes: tuple[StoredOutcome, ...]
    tco: TcoSettings
    notes: tuple[str, ...]
    options: Mapping[str, Any]  # the gate options and how the run was narrowed
    junitxml: str | None  # the JUnit file's name, when the run wrote one into its folder


def experiment_data(experiment: Experiment) -> dict[str, Any]:
    """``experiment`` as JSON-able data, its secret-named settings masked."""
    return mask_settings(experiment_to_data(experiment))


def config_sha256(experiments: Sequence[Experiment], tco: TcoSettings) -> str:
    """The hash of what a config asks for: every experiment (masked) and the TCO volume."""
    data = {"experiments": [experiment_data(e) for e in experiments], "tco": asdict(tco)}
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=repr).encode()).hexdigest()


def _outcome_data(stored: StoredOutcome) -> dict[str, Any]:
    outcome = stored.outcome
    source = stored.source
    return {
        "experiment": experiment_data(outcome.experiment),
        "setup": stored.setup,
        "baseline": None if source is None else {
            "experiment_id": source.experiment_id,
            "run_dir": None if source.run_dir is None else str(source.run_dir),
            "warnings": list(source.warnings),
        },
        "raw_stems": list(stored.raw_stems),
        "failed": outcome.failed,
        "skipped": outcome.skipped,
        "skip_reasons": sorted(outcome.skip_reasons),
        "reported": outcome.reported,
        "expected": outcome.expected,
        "lost": dict(outcome.lost),
        "unnamed": dict(outcome.unnamed),
        "errors": [record.to_dict() for record in outcome.errors],
    }  # fmt: skip


def _outcome_from(data: Mapping[str, Any]) -> StoredOutcome:
    outcome = ExperimentOutcome(
        experiment_from_data(data["experiment"]),
        failed=int(data["failed"]),
        skipped=int(data["skipped"]),
        skip_reasons=set(data["skip_reasons"]),
        reported=int(data["reported"]),
        expected=data["expected"],
        lost=dict(data["lost"]),
        unnamed=dict(data["unnamed"]),
        errors=[EvalRecord.from_dict(record) for record in data["errors"]],
    )
    baseline = data["baseline"]
    source = None
    if baseline is not None:
        run_dir = baseline["run_dir"]
        source = BaselineSource(
            baseline["experiment_id"],
            None if run_dir is None else Path(run_dir),
            tuple(baseline["warnings"]),
        )
    return StoredOutcome(outcome, data["setup"], source, tuple(data["raw_stems"]))


def write_manifest(run_dir: Path, manifest: ShardManifest) -> Path:
    """Write ``shard.json`` into ``run_dir``."""
    data = {
        "format": FORMAT,
        "shard": {"index": manifest.shard.index, "count": manifest.shard.count},
        "plan_sha256": manifest.plan_sha256,
        "config_sha256": manifest.config_sha256,
        "config": manifest.config,
        "cases": [[c.position, c.case_id, c.experiment_id, c.status] for c in manifest.cases],
        "experiments": [_outcome_data(stored) for stored in manifest.outcomes],
        "tco": asdict(manifest.tco),
        "notes": list(manifest.notes),
        "options": dict(manifest.options),
        "junitxml": manifest.junitxml,
    }
    path = run_dir / SHARD_FILE
    path.write_text(json.dumps(data, indent=1, default=repr) + "\n", encoding="utf-8")
    return path


def read_manifest(run_dir: Path) -> ShardManifest:
    """The ``shard.json`` of ``run_dir``; a ParityError naming the folder when it has none
    or it cannot be read."""
    path = run_dir / SHARD_FILE
    if not path.is_file():
        raise ParityError(
            f"{run_dir} is not a shard run: it holds no {SHARD_FILE} (a run made with "
            "--parity-shard k/N writes one)"
        )
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("format") != FORMAT:
            raise ValueError(f"format {data.get('format')!r}, expected {FORMAT}")
        return ShardManifest(
            Shard(int(data["shard"]["index"]), int(data["shard"]["count"])),
            str(data["plan_sha256"]),
            str(data["config_sha256"]),
            str(data["config"]),
            tuple(ShardCase(int(p), str(c), str(e), str(s)) for p, c, e, s in data["cases"]),
            tuple(_outcome_from(item) for item in data["experiments"]),
            TcoSettings(**data["tco"]),
            tuple(data["notes"]),
            dict(data["options"]),
            data["junitxml"],
        )
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError) as exc:
        raise ParityError(f"{path} cannot be read as a shard manifest: {exc}") from None
