"""Compressed experiments end to end against a local OpenAI-wire server: the compressed
context is what the model gets and what the raw rows hold, the record carries the
compression's figures, the verdict pairs it with its baseline, and a rerun compresses
nothing (the cache holds every compression)."""

from __future__ import annotations

import json

from tests.support.fake_llm_server import FakeLLMServer
from tests.support.pytest_runs import (
    clean_env,
    junit_cases,
    junit_properties,
    read_jsonl,
    run_pytest,
    write_yaml,
)

N = 6


def experiments(url):
    base = {
        "id": "full",
        "model": {"name": "openai-compatible:m", "base_url": url, "max_concurrency": 4},
        "dataset": {"name": "hotpotqa", "source": "shipped", "num_examples": N, "seed": 2},
        "task": {"name": "rag_qa"},
        "metrics": ["exact_match", "f1"],
    }
    compressed = {
        **base,
        "id": "squeezed",
        "model": {**base["model"], "mode": "compressed",
                  "compression": {"method": "extractive", "rate": 0.3, "ranker": "bm25"}},
        "baseline": "full",
    }  # fmt: skip
    return [base, compressed]


def test_compressed_context_reaches_the_model_and_the_record(tmp_path):
    with FakeLLMServer("openai", reply=lambda body: "yes") as server:
        config = write_yaml(tmp_path / "c.yaml", experiments(server.url))
        args = (f"--eval-config={config}", "--eval-cache-dir=cache")
        first = run_pytest(
            tmp_path, *args, "--eval-report-dir=one", "--junitxml=j.xml", env=clean_env()
        )
        assert first.returncode == 0, first.stdout[-3000:]
        sent = len(server.requests)
        prompts = [r["body"]["messages"][-1]["content"] for r in server.requests]
        second = run_pytest(tmp_path, *args, "--eval-report-dir=two", env=clean_env())
        assert second.returncode == 0 and len(server.requests) == sent  # all cached
        selected = run_pytest(tmp_path, *args, "--eval-report-dir=three", "-m", "compression",
                              "--collect-only", "-q", env=clean_env())  # fmt: skip
    assert sent == 2 * N
    assert f"{N} contexts compressed" in first.stdout
    assert "contexts compressed" not in second.stdout  # every compression came from the cache
    assert f"{N}/{2 * N} tests collected" in selected.stdout
    assert "squeezed vs full" in first.stdout and "| tokens -" in first.stdout
    full = {row["id"]: row for row in read_jsonl(tmp_path / "one" / "full.jsonl")}
    for row in read_jsonl(tmp_path / "one" / "squeezed.jsonl"):
        original = full[row["id"]]
        measured = row["measurements"]
        assert (
            measured["compression_ratio"]
            == measured["compressed_tokens"] / measured["original_tokens"]
        )
        assert measured["compression_ratio"] <= 0.35
        assert len(row["input_context"].split()) == measured["compressed_tokens"]
        assert row["input_context"] in " ".join(prompts) or row["input_context"][:80] in " ".join(
            prompts
        )
        assert row["input_tokens"] < original["input_tokens"]
        assert row["usage"]["compression"]["latency_ms"] > 0
        assert row["latency_ms"] >= row["usage"]["model"]["latency_ms"]  # compression included
    summary = json.loads((tmp_path / "one" / "squeezed_summary.json").read_text())
    assert summary["comparison"]["resources"]["input_tokens"]["change"] < -0.4
    case = next(c for name, c in junit_cases(tmp_path / "j.xml").items() if "squeezed" in name)
    assert "measurement.compression_ratio" in junit_properties(case)


def test_scalebench_scaledown_mode_runs_unchanged_and_skips_without_its_key(tmp_path):
    from tests.support.fake_scaledown_server import FakeScaleDownServer

    key = "sd-e2e-key-0123456789"
    with FakeLLMServer("openai", reply=lambda body: "yes") as llm, FakeScaleDownServer(key) as sd:
        scalebench = experiments(llm.url)[0] | {"id": "sd"}
        scalebench["model"] = {**scalebench["model"], "mode": "scaledown",
                               "scaledown": {"rate": 0.5, "base_url": sd.url}}  # fmt: skip
        config = write_yaml(tmp_path / "sd.yaml", [scalebench])
        ran = run_pytest(tmp_path, f"--eval-config={config}", "--eval-report-dir=sd",
                         env=clean_env(SCALEDOWN_API_KEY=key))  # fmt: skip
        skipped = run_pytest(tmp_path, f"--eval-config={config}", "--eval-report-dir=no", "-rs",
                             "--eval-allow-skipped", env=clean_env())  # fmt: skip
        assert len(sd.requests) == N
    assert ran.returncode == 0, ran.stdout[-3000:]
    rows = read_jsonl(tmp_path / "sd" / "sd.jsonl")
    assert all(row["measurements"]["compression_ratio"] == 0.5 or
               abs(row["measurements"]["compression_ratio"] - 0.5) < 0.01 for row in rows)  # fmt: skip
    assert key not in (tmp_path / "sd" / "sd.jsonl").read_text()
    assert skipped.returncode == 0 and "SCALEDOWN_API_KEY (not set)" in skipped.stdout


def test_the_shipped_compression_config_pairs_every_scalebench_dataset(tmp_path):
    from pathlib import Path

    from parity.config.config import load_config

    config = Path(__file__).resolve().parents[2] / "configs" / "compression.yaml"
    experiments = load_config(config).experiments
    compressed = [e for e in experiments if e.model.compression is not None]
    assert {e.dataset.name for e in compressed} == {
        "hotpotqa", "longbench", "ethic", "ms_marco", "financebench", "qmsum"
    }  # fmt: skip
    by_id = {e.id: e for e in experiments}
    for experiment in compressed:
        baseline = by_id[experiment.baseline]
        assert baseline.model.compression is None
        assert (baseline.dataset, baseline.task, baseline.prompt, baseline.model.model) == (
            experiment.dataset,
            experiment.task,
            experiment.prompt,
            experiment.model.model,
        )
    selected = run_pytest(tmp_path, f"--eval-config={config}", "--collect-only", "-q",
                          "-m", "compression", env=clean_env(HF_HUB_OFFLINE="1"))  # fmt: skip
    assert selected.returncode == 0, selected.stdout[-2000:]
    assert "60/120 tests collected" in selected.stdout


def test_requests_reach_the_model_in_pytest_order_across_compressed_and_full_experiments(
    tmp_path,
):
    """One slot, full-context items first in pytest order: their requests go out first, the
    compressed ones after (a compressed case queued for compression jumped ahead of the
    full-context cases still in their cache-lookup batch, so the first item waited for every
    compressed one)."""
    with FakeLLMServer("openai", reply=lambda body: "yes") as server:
        one_slot = [
            {**e, "model": {**e["model"], "max_concurrency": 1}} for e in experiments(server.url)
        ]
        config = write_yaml(tmp_path / "c.yaml", one_slot)
        result = run_pytest(
            tmp_path, f"--eval-config={config}", "--eval-cache=off", env=clean_env()
        )
        assert result.returncode == 0, result.stdout[-3000:]
        lengths = [len(r["body"]["messages"][-1]["content"]) for r in server.requests]
    assert len(lengths) == 2 * N
    # the full contexts are the long prompts: all of them before any compressed one
    assert min(lengths[:N]) > max(lengths[N:]), lengths
