"""``python -m parity merge RUN_DIR...``: the run folders of a run's shards
(``--parity-shard k/N``) as one run folder, concluded once over all of them.

Its raw rows are the shards' rows; its summaries, paired verdicts, gates and TCO are computed
from them by the code a single run concludes with (:func:`parity.analysis.conclusion.conclude`),
so they equal one unsharded run's; the report files are written by the reporters that rebuild
a stored run (:func:`parity.report.rebuild.rebuild_run`), and the shards' JUnit files become
one, with the gates evaluated here. Shards of another config or plan, a shard given twice or
missing, and a case scored by two shards are refused, naming the folders and cases.
"""

from __future__ import annotations

import datetime as _dt
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from parity.analysis.aggregation import ExperimentOutcome
from parity.analysis.baselines import BaselineSource
from parity.analysis.conclusion import Conclusion, GateChoices, conclude
from parity.analysis.narrowing import Narrowing
from parity.cases.shards import plan_sha256
from parity.config.errors import ParityError
from parity.pytest_plugin.nothing_evaluated import evaluated_nothing
from parity.record.jsonl import JsonlError, read_jsonl
from parity.record.raw_writer import RawResultWriter
from parity.record.record import from_raw_row
from parity.record.run_dirs import point_latest, reserve_run_dir
from parity.record.run_setup import store_setups
from parity.record.shard_manifest import NOT_RUN, ShardManifest, read_manifest
from parity.report.junit_merge import merge_junit
from parity.report.rebuild import rebuild_run
from parity.report.reporters.json_summary import RUN_SUMMARY, write_json
from parity.report.reporters.markdown_summary import PAGE, append_step_summary
from parity.report.reports import run_document

NAMED = 10  # cases named in a message; the rest are counted
SHARDS_FILE = "shards.json"  # in the merged folder: which shards it was made from
JUNIT_FILE = "junit.xml"


class MergeRefused(ParityError):
    """The run folders given cannot be merged into one run."""


@dataclass(frozen=True)
class MergedRun:
    """The merged run folder, its conclusion and what the merge noted."""

    path: Path
    conclusion: Conclusion
    notes: tuple[str, ...]
    junit: Path | None
    nothing_evaluated: bool
    allow_skipped: bool  # --parity-allow-skipped: a run that evaluated nothing passes


def _named(items: Sequence[str]) -> str:
    """The first :data:`NAMED` items, and how many more."""
    shown = ", ".join(items[:NAMED])
    return shown + (f" and {len(items) - NAMED} more" if len(items) > NAMED else "")


def _refuse_mixed(shards: Sequence[tuple[Path, ShardManifest]], what: str, key: Any) -> None:
    """Refuse shards that differ in ``key`` (their config, their plan), naming the folders."""
    groups: dict[str, list[str]] = {}
    for path, manifest in shards:
        groups.setdefault(str(key(manifest)), []).append(str(path))
    if len(groups) > 1:
        listed = "; ".join(f"{value}: {', '.join(dirs)}" for value, dirs in groups.items())
        raise MergeRefused(
            f"the run folders are shards of different {what} ({listed}); merge the shards of "
            "one run, made from one config with the same --parity-shard N"
        )


def check_shards(shards: Sequence[tuple[Path, ShardManifest]]) -> None:
    """Refuse shards of different configs or plans, a shard given twice or missing, and case
    lists that do not make the plan they name."""
    _refuse_mixed(shards, "configs", lambda m: f"config {m.config_sha256[:12]}")
    _refuse_mixed(shards, "plans", lambda m: f"plan {m.plan_sha256[:12]} of {m.shard.count} shards")
    count = shards[0][1].shard.count
    by_index: dict[int, list[str]] = {}
    for path, manifest in shards:
        by_index.setdefault(manifest.shard.index, []).append(str(path))
    twice = [
        f"shard {i}/{count}: {', '.join(dirs)}" for i, dirs in by_index.items() if len(dirs) > 1
    ]
    if twice:
        raise MergeRefused(f"a shard is given twice ({'; '.join(twice)}); give each shard once")
    missing = [f"{i}/{count}" for i in range(1, count + 1) if i not in by_index]
    if missing:
        given = ", ".join(f"{dirs[0]} ({i}/{count})" for i, dirs in sorted(by_index.items()))
        raise MergeRefused(
            f"shard {', '.join(missing)} is missing, with every case it was assigned; give "
            f"the run folder of every shard 1..{count} (given: {given})"
        )
    _check_cases(shards)


def _check_cases(shards: Sequence[tuple[Path, ShardManifest]]) -> None:
    """Every position of the plan in exactly one shard, the cases making the plan's hash."""
    placed: dict[int, tuple[str, int]] = {}
    twice: list[str] = []
    for _, manifest in shards:
        for case in manifest.cases:
            if case.position in placed:
                twice.append(case.case_id)
            placed[case.position] = (case.case_id, manifest.shard.index)
    count = shards[0][1].shard.count
    complete = sorted(placed) == list(range(len(placed)))
    ids = [placed[p][0] for p in sorted(placed)]
    numbers = [placed[p][1] for p in sorted(placed)]
    if twice or not complete or plan_sha256(ids, numbers, count) != shards[0][1].plan_sha256:
        named = f" (in two shards: {_named(twice)})" if twice else ""
        raise MergeRefused(
            f"the shards' case lists do not make the plan they name{named}: a shard.json was "
            "edited or comes from another run; rerun the shards"
        )


def _merged_outcome(parts: Sequence[ExperimentOutcome]) -> ExperimentOutcome:
    """One experiment's outcome over every shard (its scored records added by the caller)."""
    expected = [p.expected for p in parts if p.expected is not None]
    lost: dict[str, str] = {}
    unnamed: Counter[str] = Counter()
    for part in parts:
        lost.update(part.lost)
        unnamed.update(part.unnamed)
    return ExperimentOutcome(
        parts[0].experiment,
        failed=sum(p.failed for p in parts),
        skipped=sum(p.skipped for p in parts),
        skip_reasons={reason for p in parts for reason in p.skip_reasons},
        reported=sum(p.reported for p in parts),
        expected=sum(expected) if expected else None,
        lost=lost,
        unnamed=dict(unnamed),
        errors=[error for p in parts for error in p.errors],
    )


@dataclass
class _Combined:
    """The shards' outcomes, setups, baselines and raw rows, combined."""

    outcomes: dict[str, ExperimentOutcome]
    setups: dict[str, dict[str, Any]]
    sources: dict[str, BaselineSource]
    rows: dict[str, list[dict[str, Any]]]  # by raw file stem
    stems: dict[str, str]  # raw file stem -> experiment id


def _combine(shards: Sequence[tuple[Path, ShardManifest]]) -> _Combined:
    """Combine every shard's outcomes and rows; refuse a case scored by two shards."""
    parts: dict[str, list[ExperimentOutcome]] = {}
    combined = _Combined({}, {}, {}, {}, {})
    seen: dict[tuple[str, str, int, str], str] = {}
    twice: list[str] = []
    for path, manifest in shards:
        for stored in manifest.outcomes:
            experiment_id = stored.outcome.experiment.id
            parts.setdefault(experiment_id, []).append(stored.outcome)
            if stored.setup is not None:
                combined.setups.setdefault(experiment_id, stored.setup)
            if stored.source is not None:
                combined.sources.setdefault(experiment_id, stored.source)
            for stem in stored.raw_stems:
                combined.stems[stem] = experiment_id
                for row in _rows(path / f"{stem}.jsonl"):
                    repeat = (row.get("metadata") or {}).get("repeat", 0)
                    key = (experiment_id, str(row.get("id")), repeat, stem)
                    if key in seen:
                        twice.append(f"{experiment_id}/{key[1]} ({seen[key]}, {path})")
                    seen[key] = str(path)
                    combined.rows.setdefault(stem, []).append(row)
    if twice:
        raise MergeRefused(f"cases scored by two shards: {_named(twice)}; rerun the shards")
    for experiment_id, outcomes in parts.items():
        combined.outcomes[experiment_id] = _merged_outcome(outcomes)
    return combined


def _rows(path: Path) -> list[dict[str, Any]]:
    """The raw rows of one shard's file (none when the shard wrote none there)."""
    if not path.is_file():
        return []
    try:
        return [line.value for line in read_jsonl(path) if isinstance(line.value, dict)]
    except JsonlError as exc:
        raise MergeRefused(
            f"{path}, line {exc.number}: {exc.reason} (a file cut short or edited)"
        ) from None


def _add_records(combined: _Combined) -> None:
    """Give each experiment's outcome its scored records, from the rows."""
    for stem, rows in combined.rows.items():
        outcome = combined.outcomes[combined.stems[stem]]
        for row in rows:
            record = from_raw_row({"experiment_id": outcome.experiment.id, **row})
            outcome.records.append(record.compact())


def never_run(shards: Sequence[tuple[Path, ShardManifest]]) -> list[str]:
    """Why cases are missing: each shard's cases that never reported, named (a shard that
    ``-k`` or ``-m`` narrowed is left out: its unrun cases were deselected)."""
    notes = []
    for path, manifest in shards:
        if manifest.options.get("narrowed_by"):
            continue
        lost = [case.case_id for case in manifest.cases if case.status == NOT_RUN]
        if lost:
            notes.append(
                f"shard {manifest.shard} ({path}) never ran {len(lost)} of its cases, counted "
                f"as missing: {_named(lost)}"
            )
    return notes


def _narrowing(shards: Sequence[tuple[Path, ShardManifest]]) -> Narrowing | None:
    """How the shards were narrowed (``-k``...), with each experiment's cases in the plan."""
    by = next((m.options["narrowed_by"] for _, m in shards if m.options.get("narrowed_by")), None)
    if by is None:
        return None
    totals = Counter(case.experiment_id for _, m in shards for case in m.cases)
    return Narrowing(str(by), totals)


def output_dir(out: Path | None) -> Path:
    """``out`` (made, and refused when it holds a run already), else a new
    ``reports/<timestamp>/`` as a run makes it."""
    if out is None:
        return reserve_run_dir(Path("reports"), _dt.datetime.now().strftime("%Y%m%d-%H%M%S"))
    if (out / RUN_SUMMARY).exists() or any(out.glob("*.jsonl")):
        raise MergeRefused(f"--out {out} already holds a run; give a new folder")
    out.mkdir(parents=True, exist_ok=True)
    return out


def merge_runs(run_dirs: Sequence[Path], out: Path | None = None) -> MergedRun:
    """Merge the shard run folders ``run_dirs`` into ``out`` (default a new
    ``reports/<timestamp>/``); MergeRefused (naming folders and cases) when they cannot be."""
    shards = sorted(
        ((path, read_manifest(path)) for path in run_dirs), key=lambda s: s[1].shard.index
    )
    if not shards:
        raise MergeRefused("no run folder given")
    check_shards(shards)
    combined = _combine(shards)
    _add_records(combined)
    first = shards[0][1]
    choices = GateChoices(
        bool(first.options.get("allow_skipped_gates")),
        bool(first.options.get("gate_narrowed")),
        bool(first.options.get("allow_skipped")),
    )
    empty = evaluated_nothing(combined.outcomes)
    conclusion = conclude(
        combined.outcomes, combined.setups, combined.sources, first.tco, _narrowing(shards),
        choices, empty,
    )  # fmt: skip
    notes = never_run(shards)
    every_note = list(dict.fromkeys(n for _, m in shards for n in m.notes)) + notes
    target = output_dir(out)
    writer = RawResultWriter(target)
    try:
        for stem, rows in combined.rows.items():
            for row in rows:
                writer.append(stem, row)
    finally:
        writer.close()
    store_setups(target, combined.setups)
    summaries = [conclusion.summaries[i] for i in combined.outcomes if i in conclusion.summaries]
    document = run_document(
        first.config, summaries, conclusion.gates, every_note, conclusion.verdicts,
        conclusion.holm,
    )  # fmt: skip
    write_json(target / RUN_SUMMARY, document)
    rebuild_run(target)
    append_step_summary(None, target / PAGE)  # the merge job's page on GitHub Actions
    write_json(target / SHARDS_FILE, {
        "plan_sha256": first.plan_sha256,
        "config_sha256": first.config_sha256,
        "shards": [{"shard": str(m.shard), "run_dir": str(p)} for p, m in shards],
    })  # fmt: skip
    junits = [p / m.junitxml for p, m in shards if m.junitxml and (p / m.junitxml).is_file()]
    junit = merge_junit(junits, conclusion.gates, target / JUNIT_FILE) if junits else None
    if out is None:
        point_latest(target.parent, target)
    return MergedRun(target, conclusion, tuple(notes), junit, empty, choices.allow_skipped)
