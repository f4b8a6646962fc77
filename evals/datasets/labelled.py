"""Shared base of the text-classification datasets: a text field and an integer label."""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cached_property
from typing import Any, ClassVar

from parity.config.errors import DataError
from parity.evals.datasets.base import SHIPPED_DATA, DatasetLoader, Example


class LabelledTextLoader(DatasetLoader):
    """Rows ``{text_field: str, "label": int}``; label names in the Hub's ClassLabel order."""

    text_field: ClassVar[str] = "text"
    labels_file: ClassVar[str]

    @cached_property
    def _labels(self) -> tuple[str, ...]:
        return tuple(json.loads((SHIPPED_DATA / self.labels_file).read_text(encoding="utf-8")))

    def label_names(self) -> list[str]:
        return list(self._labels)

    def convert(self, row: Mapping[str, Any], index: int) -> Example:
        label = row["label"]
        if (
            isinstance(label, bool)
            or not isinstance(label, int)
            or not 0 <= label < len(self._labels)
        ):
            raise DataError(
                f"{self.name} row {index}: label {label!r} is not an index into the "
                f"{len(self._labels)} labels of {self.labels_file}"
            )
        return Example(
            id=str(row.get("id", index)),
            question=row[self.text_field],
            context="",
            answers=(self._labels[label],),
            metadata={"labels": self._labels},
        )
