"""Shard plans (``--parity-shard k/N``): every case of a config in exactly one of N shards,
balanced by each case's estimated cost.

The plan depends on the config and its data alone (and on a recorded-latency run, when one
is named): every shard job computes it on its own host, from its own checkout, and gets the
same plan. It never reads the response cache, whose contents differ from host to host.

A case's cost is its prompt tokens, estimated from the characters the model reads (question,
context, shots and the template, :data:`CHARS_PER_TOKEN` to a token), or, where a recorded
run measured the case, its latency there (the other cases' token estimates scaled by the
median milliseconds per token of the measured ones, so that both are in milliseconds). The
cases are assigned greedily, longest first (LPT), each to the least-loaded shard, ties broken
by position and shard number: no dict or hash order takes part.
"""

from __future__ import annotations

import argparse
import hashlib
import heapq
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from parity.cases.cases import EvalCase
from parity.config.errors import DataError
from parity.prompts import load_template

CHARS_PER_TOKEN = 4  # a rough English average; the plan needs proportions, not exact counts

CaseKey = tuple[str, str, int]  # experiment id, example id, repeat


@dataclass(frozen=True)
class Shard:
    """Shard ``index`` (1-based) of ``count``."""

    index: int
    count: int

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"


def parse_shard(text: str) -> Shard:
    """``k/N`` with 1 <= k <= N (argparse reports anything else as a usage error)."""
    index, slash, count = text.strip().partition("/")
    try:
        shard = Shard(int(index), int(count))
    except ValueError:
        shard = Shard(0, 0)
    if not slash or not 1 <= shard.index <= shard.count:
        raise argparse.ArgumentTypeError(f"{text!r} is not a shard k/N with 1 <= k <= N, e.g. 2/3")
    return shard


def shard_text(text: str) -> str:
    """``text`` checked as :func:`parse_shard` checks it, as ``k/N`` (the option's value)."""
    return str(parse_shard(text))


@dataclass(frozen=True)
class ShardPlan:
    """Which shard (1-based) runs each case, the cases in the config's order."""

    case_ids: tuple[str, ...]
    shards: tuple[int, ...]
    count: int
    loads: tuple[float, ...]  # each shard's estimated cost

    @property
    def sha256(self) -> str:
        """The plan's hash: over every case id and its shard, in order."""
        return plan_sha256(self.case_ids, self.shards, self.count)

    def assigned(self, index: int) -> set[str]:
        """The case ids shard ``index`` runs."""
        return {
            case_id
            for case_id, shard in zip(self.case_ids, self.shards, strict=True)
            if shard == index
        }


def plan_sha256(case_ids: Sequence[str], shards: Sequence[int], count: int) -> str:
    """The hash of a plan: its shard count, then one ``id<TAB>shard`` line per case."""
    digest = hashlib.sha256(f"shards {count}\n".encode())
    for case_id, shard in zip(case_ids, shards, strict=True):
        digest.update(f"{case_id}\t{shard}\n".encode())
    return digest.hexdigest()


def plan_shards(case_ids: Sequence[str], costs: Sequence[float], count: int) -> ShardPlan:
    """Assign each case to one of ``count`` shards: the costliest first (ties by position),
    each to the shard with the least cost so far (ties by shard number)."""
    order = sorted(range(len(case_ids)), key=lambda i: (-costs[i], i))
    heap = [(0.0, shard) for shard in range(1, count + 1)]
    shards = [0] * len(case_ids)
    for i in order:
        load, shard = heapq.heappop(heap)
        shards[i] = shard
        heapq.heappush(heap, (load + costs[i], shard))
    loads = dict((shard, load) for load, shard in heap)
    return ShardPlan(
        tuple(case_ids), tuple(shards), count, tuple(loads[s] for s in range(1, count + 1))
    )


def case_key(experiment_id: str, example_id: str, repeat: int) -> CaseKey:
    """How a case is found in a recorded run's rows."""
    return (experiment_id, example_id, repeat)


def prompt_tokens(case: EvalCase, template_chars: int) -> float:
    """An estimate of the tokens the model reads for ``case``."""
    parts = [case.example.question, case.example.context]
    parts += [text for shot in case.shots for text in (shot.question, shot.context, *shot.answers)]
    return (template_chars + sum(len(part) for part in parts)) / CHARS_PER_TOKEN


def case_costs(cases: Sequence[EvalCase], latencies: Mapping[CaseKey, float]) -> list[float]:
    """Each case's estimated cost (see the module's docstring); a case that will be skipped
    costs nothing."""
    templates: dict[str, int] = {}
    tokens: list[float] = []
    for case in cases:
        prompt = case.experiment.prompt
        if prompt not in templates:
            try:
                template = load_template(prompt)
                templates[prompt] = len(template.system) + len(template.user)
            except DataError:
                templates[prompt] = 0
        tokens.append(prompt_tokens(case, templates[prompt]))
    measured = [
        latencies.get(case_key(c.experiment.id, c.example.id, c.repeat)) for c in cases
    ]  # fmt: skip
    rates = [ms / t for ms, t in zip(measured, tokens, strict=True) if ms is not None and t > 0]
    rate = statistics.median(rates) if rates else 1.0
    return [
        0.0 if case.skip_reason else (ms if ms is not None else t * rate)
        for case, ms, t in zip(cases, measured, tokens, strict=True)
    ]
