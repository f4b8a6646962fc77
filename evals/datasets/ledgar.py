"""LEDGAR (LexGLUE): contract provision classification into 100 labels; macro F1."""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from parity.config.schema import Field
from parity.evals.datasets.base import register_dataset
from parity.evals.datasets.labelled import LabelledTextLoader
from parity.evals.datasets.row_fields import INDEX, TEXT


@register_dataset
class Ledgar(LabelledTextLoader):
    """``coastalcph/lex_glue`` config ``ledgar``; 60 real test rows ship (one per label seen)."""

    name = "ledgar"
    hub_id = "coastalcph/lex_glue"
    hub_config = "ledgar"
    default_split = "test"
    shot_split: ClassVar[str | None] = None
    labels_file = "ledgar/labels.json"
    shipped: ClassVar[Mapping[str, str]] = {"test": "ledgar/test.jsonl"}
    required_fields: ClassVar[Mapping[str, Field]] = {"text": TEXT, "label": INDEX}
    expected_rows: ClassVar[Mapping[str, int]] = {
        "train": 60000,
        "validation": 10000,
        "test": 10000,
    }
