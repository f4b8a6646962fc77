"""Requests leave in collection order (issue 30, point 8), so pytest's first item reports
after about the first cases' time, not after the whole run.

With a baseline and a compressed experiment on one endpoint, the compressed cases (each
compressed first, on a sender thread) were once queued before any baseline case, so the first
item, a baseline one, waited for every compressed case. Everything here is asserted on order
and counts, never on wall-clock bounds.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from parity.cases.cases import EvalCase
from parity.engine.budget import Budget
from parity.engine.execution import Engine
from parity.engine.scheduler import RunScheduler
from parity.fixtures.clients import ClientPool
from parity.record.cache import ResponseCache
from parity.record.record import EvalRecord
from tests.support.engine_runs import synthetic_cases
from tests.support.fake_llm_server import FakeLLMServer

N = 6
FULL_TOKENS, COMPRESSED_TOKENS = 8, 64  # which experiment a request belongs to
COMPRESSION = {"method": "extractive", "rate": 0.3, "ranker": "bm25"}


def two_experiments(url: str, concurrency: int) -> tuple[list[EvalCase], list[EvalCase]]:
    """A baseline and a compressed experiment of ``N`` cases each, on one endpoint (one lane)."""
    full = synthetic_cases(url, N, "full", max_concurrency=concurrency, max_tokens=FULL_TOKENS)
    compressed = synthetic_cases(
        url, N, "squeezed", max_concurrency=concurrency, max_tokens=COMPRESSED_TOKENS,
        mode="compressed", compression=COMPRESSION,
    )  # fmt: skip
    return full, compressed


def sent(request: dict) -> tuple[str, str]:
    """(experiment, question) of a request the server saw."""
    body = request["body"]
    experiment = "full" if body["max_tokens"] == FULL_TOKENS else "squeezed"
    text = " ".join(m["content"] for m in body["messages"])
    return experiment, re.search(r"question (\d+)\?", text).group(1)


def collected(case: EvalCase) -> tuple[str, str]:
    return case.experiment.id, case.example.id


class FirstResult:
    """A result sink that notes how many requests the server had seen when the first
    collected case's result was delivered (on the sender thread, before its item wakes)."""

    def __init__(self, server: FakeLLMServer, first: EvalCase) -> None:
        self.server, self.first = server, first
        self.requests_seen: int | None = None

    def __call__(self, case: EvalCase, record: EvalRecord) -> None:
        if case.id == self.first.id:
            self.requests_seen = len(self.server.requests)


def run_in_order(
    server: FakeLLMServer, cases: list[EvalCase], cache: ResponseCache
) -> tuple[list[EvalRecord], FirstResult]:
    """Submit ``cases`` as pytest would (collection order) and wait for each in that order."""
    clients = ClientPool()
    sink = FirstResult(server, cases[0])
    scheduler = RunScheduler(Engine(cache, Budget(None)), clients, sink)
    try:
        scheduler.submit(cases)
        return [scheduler.wait(case) for case in cases], sink
    finally:
        scheduler.cancel()
        clients.close()
        scheduler.compressors.close()


@pytest.mark.parametrize("concurrency", [1, 2])
def test_requests_reach_the_endpoint_in_collection_order(tmp_path, concurrency):
    """The baseline's cases are collected first, then the compressed experiment's: the
    requests reach the server in that order (with two in flight, neighbours may swap), and
    the first item's result is there once at most ``concurrency`` more requests started."""
    with FakeLLMServer("openai", latency_s=0.2, reply=lambda body: "Paris") as server:
        full, compressed = two_experiments(server.url, concurrency)
        cases = full + compressed
        results, sink = run_in_order(server, cases, ResponseCache(tmp_path, "off"))
        order = [sent(request) for request in server.requests]
    assert [r.error for r in results if r.error] == []
    expected = [collected(case) for case in cases]
    assert sorted(order) == sorted(expected)
    displaced = [(i, order.index(key)) for i, key in enumerate(expected)]
    assert all(abs(i - at) < concurrency for i, at in displaced), order
    assert sink.requests_seen is not None and sink.requests_seen <= 1 + concurrency


def test_interleaved_collection_order_is_kept_across_compressed_and_full_cases(tmp_path):
    """Collected alternately (as ``-p randomly`` or a parametrization may order them): each
    compressed case goes out in its turn, not ahead of the full cases collected before it."""
    with FakeLLMServer("openai", reply=lambda body: "Paris") as server:
        full, compressed = two_experiments(server.url, 1)
        cases = [case for pair in zip(full, compressed, strict=True) for case in pair]
        results, sink = run_in_order(server, cases, ResponseCache(tmp_path, "off"))
        order = [sent(request) for request in server.requests]
    assert [r.error for r in results if r.error] == []
    assert order == [collected(case) for case in cases]
    assert sink.requests_seen == 1


class CountingCache(ResponseCache):
    """A real cache that counts its batched lookups."""

    def __init__(self, directory: Path) -> None:
        super().__init__(directory, "use")
        self.lookups = 0

    def get_many(self, keys):
        self.lookups += 1
        return super().get_many(keys)


def test_compressed_cases_keep_their_place_without_splitting_the_cache_lookup(tmp_path):
    """Interleaved full and compressed cases, cache on: one cache query for the batch (a
    compressed case cut it in two, so each full case had a query of its own), and the
    requests still leave in collection order."""
    with FakeLLMServer("openai", reply=lambda body: "Paris") as server:
        full, compressed = two_experiments(server.url, 1)
        cases = [case for pair in zip(full, compressed, strict=True) for case in pair]
        cache = CountingCache(tmp_path)
        results, _ = run_in_order(server, cases, cache)
        order = [sent(request) for request in server.requests]
    assert [r.error for r in results if r.error] == []
    assert order == [collected(case) for case in cases]
    assert cache.lookups == 1
