"""The shard benchmark at a small scale: one run, two shards at once and their merge all
pass, and it prints its figures."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "shard_speedup.py"


def test_the_shard_benchmark_runs_at_a_small_scale():
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--cases", "32", "--shards", "2", "--latency", "0.01"],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert "32 cases, 10 ms per answer" in done.stdout
    assert "2 shards at once:" in done.stdout and "speedup:" in done.stdout
