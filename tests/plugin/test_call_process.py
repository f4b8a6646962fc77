"""API calls sent from the helper process, against local wire-format servers."""

from __future__ import annotations

import os
import time

import pytest

from parity.engine.budget import Budget
from parity.engine.call_process import CallProcess, sendable
from parity.engine.execution import Engine
from parity.fixtures.clients import ClientPool
from parity.fixtures.providers import PROVIDERS, ChatRequest, Completion, ModelClient
from parity.fixtures.providers.api_base import ApiModelClient
from parity.record.cache import ResponseCache
from tests.support.engine_runs import run_cases, synthetic_cases
from tests.support.fake_llm_server import FakeLLMServer, first_attempt_429


def engine(tmp_path, calls: CallProcess) -> Engine:
    return Engine(ResponseCache(tmp_path, "off"), Budget(None), calls=calls)


def child_pid(calls: CallProcess) -> int:
    assert calls._process is not None
    return calls._process.pid


def test_results_equal_in_process_ones_at_concurrency_32_through_a_429_burst(tmp_path):
    """Each prompt's first attempt is a 429 with Retry-After: the helper process hands the
    classification back, the engine paces and retries, and every answer matches the
    in-process run's."""
    with FakeLLMServer("openai", retry_after="0.2", fault_for=first_attempt_429()) as server:
        cases = synthetic_cases(server.url, 64, max_concurrency=32)
        calls = CallProcess()
        try:
            runner = engine(tmp_path / "remote", calls)
            remote = run_cases(runner, cases)
            pid = child_pid(calls)
        finally:
            calls.close()
        local = run_cases(Engine(ResponseCache(tmp_path / "local", "off"), Budget(None)), cases)
    assert all(r.error is None and r.scores["exact_match"] == 1.0 for r in remote)
    assert [r.to_dict() | {"usage": None} for r in remote] == [
        r.to_dict() | {"usage": None} for r in local
    ]
    assert sum(lane.retries for lane in runner.lanes()) >= 64
    assert pid != os.getpid()
    with pytest.raises(ProcessLookupError):  # closed with the engine
        os.kill(pid, 0)


def test_a_non_retryable_failure_keeps_its_status_and_message(tmp_path):
    with FakeLLMServer("openai") as server:
        server.faults.extend(["401"] * 4)
        calls = CallProcess()
        try:
            results = run_cases(engine(tmp_path, calls), synthetic_cases(server.url, 1))
        finally:
            calls.close()
    assert results[0].error is not None and "401" in results[0].error
    assert len(server.requests) == 1  # not retried


def test_a_dead_helper_process_fails_calls_as_retryable_and_later_ones_run_in_process(tmp_path):
    with FakeLLMServer("openai", latency_s=0.3) as server:
        cases = synthetic_cases(server.url, 8, max_concurrency=8)
        client = ClientPool().get(cases[0].experiment)
        calls = CallProcess()
        request = ChatRequest(({"role": "user", "content": "question 1?"},), 8)
        try:
            assert calls.complete(client, request).text == "Paris"
            os.kill(child_pid(calls), 9)
            deadline = time.monotonic() + 10
            while calls._connection is not None and time.monotonic() < deadline:
                time.sleep(0.05)
            results = run_cases(engine(tmp_path, calls), cases)
        finally:
            calls.close()
    assert all(r.error is None for r in results)


class _TestOnlyClient(ModelClient):
    provider = "test-only"

    def complete(self, request: ChatRequest) -> Completion:
        return Completion("here", 1, 1, 0.0)


class _OtherPackagesApiClient(ApiModelClient):
    provider = "other-package"


def test_only_built_in_api_providers_are_sent():
    """The child rebuilds a client from its class: only Parity's own API providers, never a
    local model or a class only this process knows."""
    assert sendable(PROVIDERS.get("openai-compatible")("m", {"base_url": "http://x/v1"}))
    assert not sendable(_TestOnlyClient("m", {}))
    assert not sendable(_OtherPackagesApiClient("m", {}))
    assert all(
        not sendable(cls.__new__(cls))
        for cls in map(PROVIDERS.get, PROVIDERS.names())
        if cls.runs_locally
    )


def test_a_run_that_will_send_starts_the_helper_before_any_call_and_a_cached_one_never(
    tmp_path,
):
    from parity.engine.scheduler import RunScheduler

    with FakeLLMServer("openai") as server:
        cases = synthetic_cases(server.url, 4)
        for cache_dir, started in ((tmp_path / "cold", True), (tmp_path / "cold", False)):
            calls = CallProcess()
            runner = Engine(ResponseCache(cache_dir, "use"), Budget(None), calls=calls)
            clients = ClientPool()
            scheduler = RunScheduler(runner, clients, lambda case, record: None, window=0)
            try:
                scheduler.submit(cases)  # window 0: nothing is fed, no call is made yet
                assert (calls._process is not None) is started
                assert [scheduler.wait(case).error for case in cases] == [None] * 4
            finally:
                scheduler.cancel()
                clients.close()
                runner.close()
        assert len(server.requests) == 4  # the second run answered from the cache


@pytest.mark.parametrize("helper", [True, False], ids=["helper", "in-process"])
def test_options_the_sdk_refuses_fail_each_item_once_with_its_message(tmp_path, helper):
    """The SDK client is made on first use (in the helper, when it runs). A ``base_url`` the
    SDK cannot parse fails every item of the experiment at once, without retries."""
    from parity.engine.scheduler import RunScheduler

    cases = synthetic_cases("http://[::1", 3)
    calls = CallProcess() if helper else None
    runner = Engine(ResponseCache(tmp_path, "off"), Budget(None), calls=calls)
    clients = ClientPool()
    scheduler = RunScheduler(runner, clients, lambda case, record: None)
    try:
        scheduler.submit(cases)
        errors = [scheduler.wait(case).error for case in cases]
    finally:
        scheduler.cancel()
        clients.close()
        runner.close()
    assert all(e is not None and "no SDK client: InvalidURL" in e for e in errors), errors
    assert runner.requests_sent() == 0
