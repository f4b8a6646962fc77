"""Ids for your own rows that name none: a short hash of the row's content.

A row's position would make ids such as ``0``..``9``, which ``pytest -k 3`` matches inside any
other keyword (``llama3``); a content hash such as ``5a8b57f2`` selects its one row, and stays
the row's id when rows are added, removed or reordered around it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence

ID_DIGITS = 8  # hex digits of the sha256: collisions need ~65,000 distinct rows to be likely


def content_id(question: str, answers: Sequence[str], context: str) -> str:
    """The first ``ID_DIGITS`` hex digits of the sha256 of the row's input, expected answers
    and context as canonical JSON (sorted keys, no spaces, UTF-8)."""
    canonical = json.dumps(
        {"input": question, "expected": list(answers), "context": context},
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:ID_DIGITS]


class ContentIds:
    """Content ids for the id-less rows of one dataset: a row identical to earlier ones gets
    its hash with its occurrence, counted from 2 (``5a8b57f2``, ``5a8b57f2_2``...), as
    repeated case keys are told apart (:func:`parity.cases.cases.example_keys`), so that equal
    rows keep distinct ids that depend only on the rows' order."""

    def __init__(self) -> None:
        self._seen: dict[str, int] = {}

    def next_id(self, question: str, answers: Sequence[str], context: str) -> str:
        """The id of the next id-less row with this content."""
        digest = content_id(question, answers, context)
        count = self._seen.get(digest, 0) + 1
        self._seen[digest] = count
        return digest if count == 1 else f"{digest}_{count}"
