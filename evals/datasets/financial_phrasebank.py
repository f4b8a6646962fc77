"""Financial PhraseBank (sentences_allagree): negative / neutral / positive; macro F1."""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from parity.config.schema import Field
from parity.evals.datasets.base import register_dataset
from parity.evals.datasets.labelled import LabelledTextLoader
from parity.evals.datasets.row_fields import INDEX, TEXT


@register_dataset
class FinancialPhraseBank(LabelledTextLoader):
    """``takala/financial_phrasebank`` config ``sentences_allagree`` (train is its only split)."""

    name = "financial_phrasebank"
    hub_id = "takala/financial_phrasebank"
    hub_config = "sentences_allagree"
    default_split = "train"
    text_field = "sentence"
    labels_file = "financial_phrasebank/labels.json"
    shipped: ClassVar[Mapping[str, str]] = {
        "train": "financial_phrasebank/sentences_allagree.jsonl"
    }
    required_fields: ClassVar[Mapping[str, Field]] = {"sentence": TEXT, "label": INDEX}
    expected_rows: ClassVar[Mapping[str, int]] = {"train": 2264}
