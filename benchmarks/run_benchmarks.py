"""Parity's speed, pacing and scale benchmarks, each a ratio against a plain runner.

    python benchmarks/run_benchmarks.py            # all of them (about 10 minutes)
    python benchmarks/run_benchmarks.py a c f      # some of them
    python benchmarks/run_benchmarks.py --repeat 5 a b c   # the median of five runs each

Every figure is measured in one run, side by side with a plain ScaleBench-style runner (a
``ThreadPoolExecutor`` calling the same ``openai`` SDK) against the same local
OpenAI-compatible server, which runs in its own process so that its threads do not share
the client's GIL. Parity runs as a user runs it: ``pytest --pyargs parity.evals`` in a
subprocess. "span" is the server-side time from the first request to the last answer (the
model-call phase); "wall" is the whole process, start-up and imports included (both
runners warmed up once first, so that both use bytecode caches as a user's machine does).
a-c also report each runner's start-up (from launch to its first request) and the wall time
of a bare pytest running as many no-op items with the same arguments: pytest's own floor.

a. 256 items, C=32, 0.5 s latency                       goal: Parity <= 1.1x the thread pool
b. the same with ``-n 2``                               goal: <= 1.1x, never > 32 in flight
c. 4 experiments x 64 items on 4 endpoints, C=16, 0.5 s  goal: <= 1.2x four pools at once
d. one 429 (Retry-After: 1) per prompt, C=32            goal: every item passes, <= pool + 3 s
e. 20 s of 500s, then recovery                          goal: every item passes
f. 100,000 tiny items, warm cache, vs bare pytest       goal: <= 1.5x time, peak RSS < 1 GB
g. cold, zero-latency server, C=64, 5,000 items         goal: >= 0.8x the pool's items/s

The data is synthetic on purpose: these benchmarks measure the machinery, not scores.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.support.fake_llm_server import FakeLLMServer, first_attempt_429  # noqa: E402

OUTAGE_S = 20.0


def _fault_rule(mode: str) -> Callable[[dict[str, Any]], str | None] | None:
    """Server-side faults: ``first-429`` (each prompt's first attempt) or ``outage``."""
    if mode == "first-429":
        return first_attempt_429()
    if mode == "outage":
        start: list[float] = []

        def outage(body: dict[str, Any]) -> str | None:
            if not start:
                start.append(time.monotonic())
            return "500" if time.monotonic() - start[0] < OUTAGE_S else None

        return outage
    return None


def _serve(latency_s: float, mode: str, urls: Any, stats: Any, stop: Any) -> None:
    with FakeLLMServer(
        "openai", latency_s=latency_s, retry_after="1", fault_for=_fault_rule(mode)
    ) as server:
        urls.put(server.url)
        stop.wait()
        times = [r["at"] for r in server.requests]
        stats.put(
            {
                "requests": len(times),
                "max_in_flight": server.max_in_flight,
                "span_s": (max(times) - min(times) + latency_s) if times else 0.0,
                "first": min(times, default=0.0),
                "last": max(times, default=0.0) + latency_s,
            }
        )


class ServerProcess:
    """A fake OpenAI-compatible server in its own process; ``stats`` after exit."""

    def __init__(self, latency_s: float, mode: str = "none") -> None:
        self._urls: multiprocessing.Queue = multiprocessing.Queue()
        self._stats: multiprocessing.Queue = multiprocessing.Queue()
        self._stop = multiprocessing.Event()
        self._process = multiprocessing.Process(
            target=_serve, args=(latency_s, mode, self._urls, self._stats, self._stop)
        )
        self.stats: dict[str, Any] = {}

    def __enter__(self) -> str:
        self._process.start()
        return self._urls.get(timeout=30)

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self.stats = self._stats.get(timeout=60)
        self._process.join(30)


POOL_RUNNER = r"""
import json, sys, time
from concurrent.futures import ThreadPoolExecutor
import openai

jobs = json.loads(sys.argv[1])  # [[url, n, concurrency], ...] run side by side

def one(client, i):
    while True:
        try:
            return client.chat.completions.create(model="bench", max_tokens=32, temperature=0.0,
                messages=[{"role": "user", "content": f"Context {i}. Question {i}?"}])
        except openai.APIStatusError as exc:
            time.sleep(float(exc.response.headers.get("retry-after") or 0.5))
        except openai.APIConnectionError:
            time.sleep(0.5)

def run(url, n, concurrency):
    client = openai.OpenAI(base_url=url, api_key="x", max_retries=0)
    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(lambda i: one(client, i), range(n)))

with ThreadPoolExecutor(len(jobs)) as outer:
    list(outer.map(lambda job: run(*job), jobs))
"""


class Timed(NamedTuple):
    """One timed subprocess: wall seconds, its peak RSS (KiB) and when it was launched
    (``time.monotonic()``, the clock the server process stamps its requests with)."""

    wall_s: float
    peak_rss_kib: int
    launched_at: float


def _timed(command: list[str], cwd: Path) -> Timed:
    """Run ``command`` and time it (failing loudly if it fails)."""
    wrapper = (
        "import resource, subprocess, sys; "
        "code = subprocess.run(sys.argv[1:]).returncode; "
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr); "
        "sys.exit(code)"
    )
    launched_at = time.monotonic()
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-c", wrapper, *command], cwd=cwd, capture_output=True, text=True
    )
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        raise RuntimeError(result.stdout[-3000:] + result.stderr[-3000:])
    return Timed(elapsed, int(result.stderr.strip().splitlines()[-1]), launched_at)


def _pool(jobs: list[tuple[str, int, int]], cwd: Path) -> Timed:
    return _timed([sys.executable, "-c", POOL_RUNNER, json.dumps(jobs)], cwd)


BARE_NO_OP = """
import pytest

@pytest.mark.parametrize("i", range({n}))
def test_no_op(i):
    pass
"""


def _bare_pytest(tmp: Path, n: int, *args: str) -> float:
    """Wall seconds of a bare pytest running ``n`` no-op items (the same ``args``): what
    pytest alone costs to start, collect and report that many items, before any work."""
    folder = tmp / f"no-op-{n}"
    folder.mkdir(exist_ok=True)
    (folder / "test_no_op.py").write_text(BARE_NO_OP.replace("{n}", str(n)))
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args, folder.name]
    return _timed(command, tmp).wall_s


def _rows(path: Path, n: int) -> Path:
    with path.open("w") as handle:
        for i in range(n):
            row = {"id": f"row{i:06d}", "question": f"Question {i}?", "answer": "Paris",
                   "context": {"title": ["T"], "sentences": [[f"Context {i}."]]}}  # fmt: skip
            handle.write(json.dumps(row) + "\n")
    return path


def _experiment(exp_id: str, url: str, rows: Path, concurrency: int, **model: Any) -> dict:
    return {"id": exp_id,
            "model": {"name": "openai-compatible:bench", "base_url": url, "max_concurrency": concurrency, **model},
            "dataset": {"name": "hotpotqa", "path": str(rows)}, "task": {"name": "rag_qa"},
            "metrics": ["exact_match"]}  # fmt: skip


def _parity(tmp: Path, experiments: list[dict], *args: str) -> Timed:
    config = tmp / f"config-{time.monotonic_ns()}.json"
    config.write_text(json.dumps(experiments))
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--pyargs",
               "parity.evals", f"--eval-config={config}", f"--eval-cache-dir={tmp / 'cache'}",
               f"--eval-report-dir={tmp / config.stem}", *args]  # fmt: skip
    return _timed(command, tmp)


def _side_by_side(n: int, concurrency: int, latency_s: float, mode: str = "none",
                  parity_args: tuple[str, ...] = (), **model: Any) -> dict:  # fmt: skip
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        rows = _rows(tmp / "rows.jsonl", n)
        server = ServerProcess(latency_s, mode)
        with server as url:
            pool_run = _pool([(url, n, concurrency)], tmp)
        pool = server.stats
        server = ServerProcess(latency_s, mode)
        with server as url:
            exp = _experiment("bench", url, rows, concurrency, **model)
            parity_run = _parity(tmp, [exp], "--eval-cache=off", *parity_args)
        parity = server.stats
        bare_wall = _bare_pytest(tmp, n, *parity_args)
    return {
        "n": n, "concurrency": concurrency, "latency_s": latency_s,
        "pool_wall_s": round(pool_run.wall_s, 2), "parity_wall_s": round(parity_run.wall_s, 2),
        "wall_ratio": round(parity_run.wall_s / pool_run.wall_s, 3),
        "pool_span_s": round(pool["span_s"], 2), "parity_span_s": round(parity["span_s"], 2),
        "span_ratio": round(parity["span_s"] / pool["span_s"], 3),
        "pool_first_request_s": round(pool["first"] - pool_run.launched_at, 2),
        "parity_first_request_s": round(parity["first"] - parity_run.launched_at, 2),
        "bare_pytest_no_op_wall_s": round(bare_wall, 2),
        "parity_max_in_flight": parity["max_in_flight"], "parity_requests": parity["requests"],
        "pool_requests": pool["requests"],
    }  # fmt: skip


def bench_a() -> dict:
    return {
        "benchmark": "a: 256 items, C=32, 0.5 s",
        "goal": "<= 1.1x",
        **_side_by_side(256, 32, 0.5),
    }


def bench_b() -> dict:
    figures = _side_by_side(256, 32, 0.5, parity_args=("-n", "2"))
    return {"benchmark": "b: same with -n 2", "goal": "<= 1.1x, <= 32 in flight", **figures}


def bench_c(
    experiments: int = 4, n: int = 64, concurrency: int = 16, latency_s: float = 0.5
) -> dict:
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        rows = _rows(tmp / "rows.jsonl", n)
        servers = [ServerProcess(latency_s) for _ in range(experiments)]
        urls = [server.__enter__() for server in servers]
        pool_run = _pool([(url, n, concurrency) for url in urls], tmp)
        for server in servers:
            server.__exit__()
        pool_first = min(s.stats["first"] for s in servers)
        pool_span = max(s.stats["last"] for s in servers) - pool_first
        servers = [ServerProcess(latency_s) for _ in range(experiments)]
        urls = [server.__enter__() for server in servers]
        exps = [_experiment(f"exp{i}", url, rows, concurrency) for i, url in enumerate(urls)]
        parity_run = _parity(tmp, exps, "--eval-cache=off")
        for server in servers:
            server.__exit__()
        spans = [server.stats["span_s"] for server in servers]
        parity_first = min(s.stats["first"] for s in servers)
        combined = max(s.stats["last"] for s in servers) - parity_first
        bare_wall = _bare_pytest(tmp, n * experiments)
    ideal = n * latency_s / concurrency
    return {"benchmark": "c: 4 experiments x 64 on 4 endpoints, C=16, 0.5 s", "goal": "<= 1.2x",
            "pool_wall_s": round(pool_run.wall_s, 2), "parity_wall_s": round(parity_run.wall_s, 2),
            "wall_ratio": round(parity_run.wall_s / pool_run.wall_s, 3), "ideal_span_s": ideal,
            "parity_endpoint_spans_s": [round(s, 2) for s in spans],
            "pool_span_s": round(pool_span, 2), "parity_span_s": round(combined, 2),
            "span_ratio": round(combined / pool_span, 3),
            "pool_first_request_s": round(pool_first - pool_run.launched_at, 2),
            "parity_first_request_s": round(parity_first - parity_run.launched_at, 2),
            "bare_pytest_no_op_wall_s": round(bare_wall, 2),
            "sequential_would_be_s": ideal * experiments}  # fmt: skip


def bench_d() -> dict:
    figures = _side_by_side(256, 32, 0.5, mode="first-429")
    return {"benchmark": "d: one 429 + Retry-After: 1 per prompt, C=32", "goal": "all pass, <= pool + 3 s",
            "every_item_passed": figures["parity_requests"] == 512, **figures}  # fmt: skip


def bench_e() -> dict:
    figures = _side_by_side(64, 16, 0.1, mode="outage", max_retries=3)
    return {"benchmark": f"e: {OUTAGE_S:.0f} s of 500s, then recovery", "goal": "every item passes",
            **figures}  # fmt: skip


BARE_TEST = """
import json
import pytest

ROWS = [json.loads(line) for line in open({rows!r})]

@pytest.mark.parametrize("row", ROWS, ids=[r["id"] for r in ROWS])
def test_bare(row, record_property):
    for name in ("exact_match", "experiment_id", "example_id", "example_index", "model",
                 "latency_ms", "input_tokens", "output_tokens", "cost_usd", "prediction",
                 "references", "confidence"):
        record_property(name, row["id"])
"""


def _fill_cache(config: Path, cache_dir: Path) -> int:
    """Store an answer for every request of ``config`` (a warm cache, without a server)."""
    from parity.cases.cases import build_plan
    from parity.config.config import load_config
    from parity.engine.budget import Budget
    from parity.engine.execution import Engine, build_requests
    from parity.fixtures.clients import ClientPool
    from parity.fixtures.providers import Completion
    from parity.record.cache import ResponseCache

    plan = build_plan(load_config(config))
    cache = ResponseCache(cache_dir, "use")
    engine = Engine(cache, Budget(None))
    clients = ClientPool()
    answer = Completion("Paris", 10, 1, 1.0)
    cache._use(lambda db: db.execute("BEGIN"))  # one transaction for every answer
    for case in plan.cases:
        client = clients.get(case.experiment)
        for request in build_requests(case.experiment, case):
            cache.put(engine._key(client, case.experiment.model, request), answer)
    cache._use(lambda db: db.execute("COMMIT"))
    cache.close()
    return len(plan.cases)


def bench_f(n: int = 100_000) -> dict:
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        rows = _rows(tmp / "rows.jsonl", n)
        (tmp / "bare").mkdir()
        (tmp / "bare" / "test_bare.py").write_text(BARE_TEST.replace("{rows!r}", repr(str(rows))))
        config = tmp / "tiny.json"
        config.write_text(json.dumps([_experiment("tiny", "http://127.0.0.1:9/v1", rows, 16)]))
        _fill_cache(config, tmp / "cache")
        base = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
        parity_args = ["--pyargs", "parity.evals", f"--eval-config={config}",
                       f"--eval-cache-dir={tmp / 'cache'}"]  # fmt: skip
        bare_collect = _timed([*base, "--collect-only", "bare"], tmp).wall_s
        parity_collect = _timed([*base, "--collect-only", *parity_args], tmp).wall_s
        bare_wall, bare_rss, _ = _timed([*base, "bare"], tmp)
        parity_wall, parity_rss, _ = _timed(
            [*base, *parity_args, f"--eval-report-dir={tmp / 'r'}"], tmp
        )
    return {"benchmark": "f: 100,000 tiny items, warm cache", "goal": "<= 1.5x time, RSS < 1 GB",
            "items": n, "bare_collect_s": round(bare_collect, 1), "parity_collect_s": round(parity_collect, 1),
            "collect_ratio": round(parity_collect / bare_collect, 3),
            "bare_wall_s": round(bare_wall, 1), "parity_wall_s": round(parity_wall, 1),
            "wall_ratio": round(parity_wall / bare_wall, 3),
            "bare_peak_rss_mb": round(bare_rss / 1024), "parity_peak_rss_mb": round(parity_rss / 1024)}  # fmt: skip


def bench_g(n: int = 5000, concurrency: int = 64) -> dict:
    figures = _side_by_side(n, concurrency, 0.0)
    return {"benchmark": "g: cold, zero-latency server, C=64", "goal": ">= 0.8x items/s",
            "pool_items_per_s": round(n / figures["pool_span_s"]),
            "parity_items_per_s": round(n / figures["parity_span_s"]),
            "items_per_s_ratio": round(figures["pool_span_s"] / figures["parity_span_s"], 3),
            **figures}  # fmt: skip


BENCHMARKS = {"a": bench_a, "b": bench_b, "c": bench_c, "d": bench_d, "e": bench_e,
              "f": bench_f, "g": bench_g}  # fmt: skip


def warm_up() -> None:
    """One small run of each runner, so both time warm bytecode caches, as a user's would."""
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        rows = _rows(tmp / "rows.jsonl", 4)
        with ServerProcess(0.0) as url:
            _pool([(url, 4, 2)], tmp)
            _parity(tmp, [_experiment("warm", url, rows, 2)], "--eval-cache=off", "-n", "2")


RATIOS = ("items_per_s_ratio", "wall_ratio", "span_ratio", "collect_ratio")


def repeated(benchmark: Callable[[], dict], times: int) -> dict:
    """Run ``benchmark`` ``times`` times: the run with the median headline ratio, plus every
    run's ratios (``wall_ratio_runs``…), since one run on a busy machine moves by ±10%."""
    runs = [benchmark() for _ in range(times)]
    if times == 1:
        return runs[0]
    headline = next(key for key in RATIOS if key in runs[0])
    median = sorted(runs, key=lambda run: run[headline])[(times - 1) // 2]
    spread = {f"{key}_runs": [run[key] for run in runs] for key in RATIOS if key in runs[0]}
    return {**median, "runs": times, **spread}


def main(argv: list[str]) -> None:
    times = 1
    if "--repeat" in argv:
        at = argv.index("--repeat")
        times = int(argv[at + 1])
        argv = argv[:at] + argv[at + 2 :]
    os.environ.pop("OPENAI_API_KEY", None)
    # Time what users get: Python writes and reuses bytecode caches (this machine's shell
    # sets PYTHONDONTWRITEBYTECODE, which would make every run recompile openai and pytest).
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    warm_up()
    for name in argv or list(BENCHMARKS):
        print(json.dumps(repeated(BENCHMARKS[name], times)), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
