"""The ``parity`` marker's line in ``pytest --markers`` (registered at configure, so that
``--strict-markers`` accepts it in any test module)."""

from __future__ import annotations

import pytest

from parity.marked.pipeline import MARKER

MARKER_HELP = (
    f"{MARKER}(dataset, metrics, fields=None, model=None, thresholds=None, baseline=None, "
    "...): evaluate this test's pipeline with Parity, one item per example of dataset (a "
    "registered dataset's name, your JSONL/JSON/CSV/Parquet file or a list of dicts), scored "
    "by metrics (e.g. ['f1']); fields maps your rows' keys (input, expected, context, id)"
)


def register_marker(config: pytest.Config) -> None:
    """Add the ``parity`` marker and its arguments to pytest's registered markers."""
    config.addinivalue_line("markers", MARKER_HELP)
