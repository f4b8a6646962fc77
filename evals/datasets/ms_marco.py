"""MS MARCO v2.1 (QA with passages): pick the passages that answer the query.

The shipped sample is the single v1.1 row that the Hugging Face test fixture holds (v2.1 rows
could not be obtained here); ``dataset.split`` ``test`` reads it offline. For real runs use
``source: hub`` (``microsoft/ms_marco``, config ``v2.1``) or a local file in that layout.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from parity.config.errors import DataError
from parity.config.schema import Field
from parity.evals.datasets.base import DatasetLoader, Example, register_dataset
from parity.evals.datasets.row_fields import ID, MAPPING, TEXT, TEXTS


@register_dataset
class MSMarco(DatasetLoader):
    """Context lists the passages as ``[n] text``; gold is the numbers of selected passages."""

    name = "ms_marco"
    hub_id = "microsoft/ms_marco"
    hub_config = "v2.1"
    default_split = "validation"
    shot_split: ClassVar[str | None] = None
    shipped: ClassVar[Mapping[str, str]] = {"test": "ms_marco/test.jsonl"}
    required_fields: ClassVar[Mapping[str, Field]] = {
        "query": TEXT,
        "query_id": ID,
        "passages": MAPPING,
        "answers": TEXTS,
    }

    def convert(self, row: Mapping[str, Any], index: int) -> Example:
        passages = row["passages"]
        if not isinstance(passages, Mapping) or {"is_selected", "passage_text"} - set(passages):
            raise DataError(
                f"ms_marco row {index}: 'passages' must hold is_selected[] and passage_text[]"
            )
        texts, selected = passages["passage_text"], passages["is_selected"]
        context = "\n".join(f"[{n}] {text}" for n, text in enumerate(texts, start=1))
        gold = tuple(str(n) for n, flag in enumerate(selected, start=1) if flag)
        return Example(
            id=f"{row['query_id']}_{index}",
            question=row["query"],
            context=context,
            answers=gold,
            metadata={"answers": tuple(row["answers"]), "query_type": row.get("query_type")},
        )
