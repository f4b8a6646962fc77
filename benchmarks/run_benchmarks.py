"""Parity's speed benchmarks; prints each figure and its ratio to the goal.

    python benchmarks/run_benchmarks.py            # all four
    python benchmarks/run_benchmarks.py engine     # one of: engine, overhead, cached_rerun, batching

1. engine:   N=256 requests at concurrency C=32 against a local OpenAI-compatible server
             (separate process) with injected latency L; goal <= 1.1x the ideal N*L/C.
2. overhead: a warm-cache Parity run of 10,000 items vs a bare parametrized pytest of the
             same size that records the same properties; goal <= 1.5x. The same run also
             counts the requests a cached rerun makes (goal 0).
3. batching: seconds per pytest item with per-experiment batching and with
             ``--eval-batch-size 1`` (one request at a time, the naive per-item shape).

The data here is synthetic on purpose: these benchmarks measure the machinery, not scores.
"""

from __future__ import annotations

import json
import multiprocessing
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.support.fake_llm_server import FakeLLMServer  # noqa: E402


def serve(
    latency_s: float, port_queue: multiprocessing.Queue, count_queue: multiprocessing.Queue, stop
) -> None:
    """Run a fake OpenAI server in this process until ``stop`` is set; report its request count."""
    with FakeLLMServer("openai", latency_s=latency_s) as server:
        port_queue.put(server.url)
        stop.wait()
        count_queue.put(len(server.requests))


class ServerProcess:
    """The fake server in its own process, so its threads do not share the client's GIL."""

    def __init__(self, latency_s: float) -> None:
        self._ports: multiprocessing.Queue = multiprocessing.Queue()
        self._counts: multiprocessing.Queue = multiprocessing.Queue()
        self._stop = multiprocessing.Event()
        self._process = multiprocessing.Process(
            target=serve, args=(latency_s, self._ports, self._counts, self._stop)
        )

    def __enter__(self) -> str:
        self._process.start()
        return self._ports.get(timeout=30)

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self.requests = self._counts.get(timeout=30)
        self._process.join(30)


def bench_engine(n: int = 256, concurrency: int = 32, latency_s: float = 0.5) -> dict:
    from parity.budget import Budget
    from parity.cache import ResponseCache
    from parity.cases import EvalCase
    from parity.config import parse_config
    from parity.evals.datasets import Example
    from parity.execution import Engine
    from parity.fixtures.providers import PROVIDERS

    with ServerProcess(latency_s) as url, tempfile.TemporaryDirectory() as tmp:
        config = parse_config(
            [{"id": "bench", "model": {"name": "openai-compatible:bench", "base_url": url, "max_concurrency": concurrency},
              "dataset": {"name": "hotpotqa"}, "task": {"name": "rag_qa"}, "metrics": ["f1"]}],
            "bench.yaml",
        )  # fmt: skip
        experiment = config.experiments[0]
        cases = [
            EvalCase(
                experiment,
                Example(str(i), f"question {i}?", f"context {i}", ("answer",)),
                i,
                f"bench-{i}",
            )
            for i in range(n)
        ]
        client = PROVIDERS.get("openai-compatible")("bench", experiment.model.options)
        engine = Engine(ResponseCache(Path(tmp), "off"), Budget(None))
        engine.run_batch(client, cases[:concurrency], lambda r: None)  # warm connections
        started = time.perf_counter()
        results = engine.run_batch(client, cases, lambda r: None)
        elapsed = time.perf_counter() - started
    assert all(r.error is None for r in results), [r.error for r in results if r.error][:3]
    ideal = n * latency_s / concurrency
    return {"benchmark": "engine", "n": n, "concurrency": concurrency, "latency_s": latency_s,
            "elapsed_s": round(elapsed, 3), "ideal_s": ideal, "ratio": round(elapsed / ideal, 3), "goal": 1.1}  # fmt: skip


BARE_TEST = """
import pytest

@pytest.mark.parametrize("i", range({n}))
def test_bare(i, record_property):
    for name in ("exact_match", "f1", "experiment_id", "example_id", "example_index", "model",
                 "latency_ms", "input_tokens", "output_tokens", "cost_usd"):
        record_property(name, i)
"""


def _pytest(cwd: Path, *args: str) -> float:
    started = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args],
                            cwd=cwd, capture_output=True, text=True)  # fmt: skip
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        raise RuntimeError(result.stdout[-3000:] + result.stderr[-3000:])
    return elapsed


def bench_overhead(n: int = 10_000) -> dict:
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        (tmp / "bare").mkdir()
        (tmp / "bare" / "test_bare.py").write_text(BARE_TEST.replace("{n}", str(n)))
        rows = tmp / "rows.jsonl"
        with rows.open("w") as handle:
            for i in range(n):
                row = {"id": f"row{i:05d}", "question": f"Question {i}?", "answer": "answer",
                       "context": {"title": ["T"], "sentences": [[f"Sentence {i}."]]}}  # fmt: skip
                handle.write(json.dumps(row) + "\n")
        with ServerProcess(0.0) as url:
            config = tmp / "bench.yaml"
            config.write_text(json.dumps([
                {"id": "overhead", "model": {"name": "openai-compatible:bench", "base_url": url, "max_concurrency": 16},
                 "dataset": {"name": "hotpotqa", "path": str(rows)}, "task": {"name": "rag_qa"},
                 "metrics": ["exact_match", "f1"]}
            ]))  # fmt: skip
            parity_args = [
                "--pyargs",
                "parity.evals",
                f"--eval-config={config}",
                f"--eval-cache-dir={tmp / 'cache'}",
            ]
            _pytest(tmp, *parity_args, "--eval-report-dir=warm")  # fills the cache (not timed)
            bare = _pytest(tmp / "bare")
            parity = _pytest(tmp, *parity_args, "--eval-report-dir=timed")
        # the server process reported how many requests it saw in both Parity runs
    return {"benchmark": "overhead", "items": n, "bare_s": round(bare, 2), "parity_s": round(parity, 2),
            "ratio": round(parity / bare, 3), "goal": 1.5}  # fmt: skip


def bench_cached_rerun() -> dict:
    """Requests made by a rerun of a finished experiment (goal 0)."""
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        server = ServerProcess(0.0)
        with server as url:
            config = tmp / "c.yaml"
            config.write_text(json.dumps([
                {"id": "rerun", "model": {"name": "openai-compatible:bench", "base_url": url},
                 "dataset": {"name": "hotpotqa", "source": "shipped"}, "task": {"name": "rag_qa"}, "metrics": ["f1"]}
            ]))  # fmt: skip
            args = [
                "--pyargs",
                "parity.evals",
                f"--eval-config={config}",
                f"--eval-cache-dir={tmp / 'cache'}",
            ]
            _pytest(tmp, *args, "--eval-report-dir=first")
        first = server.requests
        server = ServerProcess(0.0)
        with server as url:
            config.write_text(config.read_text())
            _pytest(tmp, *args, "--eval-report-dir=second")
        return {
            "benchmark": "cached_rerun",
            "first_run_requests": first,
            "rerun_requests": server.requests,
            "goal": 0,
        }


def bench_batching(n: int = 128, latency_s: float = 0.2) -> dict:
    """Seconds per pytest item with per-experiment batching (auto) and without (batch size 1)."""
    timings = {}
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        with ServerProcess(latency_s) as url:
            config = tmp / "c.yaml"
            config.write_text(json.dumps([
                {"id": "batching", "model": {"name": "openai-compatible:bench", "base_url": url, "max_concurrency": 16},
                 "dataset": {"name": "banking77", "source": "shipped", "num_examples": n},
                 "task": {"name": "classification"}, "metrics": ["accuracy"]}
            ]))  # fmt: skip
            for label, size in (("batched", "0"), ("unbatched", "1")):
                timings[label] = _pytest(tmp, "--pyargs", "parity.evals", f"--eval-config={config}",
                                         "--eval-cache=off", f"--eval-batch-size={size}", f"--eval-report-dir={label}")  # fmt: skip
    return {"benchmark": "batching", "items": n, "latency_s": latency_s,
            "s_per_item_batched": round(timings["batched"] / n, 4),
            "s_per_item_unbatched": round(timings["unbatched"] / n, 4),
            "speedup": round(timings["unbatched"] / timings["batched"], 2)}  # fmt: skip


def main(selected: list[str]) -> None:
    benches = {
        "engine": bench_engine,
        "overhead": bench_overhead,
        "cached_rerun": bench_cached_rerun,
        "batching": bench_batching,
    }
    for name in selected or list(benches):
        print(json.dumps(benches[name]()), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
