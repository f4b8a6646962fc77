"""Classification (BANKING77, LEDGAR, Financial PhraseBank): answer with one label name.

With ``constrain: true``, engines that can hold decoding to the label set do (see
``ModelClient.constrains_choices``). The answer is mapped to the label set: an exact match
first, then a case- and whitespace-insensitive match; anything else is the invalid prediction ``<invalid>``, which
counts as wrong and is counted in the summary.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from parity.config.schema import Field
from parity.evals.datasets import Example
from parity.evals.tasks.base import INVALID_PREDICTION, Task, register_task


def _fold(text: str) -> str:
    return " ".join(text.lower().split()).strip(" .\"'`")


def map_to_label(text: str, labels: tuple[str, ...]) -> str:
    """The label ``text`` names, or ``<invalid>``."""
    candidate = text.strip()
    if candidate in labels:
        return candidate
    folded = {_fold(label): label for label in labels}
    return folded.get(_fold(candidate), INVALID_PREDICTION)


@register_task
class Classification(Task):
    """Labels are listed in the prompt; the first non-empty line of the answer is mapped."""

    name = "classification"
    default_prompt = "classification"
    default_max_tokens = 16
    option_fields: ClassVar[Mapping[str, Field]] = {
        # Hold the answer to the label set on engines that can (hf: label likelihood; vLLM:
        # guided choice); the summary names the decoding each experiment used.
        "constrain": Field((bool,), example="true"),
    }

    def prompt_values(self, example: Example) -> dict[str, str]:
        labels = example.metadata["labels"]
        return {"text": example.question, "labels": "\n".join(f"- {label}" for label in labels)}

    def choices(self, example: Example, options: Mapping[str, Any]) -> tuple[str, ...]:
        return tuple(example.metadata["labels"]) if options.get("constrain") else ()

    def parse(self, text: str, example: Example) -> str:
        line = next((line for line in text.splitlines() if line.strip()), "")
        return map_to_label(line, example.metadata["labels"])
