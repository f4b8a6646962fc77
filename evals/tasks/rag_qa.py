"""Retrieval-augmented QA: answer a question from the given context in a short span."""

from __future__ import annotations

import re

from parity.evals.datasets import Example
from parity.evals.tasks.base import Task, register_task

_ANSWER_PREFIX = re.compile(
    r"^\s*(the final answer is|the answer is|final answer|answer)\s*[:\-]?\s+", re.IGNORECASE
)


@register_task
class RagQA(Task):
    """Short-answer QA; the prediction is the first non-empty line without an 'Answer:' tag."""

    name = "rag_qa"
    default_prompt = "rag_qa"
    default_max_tokens = 32

    def parse(self, text: str, example: Example) -> str:
        for line in text.strip().splitlines():
            if line.strip():
                return _ANSWER_PREFIX.sub("", line).strip()
        return ""
