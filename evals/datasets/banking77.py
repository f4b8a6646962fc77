"""BANKING77: customer-support intents (77 labels); Baseweight scores it with weighted F1."""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from parity.config.schema import Field
from parity.evals.datasets.base import register_dataset
from parity.evals.datasets.labelled import LabelledTextLoader
from parity.evals.datasets.row_fields import INDEX, TEXT


@register_dataset
class Banking77(LabelledTextLoader):
    """``PolyAI/banking77``; the complete train and test splits ship with Parity."""

    name = "banking77"
    hub_id = "PolyAI/banking77"
    default_split = "test"
    labels_file = "banking77/labels.json"
    shipped: ClassVar[Mapping[str, str]] = {
        "train": "banking77/train.jsonl",
        "test": "banking77/test.jsonl",
    }
    required_fields: ClassVar[Mapping[str, Field]] = {"text": TEXT, "label": INDEX}
    expected_rows: ClassVar[Mapping[str, int]] = {"train": 10003, "test": 3080}
