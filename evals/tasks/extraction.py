"""Clause extraction (CUAD): quote the clause, or answer ``Not found.``, window by window.

A contract longer than ``window_chars`` is split into windows of that size overlapping by
``window_overlap`` characters that cover the whole text; each window is one request. The
question's answer is the answer of the most confident window that found one (mean token
log-probability), else ``Not found.``. ``max_windows`` (off by default) caps the windows per
contract; the summary then says how many questions lost text to the cap.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from parity.config.schema import Field, non_negative, positive
from parity.evals.datasets import Example
from parity.evals.metrics.cuad import NOT_FOUND, is_absent
from parity.evals.tasks.base import Messages, Task, register_task
from parity.prompts import PromptTemplate

DEFAULT_WINDOW_CHARS = 6000
DEFAULT_OVERLAP = 600


def windows(text: str, size: int, overlap: int) -> list[str]:
    """Overlapping windows that together cover all of ``text``."""
    if overlap >= size:
        raise ValueError("window_overlap must be smaller than window_chars")
    if len(text) <= size:
        return [text]
    step = size - overlap
    starts = list(range(0, len(text) - overlap, step))
    return [text[start : start + size] for start in starts]


@register_task
class Extraction(Task):
    """One request per window; answers merged by confidence."""

    name = "extraction"
    default_prompt = "extraction"
    default_max_tokens = 96
    needs_confidence = True
    option_fields: ClassVar[Mapping[str, Field]] = {
        "window_chars": Field((int,), check=positive, example="6000"),
        "window_overlap": Field((int,), check=non_negative, example="600"),
        "max_windows": Field((int,), check=positive, nullable=True, example="20"),
    }

    def requests(
        self,
        example: Example,
        template: PromptTemplate,
        shots: Sequence[Example],
        options: Mapping[str, Any],
    ) -> list[Messages]:
        parts = self._windows(example, options)
        cap = options.get("max_windows")
        if cap:
            parts = parts[: int(cap)]
        return [
            self.messages(
                Example(example.id, example.question, part, example.answers, example.metadata),
                template,
                shots,
            )
            for part in parts
        ]

    def truncated(self, example: Example, options: Mapping[str, Any]) -> bool:
        cap = options.get("max_windows")
        return cap is not None and len(self._windows(example, options)) > int(cap)

    def _windows(self, example: Example, options: Mapping[str, Any]) -> list[str]:
        return windows(
            example.context,
            int(options.get("window_chars", DEFAULT_WINDOW_CHARS)),
            int(options.get("window_overlap", DEFAULT_OVERLAP)),
        )

    def parse(self, text: str, example: Example) -> str:
        answer = text.strip().strip('"').strip()
        return NOT_FOUND if is_absent(answer) or "not found" in answer.lower()[:20] else answer

    def combine(
        self, example: Example, answers: Sequence[tuple[str, float | None]]
    ) -> tuple[str, float | None]:
        found = [
            (conf if conf is not None else float("-inf"), text)
            for text, conf in answers
            if not is_absent(text)
        ]
        if not found:
            confidences = [conf for _, conf in answers if conf is not None]
            return NOT_FOUND, max(confidences) if confidences else None
        confidence, text = max(found, key=lambda item: item[0])
        return text, None if confidence == float("-inf") else confidence
