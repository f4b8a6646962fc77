"""Render the terminal summary: one table per experiment, then the gates."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from parity.gates import GateResult

_STATUS = {"passed": "PASS", "failed": "FAIL", "skipped": "SKIP"}


def _money(value: float | None) -> str:
    return "n/a (no price)" if value is None else f"${value:.6f}"


def render_experiment(summary: Mapping[str, Any], skip_reasons: Sequence[str]) -> list[str]:
    """Lines for one experiment."""
    head = (
        f"{summary['experiment_id']}  [{summary['model']} | {summary['mode']} | "
        f"{summary['dataset']} | {summary['task']}]"
    )
    counts = f"  n={summary['n_examples']}"
    if summary["n_failed"]:
        counts += f"  failed={summary['n_failed']}"
    if summary["n_skipped"]:
        counts += f"  skipped={summary['n_skipped']}"
    lines = [head, counts]
    if summary.get("n_missing"):
        lines.append(
            f"  MISSING: {summary['n_missing']} selected examples never reported (a crashed "
            "xdist worker or an interrupted run); the numbers above leave them out — "
            "rerun with --eval-resume to finish them"
        )
    if skip_reasons:
        lines += [f"  skipped: {reason}" for reason in sorted(skip_reasons)]
    if summary["n_examples"]:
        width = max(len(name) for name in summary["metrics"]) if summary["metrics"] else 6
        for name, stats in summary["metrics"].items():
            spread = "corpus    " if stats.get("corpus_level") else f"std {stats['std']:.4f}"
            lines.append(
                f"  {name:<{width}}  mean {stats['mean']:.4f}  {spread}  "
                f"95% CI [{stats['ci95_low']:.4f}, {stats['ci95_high']:.4f}]"
            )
        if summary.get("n_truncated_inputs"):
            lines.append(
                f"  inputs cut by a configured cap (e.g. max_windows): {summary['n_truncated_inputs']}"
            )
        if summary.get("n_invalid_predictions"):
            lines.append(
                f"  invalid predictions (counted wrong): {summary['n_invalid_predictions']}"
            )
        for subset, part in summary.get("per_task", {}).items():
            scores = "  ".join(f"{k} {v['mean']:.4f}" for k, v in part["metrics"].items())
            lines.append(f"  [{subset}] n={part['n_examples']}  {scores}")
        latency = summary["latency_ms"]
        tokens = summary["tokens"]
        lines.append(f"  latency p50 {latency['p50']:.0f} ms  p95 {latency['p95']:.0f} ms")
        lines.append(
            f"  tokens  in {tokens['avg_input_tokens']:.1f}  out {tokens['avg_output_tokens']:.1f} (mean/example)"
        )
        lines.append(f"  cost    total {_money(summary['cost']['total_usd'])}")
    return lines


def render_gates(gates: Sequence[GateResult]) -> list[str]:
    """Lines for the gates (empty when none is configured)."""
    if not gates:
        return []
    failed = sum(g.status == "failed" for g in gates)
    lines = [f"gates: {len(gates) - failed} of {len(gates)} not failed"]
    lines += [f"  {_STATUS[g.status]}  {g.name}: {g.message}" for g in gates]
    return lines
