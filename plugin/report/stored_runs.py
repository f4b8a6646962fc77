"""Stored runs: a run folder's ``summary.json`` read back, with its experiments by id and their
raw rows on demand (what ``python -m parity compare``, ``report`` and the run index read).

A run folder is a directory holding the run-level ``summary.json`` (``reports/<timestamp>/``,
which also holds the ``.parity-run`` mark, or a ``--parity-report-dir``); ``reports/latest``
is followed to the run it names.
"""

from __future__ import annotations

import datetime as _dt
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from parity.analysis.baselines import stored_records
from parity.config.errors import DataError, ParityError
from parity.record.record import EvalRecord
from parity.record.run_dirs import LATEST_FILE, RUN_NAME
from parity.report.reporters.json_summary import RUN_SUMMARY


class NotARunFolder(ParityError):
    """A path given as a run folder is not one (or its ``summary.json`` cannot be read)."""


@dataclass(frozen=True)
class StoredRun:
    """One run folder and the run-level summary it holds."""

    path: Path
    summary: Mapping[str, Any]

    @property
    def experiments(self) -> dict[str, Mapping[str, Any]]:
        """Each experiment's summary by id, in the run's order."""
        return {str(e["experiment_id"]): e for e in self.summary.get("experiments", [])}

    @property
    def started(self) -> _dt.datetime | None:
        """When the run started, from its folder's name (None for a folder named otherwise)."""
        match = RUN_NAME.fullmatch(self.path.name)
        if match is None:
            return None
        return _dt.datetime.strptime(match.group(1), "%Y%m%d-%H%M%S")

    def records(self, experiment_id: str) -> list[EvalRecord]:
        """The experiment's scored records, from its raw JSONL rows (DataError when a file
        is cut short or edited)."""
        return stored_records(self.path, self.experiments[experiment_id])


def resolve_run_dir(path: Path) -> Path:
    """``path`` with ``reports/latest`` followed to the run it names (a symlink, or the
    ``reports/LATEST`` file written where a symlink cannot be made)."""
    if path.is_symlink():
        return path.resolve()
    if path.name == LATEST_FILE and path.is_file():
        return path.parent / path.read_text(encoding="utf-8").strip()
    return path


def load_run(path: Path) -> StoredRun:
    """The run stored at ``path``; NotARunFolder, naming the path, when it is none."""
    run_dir = resolve_run_dir(path)
    summary_path = run_dir / RUN_SUMMARY
    if not run_dir.is_dir():
        raise NotARunFolder(f"{path} is not a run folder: no such directory")
    if not summary_path.is_file():
        raise NotARunFolder(
            f"{path} is not a run folder: it holds no {RUN_SUMMARY} (give reports/<timestamp>/)"
        )
    try:
        summary = json.loads(summary_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise NotARunFolder(f"{summary_path} cannot be read as a run summary: {exc}") from None
    if not isinstance(summary, dict) or not isinstance(summary.get("experiments"), list):
        raise NotARunFolder(f"{summary_path} is not a run summary: it has no experiments list")
    return StoredRun(run_dir, summary)


def load_records(run: StoredRun, experiment_id: str) -> list[EvalRecord]:
    """:meth:`StoredRun.records`, a DataError turned into NotARunFolder (one line)."""
    try:
        return run.records(experiment_id)
    except DataError as exc:
        raise NotARunFolder(str(exc).splitlines()[0]) from None
