"""HTML reporter: ``report.html``, one self-contained page per run (tables, inline SVG plots
and an example browser) that opens from ``file://`` without a network."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from parity.report.html.page import render
from parity.report.html.run_data import load_run

PAGE = "report.html"


def write_report(run_dir: Path, document: Mapping[str, Any] | None = None) -> Path:
    """Write ``run_dir/report.html`` from the run's summary (``document``, else its
    ``summary.json``) and the raw rows stored in ``run_dir``."""
    page = render(load_run(run_dir, document))
    path = run_dir / PAGE
    path.write_text(page, encoding="utf-8")
    return path


def rebuild(run_dir: Path) -> list[Path]:
    """Rebuild the page of a stored run from its ``summary.json`` and raw rows alone."""
    return [write_report(Path(run_dir))]


def pytest_parity_run_finished(
    config: pytest.Config, summary: Mapping[str, Any], run_dir: Path
) -> None:
    """Write ``report.html`` for the run (from the summary reporters receive, so the page
    does not wait for another reporter's ``summary.json``)."""
    write_report(run_dir, summary)
