"""LongBench (v1) English QA: narrativeqa, qasper, multifieldqa_en, 2wikimqa.

``dataset.task`` picks one; ``null`` runs all four, each sampled on its own (``num_examples``
per task), and results are broken down per task. The shipped sample holds the first test row
of qasper, multifieldqa_en and 2wikimqa; narrativeqa could not be obtained here, so offline
runs of all four tasks skip it with a note.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from parity.config.schema import Field
from parity.evals.datasets.base import DatasetLoader, Example, register_dataset
from parity.evals.datasets.row_fields import ID, TEXT, TEXTS

TASKS = ("narrativeqa", "qasper", "multifieldqa_en", "2wikimqa")


@register_dataset
class LongBench(DatasetLoader):
    """``THUDM/LongBench`` rows: ``input`` (question), ``context``, ``answers``, ``_id``."""

    name = "longbench"
    hub_id = "THUDM/LongBench"
    default_split = "test"
    shot_split: ClassVar[str | None] = None
    subsets: ClassVar[tuple[str, ...]] = TASKS
    shipped: ClassVar[Mapping[str, str]] = {
        f"{task}/test": f"longbench/{task}/test.jsonl" for task in TASKS if task != "narrativeqa"
    }
    required_fields: ClassVar[Mapping[str, Field]] = {
        "input": TEXT,
        "context": TEXT,
        "answers": TEXTS,
        "_id": ID,
        "dataset": TEXT,
    }

    def convert(self, row: Mapping[str, Any], index: int) -> Example:
        return Example(
            id=str(row["_id"]),
            question=row["input"],
            context=row["context"],
            answers=tuple(row["answers"]),
            metadata={"subset": row["dataset"], "length": row.get("length")},
        )
