"""The run-level summary document (what ``summary.json`` holds and reporters receive)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict
from typing import Any

from parity.gates import GateResult


def run_document(
    config_path: str,
    summaries: Sequence[Mapping[str, Any]],
    gates: Sequence[GateResult],
    notes: Sequence[str],
) -> dict[str, Any]:
    """The run's summary: config, every experiment summary, gates and their verdict, notes."""
    return {
        "config": config_path,
        "experiments": list(summaries),
        "gates": [asdict(g) | {"name": g.name} for g in gates],
        "gates_passed": all(g.status != "failed" for g in gates),
        "notes": list(notes),
    }
