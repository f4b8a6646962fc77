"""A stored run's raw row counts checked against its summaries before ``python -m parity
report`` rebuilds from them: summaries are rebuilt from ``summary.json``, not recomputed from
rows, so a raw file edited or removed since the run would otherwise go unnoticed."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from parity.config.file_names import raw_file_stem_of
from parity.report.stored_runs import StoredRun


def _expected_rows(summary: Mapping[str, Any]) -> dict[str, int]:
    """Each raw file's stem and the rows it should hold: one per task for multi-task data,
    the rest (every repeat) in ``{experiment_id}.jsonl``."""
    experiment_id = str(summary["experiment_id"])
    per_task = summary.get("per_task") or {}
    expected = {
        raw_file_stem_of(experiment_id, task): int(part.get("n_examples", 0))
        for task, part in per_task.items()
    }
    rest = int(summary.get("n_examples") or 0) - sum(expected.values())
    if rest or not expected:
        expected[experiment_id] = rest
    return expected


def _row_count(path: Path) -> int:
    """The non-blank lines of ``path`` (0 when it is missing)."""
    if not path.is_file():
        return 0
    with path.open("rb") as lines:
        return sum(1 for line in lines if line.strip())


def row_count_warnings(run: StoredRun) -> list[str]:
    """One line per raw file whose row count differs from what its summary counted."""
    warnings = []
    for summary in run.experiments.values():
        for stem, expected in _expected_rows(summary).items():
            path = run.path / f"{stem}.jsonl"
            found = _row_count(path)
            if found != expected:
                held = f"holds {found} rows" if path.is_file() else "is missing (0 rows)"
                warnings.append(
                    f"warning: {path} {held} but its summary counted n_examples="
                    f"{expected}; summaries are rebuilt from summary.json, not recomputed "
                    "from rows"
                )
    return warnings
