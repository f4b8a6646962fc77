"""LLMLingua and LongLLMLingua end to end: the shipped local model answers two HotpotQA rows
with their full contexts and with each compressor's, and the summary pairs each compressed
experiment with its baseline."""

from __future__ import annotations

from tests.support.pytest_runs import read_jsonl, run_pytest, write_yaml

N = 2


def test_both_compressors_run_and_pair_with_the_baseline(tmp_path):
    full = {
        "id": "full",
        "model": {"name": "local:smollm2", "max_tokens": 12},
        "dataset": {"name": "hotpotqa", "source": "shipped", "num_examples": N},
        "task": {"name": "rag_qa"},
        "metrics": ["exact_match", "f1"],
    }
    squeezed = [
        {**full, "id": method, "baseline": "full",
         "model": {**full["model"], "mode": "compressed",
                   "compression": {"method": method, "rate": rate}}}
        for method, rate in (("llmlingua", 0.5), ("longllmlingua", 0.3))
    ]  # fmt: skip
    config = write_yaml(tmp_path / "c.yaml", [full, *squeezed])
    result = run_pytest(
        tmp_path, f"--eval-config={config}", "--eval-report-dir=out", "--eval-cache=off",
        timeout=900,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert f"{2 * N} contexts compressed" in result.stdout
    for method in ("llmlingua", "longllmlingua"):
        assert f"{method} vs full" in result.stdout
        rows = read_jsonl(tmp_path / "out" / f"{method}.jsonl")
        assert len(rows) == N
        for row in rows:
            assert 0 < row["measurements"]["compression_ratio"] < 1
            assert row["usage"]["compression"]["latency_ms"] > 0
