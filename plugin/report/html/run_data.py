"""A stored run as the page needs it: the run-level ``summary.json`` and every experiment's
raw JSONL rows, read from the run folder alone (so a page can be rebuilt later)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from parity.record.jsonl import read_jsonl


@dataclass
class RunData:
    """``document``: the run summary; ``rows``: raw rows by experiment id (example order);
    ``files``: the raw file each experiment's rows came from (for "full text in ...")."""

    name: str
    document: Mapping[str, Any]
    rows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    files: dict[str, str] = field(default_factory=dict)

    @property
    def experiments(self) -> list[Mapping[str, Any]]:
        """Every experiment summary, in the run's order."""
        return list(self.document.get("experiments", []))


def row_key(row: Mapping[str, Any]) -> str:
    """The example across experiments: ``subset/id`` (with ``#repeat`` after the first)."""
    metadata = row.get("metadata") or {}
    key = f"{metadata['subset']}/{row.get('id')}" if metadata.get("subset") else str(row.get("id"))
    repeat = metadata.get("repeat", 0)
    return f"{key}#{repeat}" if repeat else key


def load_rows(
    run_dir: Path, experiment_ids: set[str]
) -> tuple[dict[str, list[dict[str, Any]]], dict[str, str]]:
    """The raw rows of ``experiment_ids`` from every ``*.jsonl`` in ``run_dir`` (a resumed
    run's repeated row counted once, the last one kept), each experiment's in example order."""
    found: dict[str, dict[str, dict[str, Any]]] = {}
    files: dict[str, str] = {}
    for path in sorted(run_dir.glob("*.jsonl")):
        for line in read_jsonl(path, skip_bad=True):
            row = line.value
            if not isinstance(row, dict) or row.get("experiment_id") not in experiment_ids:
                continue
            found.setdefault(row["experiment_id"], {})[row_key(row)] = row
            files.setdefault(row["experiment_id"], path.name)
    rows = {
        experiment_id: sorted(
            by_key.values(), key=lambda r: (r.get("example_index", 0), row_key(r))
        )
        for experiment_id, by_key in found.items()
    }
    return rows, files


def load_run(run_dir: Path, document: Mapping[str, Any] | None = None) -> RunData:
    """The run in ``run_dir``: ``document`` when given (the summary a reporter receives),
    else its ``summary.json``."""
    if document is None:
        document = json.loads((run_dir / "summary.json").read_text(encoding="utf-8"))
    ids = {str(s["experiment_id"]) for s in document.get("experiments", [])}
    rows, files = load_rows(run_dir, ids)
    return RunData(run_dir.name, document, rows, files)
