"""The model an experiment names, as the config gives it: below the config, the compressors
that call a model and the price table, which all read it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class ModelConfig:
    """The model under test: ``provider:model`` plus generation and pacing options."""

    name: str
    provider: str
    model: str
    mode: str = "baseline"
    pricing: Mapping[str, float] | None = None
    options: Mapping[str, Any] = field(default_factory=dict)
    # ``mode: compressed``: the compressor (``method``) and its options
    compression: Mapping[str, Any] | None = None

    @property
    def short_name(self) -> str:
        """The model's name without provider or path, e.g. ``smollm2`` or ``gpt-4o``."""
        return Path(self.model).stem if "/" in self.model else self.model
