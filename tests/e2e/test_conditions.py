"""Conditions as a user runs them: zero-shot and LoRA items of one open model (a tiny Llama
through the hf: provider), the LoRA items skipped with the training command until
--eval-train trains the adapter once, then scored, with cost and TCO side by side; under
-n 2 both conditions give the serial run's answers and summaries."""

from __future__ import annotations

import json

import pytest

from tests.support.pytest_runs import read_jsonl, run_pytest, write_yaml

pytest.importorskip("peft", reason="LoRA conditions need peft (the open-models extra)")


def answers(report, name):
    """What a run answered and scored: its summary's counts and metrics, and each row's raw
    output, prediction and tokens by example id (not its timings or the cost priced from them)."""
    summary = json.loads((report / f"{name}_summary.json").read_text())
    rows = {
        row["id"]: (row["raw_output"], row["pred"], row["input_tokens"], row["output_tokens"])
        for row in read_jsonl(report / f"{name}.jsonl")
    }
    return {k: summary[k] for k in ("n_examples", "metrics", "tokens")}, rows


def test_lora_items_skip_with_the_command_then_run_after_eval_train(tmp_path):
    from tests.support.tiny_model import save_tiny_llama

    base = save_tiny_llama(tmp_path / "tiny")
    (tmp_path / "configs" / "training").mkdir(parents=True)
    (tmp_path / "configs" / "training" / "tiny.yaml").write_text(
        f"base: {base}\nrank: 4\nalpha: 8\ntarget_modules: [q_proj, v_proj]\n"
        "epochs: 1\nbatch_size: 16\nmax_seq_length: 256\n"
    )
    config = write_yaml(tmp_path / "conditions.yaml", {
        "tco": {"queries_per_day": 1000, "months": 12},
        "experiments": [{
            "id": "b77_tiny",
            "model": {"name": f"hf:{base}", "max_tokens": 4},
            "dataset": {"name": "banking77", "source": "shipped", "num_examples": 6},
            "task": {"name": "classification"},
            "metrics": ["accuracy", "weighted_f1"],
            "conditions": ["zero-shot", "lora-500"],
        }],
    })  # fmt: skip
    first = run_pytest(tmp_path, f"--eval-config={config}", "-rs", "--eval-report-dir=r1")
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
    assert "6 passed, 6 skipped" in first.stdout
    assert ("no adapter at adapters/tiny/banking77/lora-500/; train it with "
            "`python -m parity.train --model tiny --task banking77 --condition lora-500`") in first.stdout  # fmt: skip

    second = run_pytest(tmp_path, f"--eval-config={config}", "--eval-train", "--eval-report-dir=r2",
                        "-k", "lora-500", timeout=600)  # fmt: skip
    assert second.returncode == 0, second.stdout[-3000:] + second.stderr[-3000:]
    assert "6 passed, 6 deselected" in second.stdout
    # Another adapter (and its own label-free prompt): computed, not taken from any cache.
    assert "engine: 6 requests sent, 0 cache hits" in second.stdout
    assert "parity.train: epoch 1 validation loss" in second.stderr  # progress, not captured
    record = json.loads((tmp_path / "adapters/tiny/banking77/lora-500/training.json").read_text())
    assert record["rows"]["train"] + record["rows"]["validation"] == 500
    summary = json.loads((tmp_path / "r2" / "b77_tiny_lora_500_summary.json").read_text())
    assert summary["condition"] == "lora-500" and summary["n_examples"] == 6
    assert summary["tco"]["queries_per_day"] == 1000 and summary["tco"]["total_usd"] > 0
    training = summary["training"]  # its compute hours at the default $0.46/hour
    assert training["cpu_hours"] == record["cpu_hours"] > 0
    assert training["cost_usd"] == pytest.approx(record["cpu_hours"] * 0.46)
    assert summary["tco"]["training_usd"] == training["cost_usd"]
    assert "b77_tiny_lora_500  [hf:" in second.stdout and "| lora-500]" in second.stdout
    assert "cost and TCO (12 months at 1,000 queries/day, training included):" in second.stdout

    # Serial and -n 2 (each worker with its own engine, the requests in flight together
    # split differently): the same answers, bit for bit, so the same summaries.
    xdist = run_pytest(tmp_path, f"--eval-config={config}", "--eval-report-dir=r3",
                       "--eval-cache=off", "-n", "2", timeout=600)  # fmt: skip
    assert xdist.returncode == 0, xdist.stdout[-3000:] + xdist.stderr[-3000:]
    for serial, name in (("r1", "b77_tiny_zero_shot"), ("r2", "b77_tiny_lora_500")):
        assert answers(tmp_path / "r3", name) == answers(tmp_path / serial, name)
