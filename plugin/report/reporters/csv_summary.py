"""CSV reporter: ``{experiment_id}_summary.csv``, one overall row (ScaleBench's columns) plus
one row per sub-task for multi-task datasets. A NaN or infinite value (an extension corpus
metric's) is an empty cell, as it is ``null`` in the summary JSON: never ``nan``."""

from __future__ import annotations

import csv
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

from parity.record.record import EvalRecord
from parity.report.reporters.json_summary import scored_experiments
from parity.report.strict_json import strict


def flatten_summary(summary: Mapping[str, Any]) -> dict[str, Any]:
    """One flat CSV row: ``{metric}_{stat}``, ``latency_ms_{stat}``, token and cost columns,
    ``{measurement}_{stat}`` and each stage's ``{stage}_latency_ms_{stat}`` and cost."""
    keys = ("experiment_id", "model", "mode", "dataset", "task", "n_examples", "n_failed", "n_skipped",
            "n_invalid_predictions")  # fmt: skip
    row: dict[str, Any] = {"subset": "overall", **{key: summary[key] for key in keys}}
    for metric, stats in summary["metrics"].items():
        for stat, value in stats.items():
            if stat != "corpus_level":
                row[f"{metric}_{stat}"] = value
    for stat, value in summary["latency_ms"].items():
        row[f"latency_ms_{stat}"] = value
    row.update(summary["tokens"])
    for stat, value in summary["cost"].items():
        if stat != "note":
            row[f"cost_{stat}"] = value
    for name, stats in summary.get("measurements", {}).items():
        row.update({f"{name}_{stat}": value for stat, value in stats.items() if stat != "n"})
    for stage, block in summary.get("stages", {}).items():
        row.update({f"{stage}_latency_ms_{k}": v for k, v in block["latency_ms"].items()})
        row.update({f"{stage}_cost_usd_{k}": v for k, v in block["cost_usd"].items()})
    return row


def summary_rows(summary: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The overall row, then one row per sub-task (only the columns that apply filled)."""
    row = flatten_summary(summary)
    rows = [row]
    for subset, part in summary.get("per_task", {}).items():
        sub_row = dict.fromkeys(row, "")
        sub_row.update(
            {
                "subset": subset,
                "experiment_id": summary["experiment_id"],
                "n_examples": part["n_examples"],
            }
        )
        for metric, stats in part["metrics"].items():
            for stat, value in stats.items():
                if f"{metric}_{stat}" in sub_row:
                    sub_row[f"{metric}_{stat}"] = value
        rows.append(sub_row)
    return rows


def pytest_parity_experiment_finished(
    config: pytest.Config,
    summary: Mapping[str, Any],
    records: Sequence[EvalRecord],
    run_dir: Path,
) -> None:
    """Write the experiment's summary CSV (a non-finite value as an empty cell)."""
    write_csv(run_dir, summary)


def write_csv(run_dir: Path, summary: Mapping[str, Any]) -> Path:
    """Write ``{experiment_id}_summary.csv`` of ``summary`` in ``run_dir``; return its path."""
    rows = summary_rows(strict(summary))
    run_dir.mkdir(parents=True, exist_ok=True)
    path = run_dir / f"{summary['experiment_id']}_summary.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def rebuild(run_dir: Path) -> list[Path]:
    """Rewrite every scored experiment's CSV of a stored run from its ``summary.json``."""
    return [write_csv(Path(run_dir), summary) for summary in scored_experiments(Path(run_dir))]
