"""Code generation (MBPP): a Python function that passes the task's asserts."""

from __future__ import annotations

import re

from parity.evals.datasets import Example
from parity.evals.tasks.base import Task, register_task

_FENCE = re.compile(r"```(?:python|py)?\s*\n(.*?)```", re.DOTALL)


def extract_code(text: str) -> str:
    """The first fenced code block, else the whole answer."""
    match = _FENCE.search(text)
    return (match.group(1) if match else text).strip("\n")


@register_task
class Code(Task):
    """The prompt shows the first assert, as MBPP's own prompt does, so the name is known."""

    name = "code"
    default_prompt = "code"
    default_max_tokens = 384

    def prompt_values(self, example: Example) -> dict[str, str]:
        return {"question": example.question, "test": example.metadata["first_test"]}

    def shot_answer(self, example: Example) -> str:
        return f"```python\n{example.metadata['reference_code']}\n```"

    def parse(self, text: str, example: Example) -> str:
        return extract_code(text)
