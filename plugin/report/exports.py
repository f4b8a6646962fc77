"""How an export to another system went (MLflow, a Hugging Face dataset): one line each for
the terminal, and whether it failed, which fails the run (the export was asked for)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest


@dataclass(frozen=True)
class ExportOutcome:
    """One export's line for the terminal; ``failed`` makes the run exit non-zero and
    ``skipped`` prints it in yellow."""

    line: str
    failed: bool = False
    skipped: bool = False


OUTCOMES = pytest.StashKey[list[ExportOutcome]]()


def record_outcome(config: pytest.Config, outcome: ExportOutcome) -> None:
    """Keep ``outcome`` for the terminal summary and the exit status."""
    config.stash.setdefault(OUTCOMES, []).append(outcome)


def outcomes_of(config: pytest.Config) -> list[ExportOutcome]:
    """The exports' outcomes, in the order they finished."""
    return config.stash.get(OUTCOMES, [])
