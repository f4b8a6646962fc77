"""Query-based summarization (QMSum): a free-text answer scored with ROUGE / BERTScore."""

from __future__ import annotations

from parity.evals.datasets import Example
from parity.evals.tasks.base import Task, register_task


@register_task
class Summarization(Task):
    """The whole answer is the prediction."""

    name = "summarization"
    default_prompt = "summarization"
    default_max_tokens = 160

    def parse(self, text: str, example: Example) -> str:
        return " ".join(text.split())
