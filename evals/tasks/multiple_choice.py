"""Multiple choice (MedMCQA): the answer letter from ``<answer>X</answer>`` or a bare letter."""

from __future__ import annotations

import re

from parity.evals.datasets import Example
from parity.evals.tasks.base import INVALID_PREDICTION, Task, register_task

_TAGGED = re.compile(r"<answer>\s*\(?([A-Da-d])\)?\s*</answer>")
_BARE = re.compile(r"^\s*\(?([A-Da-d])\)?(?:[.):\s]|$)")
_SENTENCE = re.compile(r"\b(?:answer|option)\s*(?:is|:)?\s*\(?([A-D])\)?\b", re.IGNORECASE)


def parse_choice(text: str) -> str:
    """The chosen letter, or ``<invalid>``."""
    for pattern in (_TAGGED, _BARE, _SENTENCE):
        match = pattern.search(text)
        if match:
            return match.group(1).upper()
    return INVALID_PREDICTION


@register_task
class MultipleChoice(Task):
    """Options are shown as ``A. ...`` to ``D. ...``."""

    name = "multiple_choice"
    default_prompt = "multiple_choice"
    default_max_tokens = 16

    def prompt_values(self, example: Example) -> dict[str, str]:
        options = "\n".join(
            f"{letter}. {text}"
            for letter, text in zip("ABCD", example.metadata["options"], strict=False)
        )
        return {"question": example.question, "options": options}

    def shot_answer(self, example: Example) -> str:
        return f"<answer>{example.answers[0]}</answer>"

    def parse(self, text: str, example: Example) -> str:
        return parse_choice(text)
