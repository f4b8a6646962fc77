"""The task interface: example -> prompt(s), model text -> prediction, and the gold references."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from parity.config.registry import Registry
from parity.config.schema import Field
from parity.config.suggest import Alias
from parity.evals.datasets import Example
from parity.prompts import PromptTemplate

Messages = list[dict[str, str]]
INVALID_PREDICTION = "<invalid>"  # a prediction outside the label or option set


class Task:
    """Base task: one request per example, k-shot examples as earlier chat turns."""

    name: ClassVar[str]
    default_prompt: ClassVar[str]
    default_max_tokens: ClassVar[int] = 64
    needs_confidence: ClassVar[bool] = False
    # The task's own ``task:`` keys, checked like the core ones.
    option_fields: ClassVar[Mapping[str, Field]] = {}

    def prompt_values(self, example: Example) -> dict[str, str]:
        """Values for the template's placeholders."""
        return {
            "question": example.question,
            "context": example.context,
            "system": str(example.metadata.get("system", "")),
        }

    def shot_answer(self, example: Example) -> str:
        """The assistant turn that answers a k-shot example."""
        return example.answers[0]

    def messages(
        self, example: Example, template: PromptTemplate, shots: Sequence[Example] = ()
    ) -> Messages:
        """The chat messages for ``example``; shots become user/assistant turns before it."""
        rendered = template.render(self.prompt_values(example))
        system = [m for m in rendered if m["role"] == "system"]
        turns: Messages = []
        for shot in shots:
            shot_user = [
                m for m in template.render(self.prompt_values(shot)) if m["role"] == "user"
            ]
            turns += [*shot_user, {"role": "assistant", "content": self.shot_answer(shot)}]
        return [*system, *turns, *[m for m in rendered if m["role"] == "user"]]

    def requests(
        self,
        example: Example,
        template: PromptTemplate,
        shots: Sequence[Example],
        options: Mapping[str, Any],
    ) -> list[Messages]:
        """Every request needed for ``example`` (one, unless the task windows long inputs)."""
        return [self.messages(example, template, shots)]

    def choices(self, example: Example, options: Mapping[str, Any]) -> tuple[str, ...]:
        """The answers the model is held to (engines that can constrain decoding do); none
        unless the task has a closed answer set and ``constrain: true`` asks for it."""
        return ()

    def truncated(self, example: Example, options: Mapping[str, Any]) -> bool:
        """True when a configured cap leaves part of the example's input unread."""
        return False

    def parse(self, text: str, example: Example) -> str:
        """Turn the model's raw text into the prediction that metrics score."""
        return text.strip()

    def combine(
        self, example: Example, answers: Sequence[tuple[str, float | None]]
    ) -> tuple[str, float | None]:
        """Merge the parsed answers of several requests into one (prediction, confidence)."""
        return answers[0]

    def references(self, example: Example) -> list[str]:
        """Gold answers the prediction is scored against."""
        return list(example.answers)


# Other names for a task, suggested (never accepted) when a config uses them.
TASKS: Registry[Task] = Registry(
    "task",
    aliases={
        "qa": Alias("rag_qa"),
        "mcq": Alias("multiple_choice"),
        "summarize": Alias("summarization"),
        "classify": Alias("classification"),
    },
)


def register_task(cls: type[Task]) -> type[Task]:
    """Class decorator: register one instance of ``cls`` under ``cls.name``."""
    TASKS.register(cls.name)(cls())
    return cls
