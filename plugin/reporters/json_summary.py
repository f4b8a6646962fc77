"""JSON reporter: ``{experiment_id}_summary.json`` per experiment and the run's ``summary.json``."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

from parity.record import EvalRecord


def write_json(path: Path, document: Mapping[str, Any]) -> Path:
    """Write ``document`` as indented JSON to ``path`` (creating its directory)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
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
    write_json(run_dir / "summary.json", summary)
