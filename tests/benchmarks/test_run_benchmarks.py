"""The benchmark script's runs still work: each builds its own inputs through Parity's own
modules, which move (the warm-cache benchmark f broke silently when the cache's internals
changed)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks" / "run_benchmarks.py"


def load_benchmarks():
    spec = importlib.util.spec_from_file_location("run_benchmarks", BENCHMARKS)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_warm_cache_benchmark_runs_both_sides_on_a_small_scale():
    """Parity's side of f answers every item from the cache the script fills (its server
    address is a closed port, so a miss would fail the run and the benchmark)."""
    figures = load_benchmarks().bench_f(n=40)
    assert figures["items"] == 40
    assert figures["bare_wall_s"] > 0 and figures["parity_wall_s"] > 0


def test_the_cold_benchmark_interleaves_both_runners_on_the_http10_server():
    """g against the connection-per-request server, two rounds: each runner answers every
    request in each round, the ratio is the median of the rounds' own, and the table row
    gives both runners' throughput and CPU per item."""
    module = load_benchmarks()
    result = module.bench_g(module.SERVERS["http1.0"], 2, (), n=60)
    assert result["pool"]["requests"] == result["parity"]["requests"] == 60
    assert len(result["span_ratio_pool_runs"]) == 2
    assert result["items_per_s_ratio_pool"] == round(1 / result["span_ratio_pool"], 3)
    (row,) = module.table_rows("http1.0", result)
    pool, parity, ratio = row.split(" | ")[2:5]
    assert "items/s, " in pool and "items/s, " in parity and "ms CPU/item" in parity
    assert ratio == f"**{result['items_per_s_ratio_pool']:.2f}×** items/s"
