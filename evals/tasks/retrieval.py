"""Passage retrieval (MS MARCO): name the numbers of the passages that answer the query."""

from __future__ import annotations

from parity.evals.datasets import Example
from parity.evals.metrics.sets import passage_ids
from parity.evals.tasks.base import Task, register_task


@register_task
class Retrieval(Task):
    """The prediction is the sorted list of passage numbers found in the answer."""

    name = "retrieval"
    default_prompt = "retrieval"
    default_max_tokens = 24

    def shot_answer(self, example: Example) -> str:
        return ", ".join(example.answers)

    def parse(self, text: str, example: Example) -> str:
        return ", ".join(sorted(passage_ids(text), key=int))
