"""MedMCQA: four-option medical multiple choice; accuracy."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from parity.config.errors import DataError
from parity.config.schema import Field
from parity.evals.datasets.base import DatasetLoader, Example, register_dataset
from parity.evals.datasets.row_fields import INDEX, TEXT

LETTERS = ("A", "B", "C", "D")


@register_dataset
class MedMCQA(DatasetLoader):
    """``openlifescienceai/medmcqa``: ``question``, ``opa``..``opd``, ``cop`` (0-based answer)."""

    name = "medmcqa"
    hub_id = "openlifescienceai/medmcqa"
    default_split = "validation"
    shot_split: ClassVar[str | None] = None
    shipped: ClassVar[Mapping[str, str]] = {"validation": "medmcqa/validation.jsonl"}
    required_fields: ClassVar[Mapping[str, Field]] = {
        "question": TEXT,
        **{f"op{c}": TEXT for c in "abcd"},
        "cop": INDEX,
    }
    expected_rows: ClassVar[Mapping[str, int]] = {"train": 182822, "validation": 4183, "test": 6150}

    def convert(self, row: Mapping[str, Any], index: int) -> Example:
        answer = row["cop"]
        if isinstance(answer, bool) or not isinstance(answer, int) or not 0 <= answer <= 3:
            raise DataError(
                f"medmcqa row {index}: 'cop' must be 0-3 (labelled rows only), got {answer!r}"
            )
        return Example(
            id=str(row.get("id") or index),
            question=row["question"],
            context="",
            answers=(LETTERS[answer],),
            metadata={
                "options": tuple(row[f"op{c}"] for c in "abcd"),
                "subject": row.get("subject_name"),
            },
        )
