"""JSON reporter: ``{experiment_id}_summary.json`` per experiment and the run's ``summary.json``."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

from parity.record.record import EvalRecord


def strict(value: Any) -> Any:
    """``value`` with every NaN or infinite number made null: what strict JSON can hold
    (a bare ``NaN`` is not JSON, and most readers other than Python's refuse it)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, Mapping):
        return {key: strict(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [strict(item) for item in value]
    return value


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
    write_json(run_dir / "summary.json", summary)
