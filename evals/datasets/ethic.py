"""ETHIC (dmis-lab/ETHIC): long-document tasks whose answers are lists of items.

Configs Recalling, Summarizing, Organizing and Attributing (``dataset.task``), split ``test``,
fields ``ID, Answer, System_msg, User_msg, Domain`` as read by ETHIC's ``inference.py``. No
row of ETHIC could be obtained here, so nothing ships: use ``source: hub`` or ``dataset.path``.
``User_msg`` already holds the document and the instruction, so it is the whole question.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from parity.config.schema import Field
from parity.evals.datasets.base import DatasetLoader, Example, register_dataset
from parity.evals.datasets.row_fields import ID, TEXT, TEXT_OR_TEXTS


@register_dataset
class Ethic(DatasetLoader):
    """``Answer`` is a list (or a newline-separated string) of the expected items."""

    name = "ethic"
    hub_id = "dmis-lab/ETHIC"
    default_split = "test"
    shot_split: ClassVar[str | None] = None
    subsets: ClassVar[tuple[str, ...]] = ("Recalling", "Summarizing", "Organizing", "Attributing")
    required_fields: ClassVar[Mapping[str, Field]] = {
        "ID": ID,
        "Answer": TEXT_OR_TEXTS,
        "System_msg": TEXT,
        "User_msg": TEXT,
        "Domain": TEXT,
    }

    def convert(self, row: Mapping[str, Any], index: int) -> Example:
        answer = row["Answer"]
        items = (
            tuple(answer)
            if isinstance(answer, list)
            else tuple(line.strip() for line in str(answer).splitlines() if line.strip())
        )
        return Example(
            id=str(row["ID"]),
            question=row["User_msg"],
            context="",
            answers=tuple(str(item) for item in items),
            metadata={"system": row["System_msg"], "domain": row["Domain"]},
        )
