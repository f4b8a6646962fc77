"""Shared helpers for Parity's own tests."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parent.parent
SHORT_HOTPOTQA = REPO / "tests" / "data" / "hotpotqa_supporting_only.jsonl"


def experiment(**overrides):
    """A valid experiment mapping; keyword arguments replace top-level keys."""
    base = {
        "id": "exp_a",
        "model": {"name": "local:smollm2"},
        "dataset": {"name": "hotpotqa", "source": "shipped", "num_examples": 3, "seed": 1},
        "task": {"name": "rag_qa"},
        "metrics": ["exact_match", "f1"],
    }
    base.update(overrides)
    return base


@pytest.fixture
def write_config(tmp_path):
    """Write a YAML config (list or mapping) and return its path."""

    def write(data, name="experiments.yaml") -> Path:
        path = tmp_path / name
        path.write_text(data if isinstance(data, str) else yaml.safe_dump(data, sort_keys=False))
        return path

    return write
