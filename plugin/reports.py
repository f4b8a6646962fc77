"""Write the summary files of a run: per-experiment JSON/CSV (ScaleBench shape) and summary.json."""

from __future__ import annotations

import csv
import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from parity.gates import GateResult


def flatten_summary(summary: Mapping[str, Any]) -> dict[str, Any]:
    """One flat CSV row: ``{metric}_{stat}``, ``latency_ms_{stat}``, token and cost columns."""
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
    return row


def write_experiment_summary(run_dir: Path, summary: Mapping[str, Any]) -> None:
    """Write ``{id}_summary.json`` and ``{id}_summary.csv``."""
    run_dir.mkdir(parents=True, exist_ok=True)
    stem = run_dir / f"{summary['experiment_id']}_summary"
    stem.with_suffix(".json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
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
    with stem.with_suffix(".csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(row))
        writer.writeheader()
        writer.writerows(rows)


def write_run_summary(
    run_dir: Path,
    config_path: str,
    summaries: Sequence[Mapping[str, Any]],
    gates: Sequence[GateResult],
    notes: Sequence[str],
) -> Path:
    """Write the run-level ``summary.json`` and return its path."""
    run_dir.mkdir(parents=True, exist_ok=True)
    path = run_dir / "summary.json"
    document = {
        "config": config_path,
        "experiments": list(summaries),
        "gates": [asdict(g) | {"name": g.name} for g in gates],
        "gates_passed": all(g.status != "failed" for g in gates),
        "notes": list(notes),
    }
    path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    return path
