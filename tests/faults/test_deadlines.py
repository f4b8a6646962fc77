"""A request has one deadline, ``timeout_s``, over connect, headers and the whole body: a
server that drips its answer one byte at a time, or never answers, cannot hold a run.

Bounds are generous multiples of the deadline, never tight wall clocks: without the deadline
these requests take minutes (a 300-byte answer at one byte per 0.5 s), with it seconds.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest

from parity.engine.call_process import CallProcess, RemoteCallFailed
from parity.fixtures.compressors.scaledown import ScaleDownClient
from parity.fixtures.providers import PROVIDERS, ChatRequest
from tests.support.fake_llm_server import FakeLLMServer
from tests.support.fake_scaledown_server import FakeScaleDownServer
from tests.support.pytest_runs import SECRET, api_config, clean_env, junit_cases, run_pytest

DEADLINE_S = 1.0
BOUND_S = 10 * DEADLINE_S  # generous: the call ends at the deadline, give or take a read
REQUEST = ChatRequest(messages=({"role": "user", "content": "Capital of France?"},), max_tokens=8)
DIALECTS = {"openai": "openai", "anthropic": "anthropic", "gemini": "gemini"}
KEYS = {"openai": "OPENAI_API_KEY", "anthropic": "ANTHROPIC_API_KEY", "gemini": "GEMINI_API_KEY"}


def ended_within(call: Callable[[], Any], bound_s: float) -> BaseException | None:
    """Run ``call`` in a thread; assert it ended within ``bound_s``; return what it raised."""
    outcome: list[BaseException | None] = []

    def target() -> None:
        try:
            call()
            outcome.append(None)
        except BaseException as exc:
            outcome.append(exc)

    thread = threading.Thread(target=target, daemon=True)
    started = time.monotonic()
    thread.start()
    thread.join(bound_s)
    assert outcome, f"the request was still running after {time.monotonic() - started:.0f} s"
    return outcome[0]


@pytest.mark.parametrize("fault", ["drip", "hang"])
@pytest.mark.parametrize("provider", sorted(DIALECTS))
def test_every_api_provider_ends_a_request_at_its_deadline(provider, fault, monkeypatch):
    monkeypatch.setenv(KEYS[provider], SECRET)
    with FakeLLMServer(DIALECTS[provider]) as server:
        server.faults.append(fault)
        client = PROVIDERS.get(provider)("m", {"base_url": server.url, "timeout_s": DEADLINE_S})
        error = ended_within(lambda: client.complete(REQUEST), BOUND_S)
        client.close()
    assert isinstance(error, TimeoutError), repr(error)
    assert "request deadline of 1 s" in str(error)
    failure = client.describe_failure(error)
    assert failure.retryable and "deadline" in failure.message


@pytest.mark.parametrize("fault", ["drip", "hang"])
def test_the_scaledown_compressor_ends_a_request_at_its_deadline(fault, monkeypatch):
    monkeypatch.setenv("SCALEDOWN_API_KEY", SECRET)
    with FakeLLMServer("openai") as server:  # any server that drips or hangs will do
        server.faults.append(fault)
        client = ScaleDownClient("m", {"base_url": server.url, "timeout_s": DEADLINE_S})
        messages = ({"role": "user", "content": "q"}, {"role": "user", "content": "c"})
        request = ChatRequest(messages=messages, max_tokens=0)
        error = ended_within(lambda: client.complete(request), BOUND_S)
        client.close()
    assert isinstance(error, TimeoutError) and "request deadline of 1 s" in str(error)
    assert client.describe_failure(error).retryable


def test_a_scaledown_server_that_answers_slowly_but_in_time_is_waited_for(monkeypatch):
    monkeypatch.setenv("SCALEDOWN_API_KEY", SECRET)
    with FakeScaleDownServer(SECRET, latency_s=0.3) as server:
        client = ScaleDownClient("m", {"base_url": server.url, "timeout_s": DEADLINE_S})
        messages = ({"role": "user", "content": "q"}, {"role": "user", "content": "a b c d"})
        completion = client.complete(ChatRequest(messages=messages, max_tokens=0))
        client.close()
    assert completion.text == "a b"


def test_the_deadline_holds_through_the_call_process(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    calls = CallProcess()
    with FakeLLMServer("openai") as server:
        server.faults.append("drip")
        client = PROVIDERS.get("openai")("m", {"base_url": server.url, "timeout_s": DEADLINE_S})
        try:
            error = ended_within(lambda: calls.complete(client, REQUEST), BOUND_S + 5)
        finally:
            calls.close()
    assert isinstance(error, RemoteCallFailed), repr(error)
    assert error.info.retryable and "request deadline of 1 s" in error.info.message


def test_an_environment_proxy_is_used_and_held_to_the_deadline(monkeypatch):
    """HTTP_PROXY still applies with Parity's transport, and so does the deadline: the fake
    server is the proxy of a host that does not resolve."""
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    for name in ("NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    with FakeLLMServer("openai") as proxy:
        monkeypatch.setenv("HTTP_PROXY", proxy.url.removesuffix("/v1"))
        options = {"base_url": "http://llm.invalid/v1", "timeout_s": DEADLINE_S}
        client = PROVIDERS.get("openai")("m", options)
        assert client.complete(REQUEST).text == "Paris"
        proxy.faults.append("drip")
        error = ended_within(lambda: client.complete(REQUEST), BOUND_S)
        client.close()
    assert proxy.requests[0]["path"] == "http://llm.invalid/v1/chat/completions"
    assert isinstance(error, TimeoutError) and "request deadline of 1 s" in str(error)


@pytest.mark.parametrize(("fault", "call_process"), [("drip", "on"), ("hang", "off")])
def test_a_run_against_a_server_that_never_finishes_fails_its_items_in_bounded_time(
    tmp_path, fault, call_process
):
    """timeout_s: 2, one retry: each item fails with the deadline named, and the run ends in
    a bounded multiple of the deadline (without it: minutes per request)."""
    timeout_s, retries = 2, 1
    with FakeLLMServer("openai", fault_for=lambda body: fault) as server:
        config = api_config(
            tmp_path, server, num_examples=2, timeout_s=timeout_s, max_retries=retries,
            outage_tolerance_s=3,
        )  # fmt: skip
        started = time.monotonic()
        result = run_pytest(
            tmp_path,
            f"--eval-config={config}",
            f"--eval-call-process={call_process}",
            "--junitxml=j.xml",
            env=clean_env(OPENAI_API_KEY=SECRET),
            timeout=120,
        )
        elapsed = time.monotonic() - started
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "2 failed" in output and f"request deadline of {timeout_s} s" in output
    cases = junit_cases(tmp_path / "j.xml")
    assert len(cases) == 2 and all(case.find("failure") is not None for case in cases.values())
    assert len(server.requests) >= 2 * (retries + 1)  # each attempt ended, then was retried
    # (retries + 1) deadlines per case plus backoff, pytest's start-up and a loaded machine
    assert elapsed < 30 * timeout_s, f"{elapsed:.0f} s"


def test_a_dead_endpoint_ends_a_case_after_its_outage_tolerance_not_after_every_retry(tmp_path):
    """timeout_s: 1 with 50 retries against a server that never answers: retries stop once the
    endpoint has answered nothing for outage_tolerance_s (3 s), and the message says how long
    it failed (before: 51 deadlines plus up to 30 s of backoff each, many minutes)."""
    with FakeLLMServer("openai", fault_for=lambda body: "hang") as server:
        config = api_config(
            tmp_path, server, num_examples=2, timeout_s=1, max_retries=50, outage_tolerance_s=3
        )
        result = run_pytest(
            tmp_path,
            f"--eval-config={config}",
            "--eval-call-process=off",
            env=clean_env(OPENAI_API_KEY=SECRET),
            timeout=120,
        )
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "2 failed" in output
    assert re.search(r"failing for \d+ s, over its 3 s outage tolerance", output), output
    assert "request deadline of 1 s" in output
    # about three 1 s deadlines per case, then at most one recovery probe: far from 51 each
    assert len(server.requests) <= 2 * 6, len(server.requests)
