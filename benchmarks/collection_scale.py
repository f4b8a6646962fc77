"""How collection time grows with the number of experiments in one config.

    python benchmarks/collection_scale.py                    # 10,000, 20,000 and 100,000
    python benchmarks/collection_scale.py 2000 8000          # other sizes
    python benchmarks/collection_scale.py --limit 60 100000  # fail above 60 s of wall time

Each size is a generated config of that many experiments with one example each (an
OpenAI-compatible model, the shipped HotpotQA sample), collected the way a user does:
``pytest --pyargs parity.evals --collect-only -q --eval-config=...`` in a subprocess (no
model is called). It prints wall time, CPU time (user + system, less sensitive to a busy
machine), peak memory, and the time per 1,000 experiments, which stays flat when
collection is linear. Goal: 100,000 experiments in under 60 s.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import NamedTuple

import yaml

SIZES = (10_000, 20_000, 100_000)


class Collection(NamedTuple):
    experiments: int
    items: int
    wall_s: float
    cpu_s: float
    peak_rss_mb: int


def write_config(path: Path, experiments: int, examples: int = 1) -> Path:
    """A config of ``experiments`` experiments of ``examples`` examples each."""
    rows = [
        {
            "id": f"e{number}",
            "model": {"name": "openai-compatible:m", "base_url": "http://127.0.0.1:9/v1"},
            "dataset": {"name": "hotpotqa", "source": "shipped", "num_examples": examples},
            "task": {"name": "rag_qa"},
            "metrics": ["f1"],
        }
        for number in range(experiments)
    ]
    # CSafeDumper: writing 100,000 experiments with the pure-Python dumper takes minutes.
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    path.write_text(yaml.dump(rows, Dumper=dumper, sort_keys=False))
    return path


def collect(config: Path, experiments: int, timeout_s: float = 1800) -> Collection:
    """Collect ``config`` in a pytest subprocess; its wall time, CPU time and peak RSS."""
    command = [sys.executable, "-m", "pytest", "--pyargs", "parity.evals",
               "-p", "no:cacheprovider", "--collect-only", "-q", f"--eval-config={config}"]  # fmt: skip
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    with tempfile.TemporaryFile() as log:
        start = time.perf_counter()
        process = subprocess.Popen(command, cwd=config.parent, env=env, stdout=log, stderr=log)
        timer = threading.Timer(timeout_s, process.kill)
        timer.start()
        _, status, usage = os.wait4(process.pid, 0)  # this child's own CPU time and RSS
        wall = time.perf_counter() - start
        timer.cancel()
        process.returncode = os.waitstatus_to_exitcode(status)
        log.seek(0)
        text = log.read().decode(errors="replace")
    if process.returncode != 0:
        raise RuntimeError(f"collection failed ({process.returncode}):\n{text[-3000:]}")
    items = sum("::test_example[" in line for line in text.splitlines())
    cpu = usage.ru_utime + usage.ru_stime
    return Collection(experiments, items, wall, cpu, usage.ru_maxrss // 1024)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("sizes", nargs="*", type=int, default=list(SIZES))
    parser.add_argument("--limit", type=float, help="fail when a size takes longer (wall s)")
    options = parser.parse_args()
    failed = False
    with tempfile.TemporaryDirectory(prefix="parity-collect-") as folder:
        print(f"{'experiments':>12} {'items':>8} {'wall s':>8} {'cpu s':>8} "
              f"{'wall s/1k':>10} {'peak MB':>8}")  # fmt: skip
        for size in options.sizes:
            config = write_config(Path(folder) / f"experiments-{size}.yaml", size)
            result = collect(config, size)
            per_k = result.wall_s / size * 1000
            print(f"{size:>12,} {result.items:>8,} {result.wall_s:>8.1f} {result.cpu_s:>8.1f} "
                  f"{per_k:>10.2f} {result.peak_rss_mb:>8,}", flush=True)  # fmt: skip
            if result.items != size:
                print(f"  expected {size:,} items, collected {result.items:,}")
                failed = True
            if options.limit is not None and result.wall_s > options.limit:
                print(f"  over the {options.limit:g} s limit")
                failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
