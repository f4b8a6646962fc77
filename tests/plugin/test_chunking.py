"""Chunks: whole experiments in one process, an even share per xdist worker."""

from parity.cases import build_plan
from parity.chunking import assign_chunks
from parity.config import parse_config
from tests.conftest import experiment


def cases(num_examples, **model):
    model = {"name": "local:smollm2", **model}
    plan = build_plan(
        parse_config(
            [
                experiment(
                    model=model,
                    dataset={"name": "hotpotqa", "source": "shipped", "num_examples": num_examples},
                )
            ],
            "t.yaml",
        )
    )
    return plan.cases


def test_auto_chunks_are_at_least_eight_or_four_times_concurrency():
    chunks = assign_chunks(cases(20), workers=1)
    assert sorted(set(chunks.values())) == ["exp_a#0", "exp_a#1", "exp_a#2"]
    wide = assign_chunks(cases(20, max_concurrency=8), workers=1)
    assert set(wide.values()) == {"exp_a#0"}


def test_workers_get_an_even_share():
    chunks = assign_chunks(cases(20, max_concurrency=8), workers=4)
    sizes = {}
    for key in chunks.values():
        sizes[key] = sizes.get(key, 0) + 1
    assert sorted(sizes.values()) == [5, 5, 5, 5]


def test_requested_batch_size_wins():
    assert len(set(assign_chunks(cases(6), workers=1, requested=1).values())) == 6
