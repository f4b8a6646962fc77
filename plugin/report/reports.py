"""The run-level summary document (what ``summary.json`` holds and reporters receive)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict
from typing import Any

from parity.analysis.gates import GateResult


def run_document(
    config_path: str,
    summaries: Sequence[Mapping[str, Any]],
    gates: Sequence[GateResult],
    notes: Sequence[str],
    verdicts: Sequence[str] = (),
    holm: Sequence[Mapping[str, Any]] = (),
) -> dict[str, Any]:
    """The run's summary: config, every experiment summary (with its comparison), the verdict
    lines, gates and their outcome, Holm-adjusted p-values of gated pairs, notes."""
    document: dict[str, Any] = {
        "config": config_path,
        "experiments": list(summaries),
        "verdicts": list(verdicts),
        "gates": [asdict(g) | {"name": g.name} for g in gates],
        "gates_passed": all(g.status != "failed" for g in gates),
        "gate_counts": {
            s: sum(g.status == s for g in gates) for s in ("passed", "failed", "skipped")
        },
        "notes": list(notes),
    }
    if holm:
        document["holm_adjusted"] = [dict(row) for row in holm]
    return document
