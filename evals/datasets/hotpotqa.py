"""HotpotQA, distractor setting: ten Wikipedia paragraphs per multi-hop question."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from parity.config.errors import DataError
from parity.config.schema import Field
from parity.evals.datasets.base import DatasetLoader, Example, register_dataset
from parity.evals.datasets.joining import join_sentences
from parity.evals.datasets.row_fields import ID, MAPPING, TEXT


@register_dataset
class HotpotQA(DatasetLoader):
    """``hotpotqa/hotpot_qa`` (distractor); context is every paragraph as ``Title: text``."""

    name = "hotpotqa"
    hub_id = "hotpotqa/hotpot_qa"
    hub_config = "distractor"
    default_split = "validation"
    shipped: ClassVar[Mapping[str, str]] = {"validation": "hotpotqa/validation.jsonl"}
    required_fields: ClassVar[Mapping[str, Field]] = {
        "id": ID,
        "question": TEXT,
        "answer": TEXT,
        "context": MAPPING,
    }

    def convert(self, row: Mapping[str, Any], index: int) -> Example:
        context = row["context"]
        if not isinstance(context, Mapping) or {"title", "sentences"} - set(context):
            raise DataError(
                f"hotpotqa row {index} (id {row.get('id')}): 'context' must be "
                "{title: [...], sentences: [[...], ...]} as in hotpotqa/hotpot_qa"
            )
        paragraphs = [
            f"{title}: {join_sentences(sentences).strip()}"
            for title, sentences in zip(context["title"], context["sentences"], strict=False)
        ]
        return Example(
            id=str(row["id"]),
            question=row["question"],
            context="\n\n".join(paragraphs),
            answers=(row["answer"],),
            metadata={"type": row.get("type"), "level": row.get("level")},
        )
