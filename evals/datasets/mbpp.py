"""MBPP (full): write a Python function from a description; pass@1 against the asserts."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from parity.config.schema import Field
from parity.evals.datasets.base import DatasetLoader, Example, register_dataset
from parity.evals.datasets.row_fields import ID, TEXT, TEXTS
from parity.evals.metrics.code import SETUP_PREFIX


@register_dataset
class MBPP(DatasetLoader):
    """``google-research-datasets/mbpp`` (full): ``text``, ``code``, ``test_list``, ``test_setup_code``."""

    name = "mbpp"
    hub_id = "google-research-datasets/mbpp"
    hub_config = "full"
    default_split = "test"
    shot_split: ClassVar[str | None] = None
    shipped: ClassVar[Mapping[str, str]] = {"test": "mbpp/test.jsonl"}
    required_fields: ClassVar[Mapping[str, Field]] = {
        "task_id": ID,
        "text": TEXT,
        "code": TEXT,
        "test_list": TEXTS,
    }
    expected_rows: ClassVar[Mapping[str, int]] = {
        "train": 374,
        "validation": 90,
        "test": 500,
        "prompt": 10,
    }

    def convert(self, row: Mapping[str, Any], index: int) -> Example:
        setup = row.get("test_setup_code") or ""
        tests = ([SETUP_PREFIX + setup] if setup.strip() else []) + list(row["test_list"])
        return Example(
            id=str(row["task_id"]),
            question=row["text"],
            context="",
            answers=tuple(tests),
            metadata={"reference_code": row["code"], "first_test": row["test_list"][0]},
        )
