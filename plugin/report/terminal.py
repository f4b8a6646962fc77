"""Render the terminal summary: one table per experiment, then the gates."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from parity.analysis.gates import GateResult
from parity.record.record import MODEL_STAGE

_STATUS = {"passed": "PASS", "failed": "FAIL", "skipped": "SKIP"}
LOWEST_IN_TERMINAL = 3


def _money(value: float | None) -> str:
    return "n/a (no price)" if value is None else f"${value:.6f}"


def render_experiment(summary: Mapping[str, Any], skip_reasons: Sequence[str]) -> list[str]:
    """Lines for one experiment."""
    labels = [summary["model"], summary["mode"], summary["dataset"], summary["task"]]
    if summary.get("condition"):
        labels.append(summary["condition"])
    head = f"{summary['experiment_id']}  [{' | '.join(labels)}]"
    counts = f"  n={summary['n_examples']}"
    if summary["n_failed"]:
        counts += f"  failed={summary['n_failed']}"
    if summary["n_skipped"]:
        counts += f"  skipped={summary['n_skipped']}"
    lines = [head, counts]
    if summary.get("decoding"):
        lines.append(f"  decoding: {summary['decoding']}")
    if summary.get("n_missing"):
        lines.append(
            f"  MISSING: {summary['n_missing']} selected examples never reported (a crashed "
            "xdist worker or an interrupted run); the numbers above leave them out — "
            "rerun with --parity-resume to finish them"
        )
    if skip_reasons:
        lines += [f"  skipped: {reason}" for reason in sorted(skip_reasons)]
    if summary["n_examples"]:
        width = max(len(name) for name in summary["metrics"]) if summary["metrics"] else 6
        for name, stats in summary["metrics"].items():
            spread = "corpus    " if stats.get("corpus_level") else f"std {stats['std']:.4f}"
            line = (
                f"  {name:<{width}}  mean {stats['mean']:.4f}  {spread}  "
                f"95% CI [{stats['ci95_low']:.4f}, {stats['ci95_high']:.4f}]"
            )
            if stats.get("ci_clipped"):
                line += " (clipped to [0, 1])"
            if stats.get("within_example_std") is not None:
                line += f"  within-example std {stats['within_example_std']:.4f}"
            lines.append(line)
        if summary.get("repeats"):
            lines.append(
                f"  repeats: {summary['repeats']} per example; the interval is between examples"
            )
        spread_block = summary.get("resampling_spread")
        if spread_block:
            seeds = next(iter(spread_block.values()))["n_seeds"]
            values = "  ".join(
                f"{k} {v['mean']:.4f} ± {v['std']:.4f}" for k, v in spread_block.items()
            )
            lines.append(
                f"  resampling spread over {seeds} seeds (not a confidence interval): {values}"
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
        for stage, used in summary.get("stages", {}).items():
            if stage != MODEL_STAGE:  # a compressor's or judge's share of the totals
                lines.append(
                    f"    {stage} p50 {used['latency_ms']['p50']:.0f} ms  "
                    f"p95 {used['latency_ms']['p95']:.0f} ms  "
                    f"cost {_money(used['cost_usd']['total'])}"
                )
        lines.append(
            f"  tokens  in {tokens['avg_input_tokens']:.1f}  out {tokens['avg_output_tokens']:.1f} (mean/example)"
        )
        lines.append(f"  cost    total {_money(summary['cost']['total_usd'])}")
        for name, stats in summary.get("measurements", {}).items():
            unit = f"  ({stats['tokens_unit']})" if "tokens_unit" in stats else ""
            lines.append(
                f"  {name}  mean {stats['mean']:.4g}  p50 {stats['p50']:.4g}  "
                f"p95 {stats['p95']:.4g}{unit}"
            )
        lines += _calibration(summary.get("judge_calibration") or {})
        lines += _lowest(summary.get("lowest_scoring") or [])
    return lines


def _calibration(block: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """One line per calibrated judge: agreement, kappa and the confusion against gold."""
    lines = []
    for judge, found in block.items():
        if not found["n"]:
            lines.append(f"  {judge} vs {found['against']}: no item has both scores")
            continue
        kappa = "undefined" if found["kappa"] is None else f"{found['kappa']:.4f}"
        cells = found["confusion"]
        lines.append(
            f"  {judge} vs {found['against']}: agreement {found['agreement']:.4f}  "
            f"Cohen's kappa {kappa}  n={found['n']}  (judge/gold pass/pass "
            f"{cells['judge_pass_gold_pass']}, pass/fail {cells['judge_pass_gold_fail']}, "
            f"fail/pass {cells['judge_fail_gold_pass']}, fail/fail "
            f"{cells['judge_fail_gold_fail']})"
        )
    return lines


def _clip(text: Any, width: int = 40) -> str:
    flat = " ".join(str(text).split())
    return flat if len(flat) <= width else flat[: width - 3] + "..."


def _lowest(rows: Sequence[Mapping[str, Any]]) -> list[str]:
    """The lowest-scoring imperfect examples (the summary JSON lists more)."""
    lines = []
    for row in [r for r in rows if r["score"] < 1.0][:LOWEST_IN_TERMINAL]:
        gold = row["gold"][0] if len(row["gold"]) == 1 else row["gold"]
        line = (
            f"    {_clip(row['id'], 24)}  {row['metric']} {row['score']:.3f}  "
            f"pred {_clip(row['prediction'])!r}  gold {_clip(gold)!r}"
        )
        if "raw_output" in row:
            line += f"  raw {_clip(row['raw_output'])!r}"
        lines.append(line)
    return ["  lowest-scoring examples:", *lines] if lines else []


def render_gates(gates: Sequence[GateResult]) -> list[str]:
    """Lines for the gates (empty when none is configured)."""
    if not gates:
        return []
    counts = {s: sum(g.status == s for g in gates) for s in ("passed", "failed", "skipped")}
    lines = [
        f"gates: {counts['passed']} passed, {counts['failed']} failed, {counts['skipped']} skipped"
    ]
    lines += [f"  {_STATUS[g.status]}  {g.name}: {g.message}" for g in gates]
    return lines


def render_verdicts(verdicts: Sequence[str], holm: Sequence[Mapping[str, Any]]) -> list[str]:
    """One line per compared pair, then Holm-adjusted p-values when several pairs are gated."""
    if not verdicts:
        return []
    lines = ["verdicts (paired, 95% interval of candidate - baseline):"]
    lines += [f"  {line}" for line in verdicts]
    if holm:
        lines.append("  Holm-adjusted p-values of the gated tests:")
        lines += [
            f"    {row['candidate']} vs {row['baseline']}  {row['metric']}  p={row['p_value']:.3g}"
            f"  p_holm={row['p_holm']:.3g}  ({row['test']})"
            for row in holm
        ]
    return lines
