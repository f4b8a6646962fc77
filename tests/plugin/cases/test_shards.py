"""Shard plans: every case in exactly one shard, balanced by estimated cost, the same plan
from the same inputs whatever their source, and latencies weighed where recorded."""

from __future__ import annotations

import argparse
import random
import statistics

import pytest

from parity.cases.cases import build_plan
from parity.cases.shards import (
    Shard,
    case_costs,
    case_key,
    parse_shard,
    plan_sha256,
    plan_shards,
)
from parity.config.config import parse_config


def test_a_shard_is_k_of_n():
    assert parse_shard("2/3") == Shard(2, 3) and str(Shard(2, 3)) == "2/3"
    for bad in ("0/3", "4/3", "3", "a/b", "1/0", "-1/2"):
        with pytest.raises(argparse.ArgumentTypeError, match="k/N"):
            parse_shard(bad)


def test_every_case_is_in_exactly_one_shard_and_the_loads_are_balanced():
    rng = random.Random(7)
    costs = [rng.uniform(1, 100) for _ in range(500)]
    ids = [f"case-{i}" for i in range(500)]
    plan = plan_shards(ids, costs, 4)
    shards = [plan.assigned(k) for k in range(1, 5)]
    assert set().union(*shards) == set(ids) and sum(map(len, shards)) == len(ids)
    # LPT: no shard ends more than the largest cost above the lightest
    assert max(plan.loads) - min(plan.loads) <= max(costs)
    for k, shard in enumerate(shards, 1):
        assert plan.loads[k - 1] == pytest.approx(sum(costs[ids.index(i)] for i in shard))


def test_the_plan_depends_on_its_inputs_alone_and_its_hash_on_the_assignment():
    ids = [f"c{i}" for i in range(40)]
    costs = [float(i % 7) for i in range(40)]  # many ties: broken by position, then shard
    first, again = plan_shards(ids, costs, 3), plan_shards(list(ids), list(costs), 3)
    assert first == again and first.sha256 == again.sha256
    moved = list(first.shards)
    moved[0] = moved[0] % 3 + 1
    assert plan_sha256(ids, moved, 3) != first.sha256
    assert plan_shards(ids, costs, 4).sha256 != first.sha256


def test_more_shards_than_cases_leaves_shards_empty():
    plan = plan_shards(["a", "b"], [1.0, 2.0], 3)
    assert plan.assigned(1) == {"b"} and plan.assigned(2) == {"a"} and plan.assigned(3) == set()


def hotpot(experiment_id):
    return {
        "id": experiment_id,
        "model": {"name": "openai-compatible:m", "base_url": "http://127.0.0.1:9/v1"},
        "dataset": {"name": "hotpotqa", "source": "shipped", "num_examples": 8, "seed": 3},
        "task": {"name": "rag_qa"},
        "metrics": ["f1"],
    }


def test_costs_are_prompt_tokens_and_recorded_latencies_where_known():
    cases = build_plan(parse_config([hotpot("a")], "x.yaml")).cases
    plain = case_costs(cases, {})
    longest = max(range(len(cases)), key=lambda i: len(cases[i].example.context))
    assert plain[longest] == max(plain)  # more to read costs more
    slow = cases[0]
    latencies = {case_key("a", c.example.id, c.repeat): 100.0 for c in cases[1:]}
    latencies[case_key("a", slow.example.id, 0)] = 10_000.0
    weighed = case_costs(cases, latencies)
    assert weighed[0] == 10_000.0 and weighed[1:] == [100.0] * (len(cases) - 1)
    # a case without a recorded latency: its tokens at the measured cases' median ms per token
    del latencies[case_key("a", cases[1].example.id, 0)]
    partly = case_costs(cases, latencies)
    rates = [100.0 / plain[i] for i in range(2, len(cases))]
    median = statistics.median([*rates, 10_000.0 / plain[0]])
    assert partly[1] == pytest.approx(plain[1] * median)
