"""Your own RAG pipeline as the system under test, answered by the shipped offline model
(SmolLM2-135M-Instruct through llama.cpp; ``--parity-model openai:gpt-4o-mini`` switches).

Every model call goes through ``parity_model``: Parity caches the calls (never the test's
answer, so editing ``rag.py`` changes the scores at once), paces and retries them, and
records their tokens, latency and cost in each item's result.
"""

from __future__ import annotations

import pytest
from rag import answer


@pytest.mark.parity(
    dataset="hotpotqa",
    source="shipped",  # offline: the 32 real dev questions that ship with Parity
    num_examples=8,
    metrics=["exact_match", "f1"],
    thresholds={"f1": 0.02},
    max_tokens=24,
    task="rag",
)
def test_rag(example, parity_model) -> str:
    prediction = answer(example.question, example.context, parity_model)
    assert isinstance(prediction, str)  # a test may assert too: a failure is the item's
    return prediction
