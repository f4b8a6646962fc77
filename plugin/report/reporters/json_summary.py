"""JSON reporter: ``{experiment_id}_summary.json`` per experiment and the run's ``summary.json``."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

from parity.record.record import EvalRecord
from parity.report.strict_json import strict

RUN_SUMMARY = "summary.json"


def write_json(path: Path, document: Mapping[str, Any]) -> Path:
    """Write ``document`` as indented, strict JSON to ``path`` (creating its directory)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(strict(document), indent=2, allow_nan=False)
    path.write_text(text + "\n", encoding="utf-8")
    return path


def pytest_parity_experiment_finished(
    config: pytest.Config,
    summary: Mapping[str, Any],
    records: Sequence[EvalRecord],
    run_dir: Path,
) -> None:
    """Write the experiment's summary in ScaleBench's summary JSON shape."""
    write_json(run_dir / f"{summary['experiment_id']}_summary.json", summary)


def pytest_parity_run_finished(
    config: pytest.Config, summary: Mapping[str, Any], run_dir: Path
) -> None:
    """Write the run-level ``summary.json``."""
    write_json(run_dir / RUN_SUMMARY, summary)


def scored_experiments(run_dir: Path) -> list[Mapping[str, Any]]:
    """The summaries in a stored run's ``summary.json`` of the experiments that scored
    examples (those the run wrote per-experiment files for)."""
    document = json.loads((run_dir / RUN_SUMMARY).read_text(encoding="utf-8"))
    return [summary for summary in document["experiments"] if summary.get("n_examples")]


def rebuild(run_dir: Path) -> list[Path]:
    """Rewrite every scored experiment's ``{id}_summary.json`` of a stored run from its
    ``summary.json`` (the same summaries the run wrote them from)."""
    return [
        write_json(Path(run_dir) / f"{summary['experiment_id']}_summary.json", summary)
        for summary in scored_experiments(Path(run_dir))
    ]
