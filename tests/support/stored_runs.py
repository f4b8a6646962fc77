"""Hand-made run folders: ``summary.json`` and raw rows of experiments scored 0/1 on
``exact_match`` (and the same as ``f1``), for the tests of ``python -m parity``."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from parity.analysis.stats import wilson
from parity.record.run_dirs import RUN_MARK

Scores = Mapping[str, float]  # example id -> exact_match


def raw_row(experiment_id: str, index: int, example_id: str, score: float) -> dict[str, Any]:
    """One raw JSONL row, right (``pred`` = gold) when ``score`` is 1."""
    return {
        "id": example_id, "model": "openai:gpt-4o", "input_question": f"Q {example_id}?",
        "input_context": "", "pred": "Paris" if score else "Rome", "gold": ["Paris"],
        "input_tokens": 10, "output_tokens": 1, "latency_ms": 100.0, "cost_usd": 1e-5,
        "metrics": {"exact_match": score, "f1": score}, "cached": False,
        "experiment_id": experiment_id, "example_index": index,
    }  # fmt: skip


def experiment_summary(experiment_id: str, scores: Scores) -> dict[str, Any]:
    """The experiment's summary as the run writes it (the parts the commands read)."""
    values = list(scores.values())
    mean = sum(values) / len(values)
    low, high = wilson(sum(values), len(values))
    stats = {"mean": mean, "ci95_low": low, "ci95_high": high}
    return {
        "experiment_id": experiment_id, "model": "openai:gpt-4o", "dataset": "hotpotqa",
        "task": "rag_qa", "n_examples": len(values), "n_failed": 0, "n_skipped": 0,
        "metrics": {"exact_match": stats, "f1": dict(stats)},
        "setup": {"metrics": ["exact_match", "f1"], "prompt": "rag_qa"},
    }  # fmt: skip


def write_run(run_dir: Path, experiments: Mapping[str, Scores], gates_passed: bool = True) -> Path:
    """A run folder (with Parity's mark) holding ``experiments``' raw rows and summaries."""
    run_dir.mkdir(parents=True)
    (run_dir / RUN_MARK).write_text("Made by Parity\n")
    for experiment_id, scores in experiments.items():
        rows = [raw_row(experiment_id, i, key, s) for i, (key, s) in enumerate(scores.items())]
        text = "".join(json.dumps(row) + "\n" for row in rows)
        (run_dir / f"{experiment_id}.jsonl").write_text(text)
    document = {
        "config": "experiments.yaml",
        "experiments": [experiment_summary(e, scores) for e, scores in experiments.items()],
        "verdicts": [], "gates": [], "gates_passed": gates_passed,
        "gate_counts": {"passed": 1, "failed": 0 if gates_passed else 1, "skipped": 0},
        "notes": [],
    }  # fmt: skip
    (run_dir / "summary.json").write_text(json.dumps(document))
    return run_dir
