"""The run-wide scheduler against local wire-format servers: overlap, shared limits, pacing."""

from __future__ import annotations

import math
import re
import threading
import time
from contextlib import ExitStack

from parity.cases.cases import EvalPlan
from parity.config.config import RunConfig
from parity.engine.budget import Budget
from parity.engine.execution import Engine, build_requests
from parity.engine.runtime import EvalRuntime
from parity.engine.scheduler import LOOKUP_BATCH, RunScheduler
from parity.fixtures.clients import ClientPool
from parity.record.cache import ResponseCache
from parity.report.progress import status_line
from tests.support.engine_runs import run_cases, synthetic_cases
from tests.support.fake_llm_server import FakeLLMServer, first_attempt_fails


def engine(tmp_path, **kwargs) -> Engine:
    return Engine(ResponseCache(tmp_path, "off"), Budget(None), **kwargs)


def prompt_number(body) -> int:
    text = " ".join(m["content"] for m in body["messages"])
    return int(re.search(r"question (\d+)\?", text).group(1))


def test_experiments_on_different_endpoints_run_at_the_same_time(tmp_path):
    """4 experiments x 32 items, each on its own endpoint: every endpoint is busy before any
    finishes (the speed itself is measured in benchmarks/, as a ratio)."""
    with ExitStack() as stack:
        servers = [stack.enter_context(FakeLLMServer("openai", latency_s=0.2)) for _ in range(4)]
        cases = [
            case
            for number, server in enumerate(servers)
            for case in synthetic_cases(server.url, 32, f"exp{number}", max_concurrency=8)
        ]
        results = run_cases(engine(tmp_path), cases)
    assert all(r.error is None and r.scores["exact_match"] == 1.0 for r in results)
    assert all(0 < server.max_in_flight <= 8 for server in servers)
    first = [server.requests[0]["at"] for server in servers]
    last = [server.requests[-1]["at"] for server in servers]
    assert max(first) < min(last)


def test_experiments_sharing_an_endpoint_share_its_limit(tmp_path):
    """Same endpoint and model, different max_tokens: one lane, one in-flight limit of 8."""
    with FakeLLMServer("openai", latency_s=0.05) as server:
        short = synthetic_cases(server.url, 40, "short", max_concurrency=8, max_tokens=8)
        long = synthetic_cases(server.url, 40, "long", max_concurrency=8, max_tokens=64)
        runner = engine(tmp_path)
        results = run_cases(runner, short + long)
    assert all(r.error is None for r in results)
    assert len(runner.lanes()) == 1
    assert 0 < server.max_in_flight <= 8
    assert {r["body"]["max_tokens"] for r in server.requests} == {8, 64}


def test_one_429_per_prompt_is_pacing_not_failure(tmp_path):
    """The review's repro: each prompt's first attempt gets 429 + Retry-After: 1, at C=8."""
    seen: set[int] = set()
    lock = threading.Lock()

    def first_attempt_429(body):
        with lock:
            number = prompt_number(body)
            if number in seen:
                return None
            seen.add(number)
            return "429"

    with FakeLLMServer("openai", retry_after="1", fault_for=first_attempt_429) as server:
        runner = engine(tmp_path)
        results = run_cases(runner, synthetic_cases(server.url, 24, max_concurrency=8))
    assert [r.error for r in results if r.error] == []
    lane = runner.lanes()[0]
    assert lane.flow.throttled == 24 and lane.breaker.openings == 0
    assert len(server.requests) == 48


def test_a_burst_of_500s_is_ridden_out(tmp_path):
    """One second of 500s for every request, then recovery: every item passes."""
    down_until = time.monotonic() + 1.0

    def outage(body):
        return "500" if time.monotonic() < down_until else None

    with FakeLLMServer("openai", latency_s=0.02, fault_for=outage) as server:
        runner = engine(tmp_path, cooldown_s=0.2)
        results = run_cases(
            runner, synthetic_cases(server.url, 32, max_concurrency=8, max_retries=1)
        )
    assert [r.error for r in results if r.error] == []
    assert runner.lanes()[0].breaker.openings >= 1


def test_a_prompt_that_always_fails_fails_alone(tmp_path):
    def bad_prompt(body):
        return "500" if prompt_number(body) == 7 else None

    with FakeLLMServer("openai", latency_s=0.05, fault_for=bad_prompt) as server:
        runner = engine(tmp_path, sleep=lambda s: time.sleep(0.1))
        results = run_cases(
            runner, synthetic_cases(server.url, 40, max_concurrency=4, max_retries=2)
        )
    failed = {r.example_id: r.error for r in results if r.error}
    assert list(failed) == ["7"]
    assert "injected 500 (after 3 attempts)" in failed["7"]
    assert runner.lanes()[0].breaker.openings == 0


def test_xdist_workers_split_the_in_flight_limit(tmp_path):
    with FakeLLMServer("openai", latency_s=0.05) as server:
        runner = engine(tmp_path, share=2)
        run_cases(runner, synthetic_cases(server.url, 32, max_concurrency=16))
    assert runner.lanes()[0].flow.maximum == 8
    assert runner.lanes()[0].flow.peak_in_flight == 8
    assert server.max_in_flight <= 8


def test_results_run_at_most_a_window_ahead_of_the_items(tmp_path):
    with FakeLLMServer("openai") as server:
        cases = synthetic_cases(server.url, 50, max_concurrency=4)
        clients = ClientPool()
        done = []
        scheduler = RunScheduler(
            engine(tmp_path), clients, lambda case, record: done.append(record), window=10
        )
        scheduler.submit(cases)
        time.sleep(0.5)
        assert len(done) == 10  # nobody consumed a result yet
        results = [scheduler.wait(case) for case in cases]
        clients.close()
    assert [r.example_id for r in results] == [c.example.id for c in cases]
    assert len(done) == 50


def test_an_item_waits_only_for_its_own_result(tmp_path):
    """The first item is answered after its own round trip, not after a batch: every later
    request is held until the test has the first result, so waiting for any of them would
    show as a held request that timed out (counts and order, no wall-clock bound)."""
    release = threading.Event()
    held_too_long = []
    replies = iter(range(1_000))

    def reply(body):
        if next(replies) > 0 and not release.wait(timeout=5):
            held_too_long.append(body)
        return "Paris"

    with FakeLLMServer("openai", reply=reply) as server:
        cases = synthetic_cases(server.url, 16, max_concurrency=1)
        clients = ClientPool()
        scheduler = RunScheduler(engine(tmp_path), clients, lambda case, record: None)
        scheduler.submit(cases)
        first = scheduler.wait(cases[0])
        sent_by_then = len(server.requests)
        release.set()
        scheduler.cancel()
        clients.close()
    assert first.example_id == cases[0].example.id
    assert held_too_long == []
    assert sent_by_then <= 2  # one in flight at a time: the first answered, the second held


def test_the_status_line_reports_progress_retries_and_throttling(tmp_path):
    with FakeLLMServer("openai", retry_after="0.1") as server:
        server.faults.extend(["429", "500"])
        cases = synthetic_cases(server.url, 6, "status", max_concurrency=1)
        plan = EvalPlan(RunConfig("status.yaml", (cases[0].experiment,)), cases)
        runner = Engine(
            ResponseCache(tmp_path, "off"), Budget(None), sleep=lambda s: time.sleep(0.01)
        )
        runtime = EvalRuntime(plan, tmp_path / "run", 1, runner, ClientPool())
        runtime.select(cases)
        for case in cases:
            runtime.result_for(case)
        line = status_line(runtime)
        runtime.close()
    assert line.startswith("parity: status 6/6 | 0 in flight, 2 retries, 1 throttled, 0 cached")


def test_each_case_builds_its_requests_once_sent_or_cached(tmp_path, monkeypatch):
    import parity.engine.scheduler

    built = []
    real = parity.engine.scheduler.build_requests

    def counting(experiment, case):
        built.append(case.id)
        return real(experiment, case)

    monkeypatch.setattr(parity.engine.scheduler, "build_requests", counting)
    with FakeLLMServer("openai") as server:
        cases = synthetic_cases(server.url, 8)
        for _ in range(2):  # the second pass answers every case from the cache
            run_cases(Engine(ResponseCache(tmp_path, "use"), Budget(None)), cases)
        assert len(server.requests) == 8
    assert sorted(built) == sorted([case.id for case in cases] * 2)  # once per case per run


class CountingCache(ResponseCache):
    """A real cache that counts its batched lookups and fails any that asks for ``poison``."""

    def __init__(self, directory, poison=None):
        super().__init__(directory, "use")
        self.lookups = 0
        self.poison = poison

    def get_many(self, keys):
        self.lookups += 1
        if self.poison in keys:
            raise OSError("disk I/O error")
        return super().get_many(keys)


def test_cached_cases_are_looked_up_a_batch_at_a_time(tmp_path):
    with FakeLLMServer("openai") as server:
        cases = synthetic_cases(server.url, 600)
        run_cases(Engine(ResponseCache(tmp_path, "use"), Budget(None)), cases)
        cache = CountingCache(tmp_path)
        results = run_cases(Engine(cache, Budget(None)), cases)
        assert len(server.requests) == 600  # the second run sent nothing
    assert all(r.cached and r.error is None for r in results)
    assert cache.lookups == math.ceil(600 / LOOKUP_BATCH)  # not one query per case
    assert cache.hits == 600


def test_a_failing_lookup_fails_only_its_own_case(tmp_path):
    with FakeLLMServer("openai") as server:
        cases = synthetic_cases(server.url, 10)
        run_cases(Engine(ResponseCache(tmp_path, "use"), Budget(None)), cases)
        client = ClientPool().get(cases[3].experiment)
        request = build_requests(cases[3].experiment, cases[3])[0]
        engine = Engine(ResponseCache(tmp_path, "use"), Budget(None))
        poison = engine._key(client, cases[3].experiment.model, request)
        results = run_cases(Engine(CountingCache(tmp_path, poison), Budget(None)), cases)
    assert [r.error for r in results if r.error] == ["OSError: disk I/O error"]
    assert results[3].error and all(r.cached for i, r in enumerate(results) if i != 3)


def test_a_case_waiting_to_retry_holds_no_slot(tmp_path):
    """Each prompt's first attempt is a 500 (retried after a backoff, with no pause): while
    the first four cases wait out their backoff, the other four go out in their place, so
    every first attempt reaches the server before any retry does (a case holding its slot
    through the backoff would send its retry before the last four cases' first attempts).
    The order, not a time bound, is asserted: it holds however loaded the machine is."""
    with FakeLLMServer("openai", latency_s=0.3, fault_for=first_attempt_fails("500")) as server:
        cases = synthetic_cases(server.url, 8, max_concurrency=4)
        results = run_cases(Engine(ResponseCache(tmp_path, "off"), Budget(None)), cases)
        seen: set[int] = set()
        first_sent, retries_sent = [], []
        for request in sorted(server.requests, key=lambda r: r["at"]):
            number = prompt_number(request["body"])
            (retries_sent if number in seen else first_sent).append(request["at"])
            seen.add(number)
        peak = server.max_in_flight
    assert all(r.error is None for r in results)
    assert len(first_sent) == 8 and len(retries_sent) == 8
    assert max(first_sent) < min(retries_sent)  # no retry went out ahead of a first attempt
    assert peak <= 4
