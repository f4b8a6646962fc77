"""A latency-bound run as one pytest process, and as shards run at once then merged.

    python benchmarks/shard_speedup.py                         # 2,016 cases, 3 shards, 0.1 s
    python benchmarks/shard_speedup.py --cases 600 --latency 0.05 --shards 3

One OpenAI-compatible endpoint (a local fake server that answers after a fixed latency)
serves every case, through one lane per process of at most ``--concurrency`` requests in
flight: one run takes about cases x latency / concurrency. Shards started together
(``--parity-shard k/N``, N processes) keep N lanes busy; ``python -m parity merge`` then
concludes over them. The cache is off. Prints each phase's wall time and the speedup.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support.fake_llm_server import FakeLLMServer  # noqa: E402

SAMPLE = 32  # the shipped HotpotQA sample's rows: one experiment's cases


def write_config(path: Path, cases: int, url: str, concurrency: int) -> Path:
    """Experiments of the shipped HotpotQA sample on one model and endpoint, ``cases`` in all
    (rounded up to whole experiments)."""
    experiments = [
        {
            "id": f"e{i:03d}",
            "model": {
                "name": "openai-compatible:m",
                "base_url": url,
                "max_concurrency": concurrency,
            },
            "dataset": {"name": "hotpotqa", "source": "shipped", "num_examples": SAMPLE},
            "task": {"name": "rag_qa"},
            "metrics": ["exact_match"],
        }
        for i in range(-(-cases // SAMPLE))
    ]
    path.write_text(yaml.safe_dump(experiments, sort_keys=False))
    return path


def pytest_command(config: Path, report_dir: str, *extra: str) -> list[str]:
    """The pytest run of ``config`` into ``report_dir``, the cache off."""
    return [
        sys.executable, "-m", "pytest", "--pyargs", "parity.evals", "-p", "no:cacheprovider",
        "-q", f"--parity-config={config}", f"--parity-report-dir={report_dir}",
        "--parity-cache=off", *extra,
    ]  # fmt: skip


def timed(commands: list[list[str]], cwd: Path) -> float:
    """Start ``commands`` together and wait for all; their wall time (each must pass)."""
    start = time.perf_counter()
    running = [subprocess.Popen(c, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
               for c in commands]  # fmt: skip
    for process in running:
        output, _ = process.communicate()
        if process.returncode != 0:
            raise SystemExit(output.decode()[-3000:])
    return time.perf_counter() - start


def main() -> None:
    """Run the comparison and print it."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=2000)
    parser.add_argument("--shards", type=int, default=3)
    parser.add_argument("--latency", type=float, default=0.1, help="seconds per answer")
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder, FakeLLMServer("openai") as server:
        cwd = Path(folder)
        server.latency_s = args.latency
        config = write_config(cwd / "bench.yaml", args.cases, server.url, args.concurrency)
        one = timed([pytest_command(config, "one")], cwd)
        shards = [
            pytest_command(config, f"s{k}", f"--parity-shard={k}/{args.shards}")
            for k in range(1, args.shards + 1)
        ]
        sharded = timed(shards, cwd)
        merge = [sys.executable, "-m", "parity", "merge", "--out", "merged"]
        merged = timed([merge + [f"s{k}" for k in range(1, args.shards + 1)]], cwd)
    cases = -(-args.cases // SAMPLE) * SAMPLE
    print(f"{cases} cases, {args.latency * 1000:.0f} ms per answer, {args.concurrency} in flight")
    print(f"one run:             {one:7.1f} s")
    print(f"{args.shards} shards at once:    {sharded:7.1f} s  + merge {merged:.1f} s")
    print(f"speedup:             {one / (sharded + merged):7.2f}x (shards and merge)")


if __name__ == "__main__":
    main()
