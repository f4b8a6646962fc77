"""FinanceBench (open-source 150): questions over SEC filings, answered from the evidence."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from parity.config.errors import DataError
from parity.config.schema import Field
from parity.evals.datasets.base import DatasetLoader, Example, register_dataset
from parity.evals.datasets.row_fields import ID, LIST, TEXT


@register_dataset
class FinanceBench(DatasetLoader):
    """``PatronusAI/financebench``; context is the evidence pages' text, in order."""

    name = "financebench"
    hub_id = "PatronusAI/financebench"
    default_split = "train"
    shot_split: ClassVar[str | None] = None
    shipped: ClassVar[Mapping[str, str]] = {"train": "financebench/financebench_open_source.jsonl"}
    required_fields: ClassVar[Mapping[str, Field]] = {
        "financebench_id": ID,
        "question": TEXT,
        "answer": TEXT,
        "evidence": LIST,
    }

    def convert(self, row: Mapping[str, Any], index: int) -> Example:
        evidence = row["evidence"]
        if not isinstance(evidence, list):
            raise DataError(
                f"financebench row {index}: 'evidence' must be a list of evidence objects"
            )
        context = "\n\n".join(
            item.get("evidence_text_full_page") or item["evidence_text"] for item in evidence
        )
        return Example(
            id=str(row["financebench_id"]),
            question=row["question"],
            context=context,
            answers=(row["answer"],),
            metadata={"company": row.get("company"), "question_type": row.get("question_type")},
        )
