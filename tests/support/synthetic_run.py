"""A stored run of any size, written straight to a run folder (no model, no pytest run): a
baseline and a compressed candidate over ``n`` examples each, with HotpotQA-sized contexts
(about 3,000 characters; the candidate keeps a third), prompts that repeat them, and the
summaries the page reads. What the page's size and load time are measured on."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

WORDS = [
    "the",
    "award",
    "river",
    "novel",
    "series",
    "city",
    "team",
    "album",
    "founded",
    "played",
    "born",
    "American",
    "film",
    "season",
    "league",
    "band",
    "station",
    "county",
    "village",
    "church",
    "school",
    "company",
    "published",
    "first",
    "second",
    "known",
    "located",
    "during",
    "released",
    "member",
    "district",
]
SYSTEM = "You answer questions using only the given context.\nReply with the shortest answer."


def _text(rng: random.Random, chars: int) -> str:
    words: list[str] = []
    length = 0
    while length < chars:
        words.append(rng.choice(WORDS))
        length += len(words[-1]) + 1
    return " ".join(words)


def _row(experiment: str, index: int, question: str, context: str, gold: str, right: bool,
         ratio: float | None) -> dict[str, Any]:  # fmt: skip
    pred = gold if right else "yes"
    prompt = [[{"role": "system", "content": SYSTEM},
               {"role": "user", "content": f"Context:\n{context}\n\nQuestion: {question}"}]]  # fmt: skip
    tokens = len(prompt[0][1]["content"].split())
    return {
        "id": f"q{index:05d}", "model": "openai:gpt-4o-mini", "input_question": question,
        "input_context": context, "pred": pred, "gold": [gold], "input_tokens": tokens,
        "output_tokens": 2, "latency_ms": 200.0 + index % 97, "cost_usd": tokens * 1.5e-7,
        "metrics": {"exact_match": float(right), "f1": float(right)}, "cached": False,
        "experiment_id": experiment, "example_index": index, "prompt": prompt,
        "raw_output": [pred], "confidence": None, "usage": {},
        "measurements": {} if ratio is None else {"compression_ratio": ratio},
        "metadata": {"cached": False},
    }  # fmt: skip


def _summary(experiment: str, rows: list[dict[str, Any]], baseline: str | None) -> dict[str, Any]:
    mean = sum(r["metrics"]["exact_match"] for r in rows) / len(rows)
    stats = {
        "mean": mean,
        "std": 0.4,
        "p50": 1.0,
        "p95": 1.0,
        "ci95_low": mean - 0.01,
        "ci95_high": mean + 0.01,
    }
    cost = sum(r["cost_usd"] for r in rows) / len(rows)
    summary: dict[str, Any] = {
        "experiment_id": experiment, "model": "openai:gpt-4o-mini", "mode": "compressed" if baseline else "baseline",
        "dataset": "hotpotqa", "task": "rag_qa", "n_examples": len(rows), "n_failed": 0, "n_skipped": 0,
        "n_invalid_predictions": 0, "metrics": {"exact_match": stats, "f1": stats},
        "latency_ms": {"mean": 250.0, "std": 28.0, "p50": 250.0, "p95": 295.0},
        "tokens": {"avg_input_tokens": 500.0, "avg_output_tokens": 2.0},
        "cost": {"total_usd": cost * len(rows), "mean_usd": cost},
        "tco": {"queries_per_day": 10000, "months": 12, "cost_per_query_usd": cost,
                "serving_usd": cost * 3.65e6, "training_usd": 0.0, "total_usd": cost * 3.65e6},
    }  # fmt: skip
    if baseline:
        summary["measurements"] = {
            "compression_ratio": {
                "mean": 0.33,
                "std": 0.01,
                "p50": 0.33,
                "p95": 0.34,
                "n": len(rows),
            }
        }
        summary["comparison"] = {
            "candidate": experiment, "baseline": baseline, "n_pairs": len(rows), "n_examples": len(rows),
            "metrics": {"exact_match": {"baseline": 0.6, "candidate": mean, "difference": mean - 0.6,
                                        "ci_low": mean - 0.62, "ci_high": mean - 0.58, "test": "exact McNemar",
                                        "p_value": 0.2}},
            "resources": {"input_tokens": {"baseline": 500.0, "candidate": 170.0, "change": -0.66}},
        }  # fmt: skip
    return summary


def write_synthetic_run(run_dir: Path, n: int, seed: int = 0) -> Path:
    """Write ``summary.json``, ``full.jsonl`` and ``squeezed.jsonl`` (``n`` rows each)."""
    rng = random.Random(seed)
    run_dir.mkdir(parents=True, exist_ok=True)
    full, squeezed = [], []
    for i in range(n):
        question, gold = _text(rng, 90) + "?", rng.choice(WORDS)
        context = _text(rng, 3000)
        full.append(_row("full", i, question, context, gold, rng.random() < 0.6, None))
        squeezed.append(
            _row("squeezed", i, question, context[:1000], gold, rng.random() < 0.55, 0.33)
        )
    for name, rows in (("full", full), ("squeezed", squeezed)):
        (run_dir / f"{name}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    document = {"config": "synthetic.yaml", "verdicts": [], "gates": [], "gates_passed": True,
                "gate_counts": {}, "notes": [],
                "experiments": [_summary("full", full, None), _summary("squeezed", squeezed, "full")]}  # fmt: skip
    (run_dir / "summary.json").write_text(json.dumps(document))
    return run_dir
