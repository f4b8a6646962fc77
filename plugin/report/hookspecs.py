"""Parity's own pytest hooks, added with ``pytest_addhooks`` (as pytest-xdist's ``newhooks``).

Reporters implement them: the JSON and CSV summary writers in :mod:`parity.report.reporters` are
the first two, and an installed extension (see :mod:`parity.config.extensions`) or a
``conftest.py`` can add more, e.g. an HTML page or an MLflow export.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from parity.record.record import EvalRecord


@pytest.hookspec()
def pytest_parity_experiment_finished(
    config: pytest.Config,
    summary: Mapping[str, Any],
    records: Sequence[EvalRecord],
    run_dir: Path,
) -> None:
    """One experiment's items have all reported.

    :param summary: the experiment's summary (ScaleBench's summary JSON plus intervals).
    :param records: its scored records in example order (without prompts and contexts,
        which the raw JSONL rows in ``run_dir`` hold).
    :param run_dir: the run's report directory.
    """


@pytest.hookspec()
def pytest_parity_run_finished(
    config: pytest.Config, summary: Mapping[str, Any], run_dir: Path
) -> None:
    """The whole run has finished: ``summary`` is the document written to ``summary.json``
    (config path, every experiment summary, gates and their verdict, notes)."""
