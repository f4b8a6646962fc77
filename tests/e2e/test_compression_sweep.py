"""A compression rate sweep as a user runs it against a local OpenAI-wire server: one
experiment per rate named by its rate (ids, ``-k``, ``-m``), each paired with the same
baseline, the compressor's compute time priced into the compression stage, the cost per
query, TCO and the verdicts, and the same cost from a rerun that takes every compression
from the cache."""

from __future__ import annotations

import json

import pytest

from tests.support.fake_llm_server import FakeLLMServer
from tests.support.pytest_runs import read_jsonl, run_pytest, write_yaml

N = 2
RATES = ("0.5", "0.2")
PRICE = {"input_per_1m_tokens": 2.5, "output_per_1m_tokens": 10.0}  # compute: local_default


def sweep(url: str) -> list[dict]:
    model = {"name": "openai-compatible:m", "base_url": url, "pricing": PRICE}
    base = {
        "id": "full",
        "tags": ["compression"],  # so that -m compression runs the baseline too
        "model": model,
        "dataset": {"name": "hotpotqa", "source": "shipped", "num_examples": N, "seed": 2},
        "task": {"name": "rag_qa"},
        "metrics": ["f1"],
    }
    squeezed = {**base, "id": "squeezed", "tags": [], "baseline": "full",
                "model": {**model, "mode": "compressed", "compression": {
                    "method": "extractive", "ranker": "bm25", "rates": [0.5, 0.2]}}}  # fmt: skip
    return [base, squeezed]


def compression_costs(report) -> dict[str, float]:
    return {
        f"{rate}:{row['id']}": row["usage"]["compression"]["cost_usd"]
        for rate in RATES
        for row in read_jsonl(report / f"squeezed_r{rate}.jsonl")
    }


def test_a_rate_sweep_runs_each_rate_against_the_baseline_and_prices_the_compressor(tmp_path):
    with FakeLLMServer("openai", reply=lambda body: "yes") as server:
        config = write_yaml(tmp_path / "sweep.yaml", sweep(server.url))
        args = (f"--eval-config={config}", "--eval-cache-dir=cache")
        first = run_pytest(tmp_path, *args, "-m", "compression", "--eval-report-dir=one")
        assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
        sent = len(server.requests)
        again = run_pytest(tmp_path, *args, "--eval-report-dir=two")
        assert again.returncode == 0 and len(server.requests) == sent  # all from the cache
        by_k = run_pytest(tmp_path, *args, "-k", "r0.2", "--collect-only", "-q")
        by_m = run_pytest(tmp_path, *args, "-m", "r0_5", "--collect-only", "-q")
    assert sent == 3 * N and f"{3 * N} passed" in first.stdout  # baseline + 2 rates
    for rate in RATES:
        assert f"squeezed_r{rate} vs full  f1 " in first.stdout  # a paired verdict per rate
    assert f"{N}/{3 * N} tests collected" in by_k.stdout
    assert by_k.stdout.count("[squeezed_r0.2-") == N
    assert f"{N}/{3 * N} tests collected" in by_m.stdout
    assert by_m.stdout.count("[squeezed_r0.5-") == N
    assert "contexts compressed" not in again.stdout

    costs = compression_costs(tmp_path / "one")
    assert len(costs) == 2 * N and all(cost > 0 for cost in costs.values())
    assert compression_costs(tmp_path / "two") == costs  # compute_ms survived the cache
    for rate in RATES:
        summary = json.loads((tmp_path / "one" / f"squeezed_r{rate}_summary.json").read_text())
        stage = summary["stages"]["compression"]["cost_usd"]["total"]
        model = summary["stages"]["model"]["cost_usd"]["total"]
        assert stage == pytest.approx(sum(v for k, v in costs.items() if k.startswith(rate)))
        assert summary["tco"]["cost_per_query_usd"] == pytest.approx((stage + model) / N)
        resources = summary["comparison"]["resources"]
        assert resources["compression_cost_usd"]["candidate"] == pytest.approx(stage / N)
        assert summary["setup"]["model_options"]["compression"]["rate"] == float(rate)


def test_the_shipped_sweep_pairs_every_compressor_and_rate_with_its_baseline(tmp_path):
    from pathlib import Path

    from parity.config.config import load_config

    config = Path(__file__).resolve().parents[2] / "configs" / "compression_sweep.yaml"
    experiments = load_config(config).experiments
    by_id = {e.id: e for e in experiments}
    compressed = [e for e in experiments if e.model.compression is not None]
    for dataset in ("hotpotqa", "qmsum"):
        for compressor in ("extractive_minilm", "extractive_bm25", "llmlingua",
                           "longllmlingua", "llm_summary"):  # fmt: skip
            for rate in ("0.5", "0.33", "0.2", "0.1"):
                assert f"{dataset}_{compressor}_r{rate}" in by_id
    assert {e.id for e in compressed if e.dataset.name == "longbench"} == {
        f"longbench_{c}_r{r}" for c in ("llmlingua", "extractive_minilm")
        for r in ("0.33", "0.1")
    }  # fmt: skip
    for experiment in compressed:
        baseline = by_id[experiment.baseline]
        assert baseline.model.compression is None and "compression" in baseline.tags
        assert (baseline.dataset, baseline.task, baseline.prompt, baseline.model.model) == (
            experiment.dataset, experiment.task, experiment.prompt, experiment.model.model
        )  # fmt: skip
        assert experiment.max_drop or experiment.dataset.name == "longbench"
    selected = run_pytest(tmp_path, f"--eval-config={config}", "--collect-only", "-q",
                          "-m", "compression")  # fmt: skip
    assert selected.returncode == 0, selected.stdout[-2000:]
    every = sum(e.dataset.num_examples or 0 for e in experiments)
    assert f"{every} tests collected" in selected.stdout  # the baselines too
