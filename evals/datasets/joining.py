"""Joining pieces of text into one context without running sentences together."""

from __future__ import annotations

from collections.abc import Iterable

# Between the passages of a context given as a list (your own data's ``context`` column).
PASSAGE_SEPARATOR = "\n"
_SENTENCE_END = (".", "!", "?", ":", ";", ",")


def join_sentences(sentences: Iterable[str]) -> str:
    """Sentences as one paragraph: a space goes between two pieces that would otherwise touch
    (``"a large city."`` + ``"Japan is"``), none where a piece already brings its own
    whitespace, continues a quotation (HotpotQA's ``'" album.'``) or follows an ellipsis
    (``'"I...Amanda Lepore"'``, an album title)."""
    text = ""
    for sentence in sentences:
        if _needs_space(text, sentence):
            text += " "
        text += sentence
    return text


def _needs_space(before: str, after: str) -> bool:
    if not before or not after or before[-1].isspace() or after[0].isspace():
        return False
    if not after[0].isalnum() or before.endswith(".."):  # an ellipsis may run into a word
        return False
    return before[-1].isalnum() or before.endswith(_SENTENCE_END)


def join_passages(passages: Iterable[str]) -> str:
    """Passages (or sentences) given as a list, one per line."""
    return PASSAGE_SEPARATOR.join(passages)
