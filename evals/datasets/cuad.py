"""CUAD as the Baseweight benchmark uses it: clause questions, half present, half absent.

Rows are ``theatticusproject/cuad-qa`` (SQuAD layout). An absent clause has the gold answer
``Not found.``. Before sampling, the questions are balanced 50/50 between present and absent
clauses (all of the smaller group, and a seeded sample of the same size from the larger).
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import Any, ClassVar

from parity.config.schema import Field
from parity.evals.datasets.base import DatasetLoader, Example, register_dataset
from parity.evals.datasets.row_fields import ID, MAPPING, TEXT
from parity.evals.metrics.cuad import NOT_FOUND


@register_dataset
class CUAD(DatasetLoader):
    """One example per (contract, clause question); ``answers`` are the gold spans."""

    name = "cuad"
    hub_id = "theatticusproject/cuad-qa"
    default_split = "test"
    shot_split: ClassVar[str | None] = None
    shipped: ClassVar[Mapping[str, str]] = {"test": "cuad/test.jsonl"}
    required_fields: ClassVar[Mapping[str, Field]] = {
        "id": ID,
        "context": TEXT,
        "question": TEXT,
        "answers": MAPPING,
    }

    def convert(self, row: Mapping[str, Any], index: int) -> Example:
        spans = [text for text in row["answers"]["text"] if text.strip()]
        return Example(
            id=str(row["id"]),
            question=row["question"],
            context=row["context"],
            answers=tuple(dict.fromkeys(spans)) or (NOT_FOUND,),
            metadata={"title": row.get("title"), "present": bool(spans)},
        )

    def select(self, examples: list[Example], seed: int) -> list[Example]:
        present = [e for e in examples if e.metadata["present"]]
        absent = [e for e in examples if not e.metadata["present"]]
        size = min(len(present), len(absent))
        rng = random.Random(seed)
        keep = {e.id for group in (present, absent) for e in rng.sample(group, size)}
        return [e for e in examples if e.id in keep]
