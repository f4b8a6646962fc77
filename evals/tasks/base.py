"""The task interface: how an example becomes a prompt and how model text becomes a prediction."""

from __future__ import annotations

from typing import ClassVar

from parity.evals.datasets import Example
from parity.prompts import PromptTemplate
from parity.registry import Registry


class Task:
    """Base task: fills the template from the example and keeps the answer's first line."""

    name: ClassVar[str]
    default_prompt: ClassVar[str]
    default_max_tokens: ClassVar[int] = 64

    def prompt_values(self, example: Example) -> dict[str, str]:
        """Values for the template's placeholders."""
        return {"question": example.question, "context": example.context}

    def messages(self, example: Example, template: PromptTemplate) -> list[dict[str, str]]:
        """The chat messages sent to the model for ``example``."""
        return template.render(self.prompt_values(example))

    def parse(self, text: str) -> str:
        """Turn the model's raw text into the prediction that metrics score."""
        return text.strip()

    def references(self, example: Example) -> list[str]:
        """Gold answers the prediction is scored against."""
        return list(example.answers)


TASKS: Registry[Task] = Registry("task")


def register_task(cls: type[Task]) -> type[Task]:
    """Class decorator: register one instance of ``cls`` under ``cls.name``."""
    TASKS.register(cls.name)(cls())
    return cls
