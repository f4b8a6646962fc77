"""A tiny retrieval-augmented QA pipeline (the system under test): pick the passages that
share the most words with the question, then ask a model for a short answer."""

from __future__ import annotations

import re
from typing import Protocol

WORD = re.compile(r"[a-z0-9]+")
STOPWORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "by",
        "did",
        "do",
        "for",
        "from",
        "had",
        "has",
        "he",
        "her",
        "his",
        "in",
        "is",
        "it",
        "its",
        "of",
        "on",
        "or",
        "she",
        "that",
        "the",
        "their",
        "this",
        "to",
        "was",
        "were",
        "what",
        "when",
        "where",
        "which",
        "who",
        "whom",
        "why",
        "with",
    ]
)
SYSTEM = "Answer the question from the passages. Reply with a short phrase only."


class ChatModel(Protocol):
    """What the pipeline needs from a model: Parity's ``parity_model`` is one."""

    def complete(self, messages: list[dict[str, str]]) -> object: ...


def content_words(text: str) -> set[str]:
    """Lower-cased words that carry meaning."""
    return set(WORD.findall(text.lower())) - STOPWORDS


def retrieve(question: str, context: str, k: int) -> list[str]:
    """The ``k`` passages (blank-line separated) sharing the most words with the question."""
    passages = [p for p in context.split("\n\n") if p.strip()]
    wanted = content_words(question)
    ranked = sorted(passages, key=lambda p: len(wanted & content_words(p)), reverse=True)
    return ranked[:k]


def answer(question: str, context: str, llm: ChatModel, k: int = 2) -> str:
    """Retrieve, then ask ``llm`` for a short answer; the first line of its reply."""
    passages = "\n\n".join(retrieve(question, context, k))
    user = f"Passages:\n{passages}\n\nQuestion: {question}"
    reply = str(
        llm.complete([{"role": "system", "content": SYSTEM}, {"role": "user", "content": user}])
    )
    return reply.strip().splitlines()[0] if reply.strip() else ""
