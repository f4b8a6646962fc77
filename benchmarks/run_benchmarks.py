"""Parity's speed, pacing and scale benchmarks, each a ratio against a plain runner.

    python benchmarks/run_benchmarks.py                  # a-i on both servers, medians of 3
    python benchmarks/run_benchmarks.py g h              # some of them
    python benchmarks/run_benchmarks.py --repeat 5 a     # medians of five interleaved runs
    python benchmarks/run_benchmarks.py --server http1.0 g   # one server only
    python benchmarks/run_benchmarks.py --peer inspect a g   # inspect_ai beside the pool

Every figure is measured side by side with a plain ScaleBench-style runner (a
``ThreadPoolExecutor`` calling the same ``openai`` SDK) against the same local
OpenAI-compatible server, which runs in its own process so that its threads do not share
the client's GIL. Each benchmark runs against two servers: ``keep-alive`` (HTTP/1.1, one
connection reused for many requests) and ``http1.0`` (a plain ``ThreadingHTTPServer`` that
closes each connection after its answer, as some proxies and self-hosted servers do). Each
runner runs ``--repeat`` times (3 unless set), the runners interleaved (their order
rotating each round); a figure is the median of its runs and a ratio the median of the
rounds' ratios. Parity runs as a user runs it: ``pytest --pyargs parity.evals`` in a
subprocess. "span" is the server-side time from the first request to the last answer (the
model-call phase); "wall" is the whole process, start-up and imports included (every
runner warmed up once first, so that all use bytecode caches as a user's machine does);
"CPU/item" is user+sys time of the runner and every process it started, per item; "RSS" is
the peak of the summed resident memory of the runner's processes, sampled every 50 ms.
``--peer inspect`` also runs the work through inspect_ai (0.3.285, in its own virtualenv,
``.venv-inspect``, made on first use) for a Parity/inspect ratio.

a. 256 items, C=32, 0.5 s latency                       goal: Parity <= 1.1x the thread pool
b. the same with ``-n 2``                               goal: <= 1.1x, never > 32 in flight
c. 4 experiments x 64 items on 4 endpoints, C=16, 0.5 s  goal: <= 1.2x four pools at once
d. one 429 (Retry-After: 1) per prompt, C=32            goal: every item passes, <= pool + 3 s
e. 20 s of 500s, then recovery                          goal: every item passes
f. 100,000 tiny items, warm cache, vs bare pytest       goal: <= 1.5x time, peak RSS < 800 MiB
g. cold, zero-latency server, C=64, 3,000 items         goal: >= 1.0x the pool's items/s
h. 1,000 items, C=32, 0.2 s: ``-n 2`` vs serial Parity  goal: -n 2 wall <= 1.0x serial
i. 1,000 vs 10,000 items, C=64, 0.02 s: peak RSS        goal: flat in N (10k <= 1.1x 1k)

The data is synthetic on purpose: these benchmarks measure the machinery, not scores.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager, suppress
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


SERVERS = {"keep-alive": "HTTP/1.1", "http1.0": "HTTP/1.0"}


def _serve(latency_s: float, mode: str, protocol: str, urls: Any, stats: Any, stop: Any) -> None:
    with FakeLLMServer(
        "openai",
        latency_s=latency_s,
        retry_after="1",
        fault_for=_fault_rule(mode),
        protocol=protocol,
    ) as server:
        urls.put(server.url)
        stop.wait()
        times = [r["at"] for r in server.requests]
        stats.put(
            {
                "requests": len(times),
                "max_in_flight": server.max_in_flight,
                "first": min(times, default=0.0),
                "last": max(times, default=0.0) + latency_s,
            }
        )


class ServerProcess:
    """A fake OpenAI-compatible server in its own process; ``stats`` after exit."""

    def __init__(self, latency_s: float, mode: str = "none", protocol: str = "HTTP/1.1") -> None:
        self._urls: multiprocessing.Queue = multiprocessing.Queue()
        self._stats: multiprocessing.Queue = multiprocessing.Queue()
        self._stop = multiprocessing.Event()
        self._process = multiprocessing.Process(
            target=_serve, args=(latency_s, mode, protocol, self._urls, self._stats, self._stop)
        )
        self.stats: dict[str, Any] = {}

    def __enter__(self) -> str:
        self._process.start()
        return self._urls.get(timeout=30)

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self.stats = self._stats.get(timeout=60)
        self._process.join(30)


class Work(NamedTuple):
    """What every runner of a benchmark does: ``n`` items on each of ``endpoints`` servers
    at ``concurrency`` each, the server answering after ``latency_s``."""

    n: int
    concurrency: int
    latency_s: float
    endpoints: int = 1
    mode: str = "none"


@contextmanager
def _servers(work: Work, protocol: str, figures: dict[str, Any]) -> Iterator[list[str]]:
    """The work's servers; once they stop, their requests, in-flight peak and first and
    last request (``time.monotonic()``) land in ``figures``."""
    servers = [ServerProcess(work.latency_s, work.mode, protocol) for _ in range(work.endpoints)]
    with ExitStack() as stack:
        yield [stack.enter_context(server) for server in servers]
    stats = [server.stats for server in servers]
    figures["requests"] = sum(s["requests"] for s in stats)
    figures["max_in_flight"] = max(s["max_in_flight"] for s in stats)
    figures["first"] = min(s["first"] for s in stats)
    figures["span_s"] = max(s["last"] for s in stats) - figures["first"]


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

INSPECT_RUNNER = r"""
import json, sys
from inspect_ai import Task, eval
from inspect_ai.dataset import Sample
from inspect_ai.model import GenerateConfig, get_model
from inspect_ai.scorer import exact
from inspect_ai.solver import generate

jobs, log_dir = json.loads(sys.argv[1]), sys.argv[2]  # [[url, n, concurrency], ...]
tasks = [
    Task(
        dataset=[Sample(input=f"Context {i}. Question {i}?", target="Paris") for i in range(n)],
        solver=generate(), scorer=exact(), name=f"bench{number}",
        model=get_model("openai/bench", base_url=url, api_key="x", responses_api=False,
                        config=GenerateConfig(max_connections=concurrency, adaptive_connections=False)),
    )
    for number, (url, n, concurrency) in enumerate(jobs)
]
logs = eval(tasks, max_tasks=len(tasks), max_tokens=32, temperature=0.0, display="none",
            log_dir=log_dir, max_connections=jobs[0][2], max_samples=jobs[0][2],
            adaptive_connections=False)
assert all(log.status == "success" for log in logs), [log.status for log in logs]
"""

INSPECT_VENV = REPO / ".venv-inspect"
INSPECT_VERSION = "0.3.285"


def inspect_python() -> Path:
    """The inspect_ai virtualenv's Python, made (with ``pip``) on first use."""
    python = INSPECT_VENV / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(INSPECT_VENV)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q",
                        f"inspect-ai=={INSPECT_VERSION}", "openai"], check=True)  # fmt: skip
    return python


class Timed(NamedTuple):
    """One timed subprocess: wall seconds, the peak of its processes' summed RSS (MiB),
    their CPU (user+sys, seconds) and when it was launched (``time.monotonic()``, the clock
    the server process stamps its requests with)."""

    wall_s: float
    peak_rss_mib: float
    cpu_s: float
    launched_at: float


TIMING_WRAPPER = (
    "import resource, subprocess, sys; "
    "code = subprocess.run(sys.argv[1:]).returncode; "
    "usage = resource.getrusage(resource.RUSAGE_CHILDREN); "
    "print(usage.ru_utime + usage.ru_stime, file=sys.stderr); "
    "sys.exit(code)"
)


def _tree_rss_mib(pid: int) -> float:
    """The summed resident memory of ``pid``'s descendants (not ``pid`` itself), MiB."""
    import psutil

    total = 0
    try:
        for child in psutil.Process(pid).children(recursive=True):
            with suppress(psutil.Error):
                total += child.memory_info().rss
    except psutil.Error:
        return 0.0
    return total / (1 << 20)


def _timed(command: list[str], cwd: Path) -> Timed:
    """Run ``command`` and time it (failing loudly if it fails)."""
    launched_at = time.monotonic()
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-c", TIMING_WRAPPER, *command],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    peak = [0.0]

    def sample() -> None:
        while process.poll() is None:
            peak[0] = max(peak[0], _tree_rss_mib(process.pid))
            time.sleep(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, err = process.communicate()
    elapsed = time.perf_counter() - started
    sampler.join()
    if process.returncode != 0:
        raise RuntimeError(out[-3000:] + err[-3000:])
    return Timed(elapsed, peak[0], float(err.strip().splitlines()[-1]), launched_at)


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


# A runner: (work, its servers' URLs, a scratch folder) -> its timed run.
Runner = Callable[[Work, list[str], Path], Timed]


def pool_runner(work: Work, urls: list[str], tmp: Path) -> Timed:
    """The plain thread pool, one per endpoint, all at once."""
    jobs = [(url, work.n, work.concurrency) for url in urls]
    return _timed([sys.executable, "-c", POOL_RUNNER, json.dumps(jobs)], tmp)


def parity_runner(*args: str, **model: Any) -> Runner:
    """Parity (one experiment per endpoint), with pytest ``args`` and model options."""

    def run(work: Work, urls: list[str], tmp: Path) -> Timed:
        rows = _rows(tmp / f"rows-{work.n}.jsonl", work.n)
        exps = [_experiment(f"exp{i}", url, rows, work.concurrency, **model)
                for i, url in enumerate(urls)]  # fmt: skip
        return _parity(tmp, exps, "--eval-cache=off", *args)

    return run


def inspect_runner(work: Work, urls: list[str], tmp: Path) -> Timed:
    """inspect_ai, in its own virtualenv, one task per endpoint."""
    jobs = [(url, work.n, work.concurrency) for url in urls]
    command = [str(inspect_python()), "-c", INSPECT_RUNNER, json.dumps(jobs), str(tmp / "logs")]
    return _timed(command, tmp)


def _measure(runner: Runner, work: Work, protocol: str, tmp: Path) -> dict[str, Any]:
    """One run of ``runner`` against fresh servers: its figures."""
    figures: dict[str, Any] = {}
    with _servers(work, protocol, figures) as urls:
        run = runner(work, urls, tmp)
    items = work.n * work.endpoints
    return {
        "wall_s": run.wall_s,
        "span_s": figures.pop("span_s"),
        "first_request_s": figures.pop("first") - run.launched_at,
        "items_per_s": items / max(run.wall_s, 1e-9),
        "cpu_ms_per_item": 1000 * run.cpu_s / items,
        "peak_rss_mib": run.peak_rss_mib,
        **figures,
    }


def interleaved(
    runners: dict[str, Runner], work: Work, protocol: str, repeat: int
) -> dict[str, list[dict[str, Any]]]:
    """Every runner ``repeat`` times, one round at a time, the order rotating each round
    (so that none always runs first on a machine that warms up or gets busier)."""
    names = list(runners)
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in names}
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        for round_number in range(repeat):
            shift = round_number % len(names)
            for name in names[shift:] + names[:shift]:
                runs[name].append(_measure(runners[name], work, protocol, tmp))
    return runs


FIGURES = ("wall_s", "span_s", "first_request_s", "cpu_ms_per_item", "peak_rss_mib")


def medians(runs: list[dict[str, Any]]) -> dict[str, float]:
    """Each figure's median over ``runs``."""
    return {k: round(statistics.median(r[k] for r in runs), 3) for k in runs[0] if k in FIGURES}


def ratios(runs: dict[str, list[dict[str, Any]]], ours: str, theirs: str, key: str) -> list[float]:
    """Each round's ``key`` of ``ours`` over ``theirs`` (inverted for items per second)."""
    pairs = zip(runs[ours], runs[theirs], strict=True)
    return [round(a[key] / b[key], 3) for a, b in pairs]


def compare(
    title: str, goal: str, work: Work, protocol: str, repeat: int, peers: Sequence[str],
    headline: str = "span_s", parity: Runner | None = None,
) -> dict[str, Any]:  # fmt: skip
    """Parity side by side with the thread pool (and ``peers``) on ``work``: every runner's
    median figures and each round's Parity/peer ratios of wall, span and ``headline``."""
    runners: dict[str, Runner] = {"pool": pool_runner, "parity": parity or parity_runner()}
    if "inspect" in peers:
        runners["inspect"] = inspect_runner
    runs = interleaved(runners, work, protocol, repeat)
    result: dict[str, Any] = {"benchmark": title, "goal": goal, "items": work.n * work.endpoints,
                              "runs": repeat, "headline": headline}  # fmt: skip
    for name, name_runs in runs.items():
        result[name] = medians(name_runs)
        result[name]["requests"] = name_runs[-1]["requests"]
        result[name]["max_in_flight"] = max(r["max_in_flight"] for r in name_runs)
    for peer in runners:
        if peer != "parity":
            for key in ("wall_s", "span_s"):
                each = ratios(runs, "parity", peer, key)
                result[f"{key[:-2]}_ratio_{peer}"] = statistics.median(each)
                result[f"{key[:-2]}_ratio_{peer}_runs"] = each
    return result


def bench_a(protocol: str, repeat: int, peers: Sequence[str]) -> dict:
    return compare("a: 256 items, C=32, 0.5 s", "<= 1.1x", Work(256, 32, 0.5), protocol,
                   repeat, peers)  # fmt: skip


def bench_b(protocol: str, repeat: int, peers: Sequence[str]) -> dict:
    return compare("b: same with -n 2", "<= 1.1x, <= 32 in flight", Work(256, 32, 0.5),
                   protocol, repeat, (), parity=parity_runner("-n", "2"))  # fmt: skip


def bench_c(protocol: str, repeat: int, peers: Sequence[str]) -> dict:
    return compare("c: 4 experiments x 64 on 4 endpoints, C=16, 0.5 s", "<= 1.2x",
                   Work(64, 16, 0.5, endpoints=4), protocol, repeat, peers)  # fmt: skip


def bench_d(protocol: str, repeat: int, peers: Sequence[str]) -> dict:
    result = compare("d: one 429 + Retry-After: 1 per prompt, C=32", "all pass, <= pool + 3 s",
                     Work(256, 32, 0.5, mode="first-429"), protocol, repeat, ())  # fmt: skip
    result["every_item_passed"] = result["parity"]["requests"] == 512
    result["wall_minus_pool_s"] = round(result["parity"]["wall_s"] - result["pool"]["wall_s"], 2)
    return result


def bench_e(protocol: str, repeat: int, peers: Sequence[str]) -> dict:
    return compare(f"e: {OUTAGE_S:.0f} s of 500s, then recovery", "every item passes",
                   Work(64, 16, 0.1, mode="outage"), protocol, repeat, (),
                   parity=parity_runner(max_retries=3))  # fmt: skip


def bench_g(protocol: str, repeat: int, peers: Sequence[str], n: int = 3000) -> dict:
    result = compare("g: cold, zero-latency server, C=64", ">= 1.0x items/s",
                     Work(n, 64, 0.0), protocol, repeat, peers)  # fmt: skip
    for name in ("pool", "parity", "inspect"):
        if name in result:
            result[name]["items_per_s"] = round(n / result[name]["span_s"])
    for key in [k for k in result if k.startswith("span_ratio_") and not k.endswith("_runs")]:
        result[key.replace("span_ratio", "items_per_s_ratio")] = round(1 / result[key], 3)
    result["headline"] = "items_per_s"
    return result


def bench_h(protocol: str, repeat: int, peers: Sequence[str], n: int = 1000) -> dict:
    """``-n 2`` against serial Parity on a latency-bound run."""
    runners = {"serial": parity_runner(), "n2": parity_runner("-n", "2")}
    runs = interleaved(runners, Work(n, 32, 0.2), protocol, repeat)
    each = ratios(runs, "n2", "serial", "wall_s")
    return {"benchmark": f"h: {n:,} items, C=32, 0.2 s: -n 2 vs serial", "goal": "<= 1.0x",
            "serial": medians(runs["serial"]), "n2": medians(runs["n2"]),
            "wall_ratio_serial": statistics.median(each), "wall_ratio_serial_runs": each}  # fmt: skip


def bench_i(protocol: str, repeat: int, peers: Sequence[str]) -> dict:
    """Peak RSS of a latency-bound run at 1,000 and at 10,000 items (Parity and the pool)."""
    result: dict[str, Any] = {"benchmark": "i: peak RSS, 1,000 vs 10,000 items, C=64, 0.02 s",
                              "goal": "flat in N"}  # fmt: skip
    for n in (1000, 10_000):
        runs = interleaved({"pool": pool_runner, "parity": parity_runner()},
                           Work(n, 64, 0.02), protocol, repeat)  # fmt: skip
        result[f"pool_{n}"] = medians(runs["pool"])
        result[f"parity_{n}"] = medians(runs["parity"])
    result["parity_rss_10k_over_1k"] = round(
        result["parity_10000"]["peak_rss_mib"] / result["parity_1000"]["peak_rss_mib"], 3
    )
    return result


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


def bench_f(protocol: str = "", repeat: int = 1, peers: Sequence[str] = (),
            n: int = 100_000) -> dict:  # fmt: skip
    """A warm cache sends nothing: run once, whatever the server."""
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
        runs: dict[str, list[Timed]] = {"bare": [], "parity": []}
        for round_number in range(repeat):
            order = ["bare", "parity"] if round_number % 2 == 0 else ["parity", "bare"]
            for who in order:
                report = [f"--eval-report-dir={tmp / f'r{round_number}'}"]
                command = [*base, "bare"] if who == "bare" else [*base, *parity_args, *report]
                runs[who].append(_timed(command, tmp))
        bare_collect = _timed([*base, "--collect-only", "bare"], tmp).wall_s
        parity_collect = _timed([*base, "--collect-only", *parity_args], tmp).wall_s
    bare, ours = runs["bare"], runs["parity"]
    walls = [round(a.wall_s / b.wall_s, 3) for a, b in zip(ours, bare, strict=True)]
    return {"benchmark": f"f: {n:,} tiny items, warm cache", "goal": "<= 1.5x time, RSS < 800 MiB",
            "items": n, "bare_collect_s": round(bare_collect, 1), "parity_collect_s": round(parity_collect, 1),
            "collect_ratio": round(parity_collect / bare_collect, 3),
            "bare_wall_s": round(statistics.median(r.wall_s for r in bare), 1),
            "parity_wall_s": round(statistics.median(r.wall_s for r in ours), 1),
            "wall_ratio": statistics.median(walls), "wall_ratio_runs": walls,
            "bare_peak_rss_mib": round(statistics.median(r.peak_rss_mib for r in bare)),
            "parity_peak_rss_mib": round(statistics.median(r.peak_rss_mib for r in ours))}  # fmt: skip


BENCHMARKS: dict[str, Callable[..., dict]] = {
    "a": bench_a, "b": bench_b, "c": bench_c, "d": bench_d, "e": bench_e, "f": bench_f,
    "g": bench_g, "h": bench_h, "i": bench_i,
}  # fmt: skip
SERVERLESS = {"f"}


def warm_up(peers: Sequence[str]) -> None:
    """One small run of each runner, so all time warm bytecode caches, as a user's would."""
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        work = Work(4, 2, 0.0)
        runners = [pool_runner, parity_runner("-n", "2")]
        runners += [inspect_runner] if "inspect" in peers else []
        for runner in runners:
            _measure(runner, work, "HTTP/1.1", tmp)


def _cell(figures: dict[str, Any] | None, headline: str) -> str:
    if not figures:
        return ""
    if headline == "items_per_s":
        return f"{figures['items_per_s']} items/s, {figures['cpu_ms_per_item']:.2f} ms CPU/item"
    return (f"span {figures['span_s']:.2f} s, wall {figures['wall_s']:.2f} s, "
            f"{figures['peak_rss_mib']:.0f} MiB")  # fmt: skip


def _ratio(result: dict[str, Any], peer: str) -> str:
    if result.get("headline") == "items_per_s":
        key = f"items_per_s_ratio_{peer}"
        return f"**{result[key]:.2f}×** items/s" if key in result else ""
    span, wall = result.get(f"span_ratio_{peer}"), result.get(f"wall_ratio_{peer}")
    return f"span **{span:.2f}×**, wall {wall:.2f}×" if span is not None else ""


def table_rows(server: str, result: dict[str, Any]) -> list[str]:
    """The markdown table's row for one result."""
    name = result["benchmark"]
    if name.startswith("f:"):
        return [f"| {name} | — | bare pytest: wall {result['bare_wall_s']} s, "
                f"{result['bare_peak_rss_mib']} MiB | wall {result['parity_wall_s']} s, "
                f"**{result['parity_peak_rss_mib']} MiB** | wall **{result['wall_ratio']:.2f}×** "
                f"| | | {result['goal']} |"]  # fmt: skip
    if name.startswith("h:"):
        serial, n2 = result["serial"], result["n2"]
        return [f"| {name} | {server} | serial: wall {serial['wall_s']:.2f} s | -n 2: wall "
                f"{n2['wall_s']:.2f} s | -n 2 / serial wall **{result['wall_ratio_serial']:.2f}×** "
                f"| | | {result['goal']} |"]  # fmt: skip
    if name.startswith("i:"):
        cells = [f"{n:,}: pool {result[f'pool_{n}']['peak_rss_mib']:.0f} MiB, Parity "
                 f"**{result[f'parity_{n}']['peak_rss_mib']:.0f} MiB**" for n in (1000, 10_000)]  # fmt: skip
        return [f"| {name} | {server} | {cells[0]} | {cells[1]} | Parity 10k/1k "
                f"**{result['parity_rss_10k_over_1k']:.2f}×** | | | {result['goal']} |"]  # fmt: skip
    headline = result["headline"]
    return [f"| {name} | {server} | {_cell(result['pool'], headline)} | "
            f"{_cell(result['parity'], headline)} | {_ratio(result, 'pool')} | "
            f"{_cell(result.get('inspect'), headline)} | {_ratio(result, 'inspect')} | "
            f"{result['goal']} |"]  # fmt: skip


TABLE_HEAD = [
    "| benchmark | server | thread pool | Parity | Parity / pool | inspect_ai | Parity / inspect | goal |",
    "| --- | --- | --- | --- | --- | --- | --- | --- |",
]


def main(argv: list[str]) -> None:
    """Run the named benchmarks (all by default) and print each result as JSON, then the
    table, with the machine's load average before and after."""
    options = {"--repeat": "3", "--server": "both", "--peer": ""}
    names: list[str] = []
    args = iter(argv)
    for arg in args:
        if arg in options:
            options[arg] = next(args)
        else:
            names.append(arg)
    repeat = int(options["--repeat"])
    servers = list(SERVERS) if options["--server"] == "both" else [options["--server"]]
    peers = [p for p in options["--peer"].split(",") if p]
    os.environ.pop("OPENAI_API_KEY", None)
    # Time what users get: Python writes and reuses bytecode caches (this machine's shell
    # sets PYTHONDONTWRITEBYTECODE, which would make every run recompile openai and pytest).
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    load_before = os.getloadavg()
    warm_up(peers)
    rows = list(TABLE_HEAD)
    for name in names or list(BENCHMARKS):
        for server in ["—"] if name in SERVERLESS else servers:
            result = BENCHMARKS[name](SERVERS.get(server, ""), repeat, peers)
            result["server"] = server
            print(json.dumps(result), flush=True)
            rows += table_rows(server, result)
    load_after = os.getloadavg()
    print(f"\nMedians of {repeat} interleaved runs; load average (1 min) {load_before[0]:.1f} "
          f"before, {load_after[0]:.1f} after, on {os.cpu_count()} cores.\n")  # fmt: skip
    print("\n".join(rows))


if __name__ == "__main__":
    main(sys.argv[1:])
