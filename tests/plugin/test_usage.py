"""The one usage type: every value that reports tokens, latency and cost is a Usage."""

from __future__ import annotations

from dataclasses import fields

import pytest

from parity.fixtures.compressors import Compression
from parity.fixtures.pipeline_model import Reply
from parity.fixtures.providers import Completion
from parity.marked.pipeline import ModelCall
from parity.record.record import StageUsage
from parity.record.usage import Usage

USAGE_FIELDS = ("input_tokens", "output_tokens", "latency_ms", "cost_usd")


def test_the_usage_fields_are_declared_once_and_shared():
    assert tuple(f.name for f in fields(Usage)) == USAGE_FIELDS
    assert StageUsage is Usage
    for kind in (Completion, Compression, Reply, ModelCall):
        assert issubclass(kind, Usage)
        assert {f.name for f in fields(kind)} >= set(USAGE_FIELDS)
        for name in USAGE_FIELDS:  # inherited, not declared again (Compression: a default)
            assert name not in vars(kind).get("__annotations__", {}) or (
                kind is Compression and name == "cost_usd"
            )


def test_the_constructors_keep_their_order():
    assert Completion("Paris", 3, 2, 9.0, extra={"a": 1}).extra == {"a": 1}
    assert Reply("Paris", 3, 2, 9.0, 0.1, True).cached
    call = ModelCall([{"role": "user", "content": "q"}], "Paris", 3, 2, 9.0, 0.1, True)
    assert (call.text, call.input_tokens, call.cost_usd, call.cached) == ("Paris", 3, 0.1, True)
    compression = Compression(text="t", original_tokens=4, compressed_tokens=1, latency_ms=2.0)
    assert (compression.input_tokens, compression.cost_usd, compression.ratio) == (0, 0.0, 0.25)


def test_a_completion_refuses_extra_in_the_place_of_its_cost():
    with pytest.raises(TypeError, match="extra="):
        Completion("Paris", 3, 2, 9.0, {"mean_logprob": -0.1})  # type: ignore[arg-type]
