"""Errors that Parity reports to users as one clear message, never as a traceback."""

from __future__ import annotations

import os
from pathlib import Path


class ParityError(Exception):
    """Base class for every error Parity shows to a user."""


class ConfigError(ParityError):
    """A config file (or a ``@pytest.mark.parity`` marker) is invalid; the message names
    file, experiment, key and the fix."""

    def __init__(
        self,
        path: str,
        problem: str,
        *,
        experiment: str | None = None,
        key: str | None = None,
        fix: str | None = None,
        source: str = "eval config",
    ) -> None:
        self.path = path
        self.source = source
        self.problem = problem
        self.experiment = experiment
        self.key = key
        self.fix = fix
        super().__init__(self.render())

    def render(self) -> str:
        """Return the one-paragraph message shown to the user."""
        where = [f"file {self.path}"]
        if self.experiment:
            where.append(f"experiment '{self.experiment}'")
        if self.key:
            where.append(f"key '{self.key}'")
        message = f"Invalid {self.source} ({', '.join(where)}): {self.problem}"
        if self.fix:
            message += f"\n  Fix: {self.fix}"
        return message


class DataError(ParityError):
    """A dataset file or record does not have the expected shape. ``fix`` is what to do
    (a "did you mean"), shown on the Fix line of the config error that reports it."""

    def __init__(self, message: str, *, fix: str | None = None) -> None:
        self.fix = fix
        super().__init__(message)


class MissingDataFile(DataError):
    """A data file that does not exist; ``beside`` is the file of the closest name in its
    folder, when there is one."""

    def __init__(self, path: Path, message: str, beside: Path | None) -> None:
        self.path = path
        self.beside = beside
        super().__init__(message)

    def fix_for(self, key: str, where: Path) -> str:
        """What to do, for a path given as ``key`` in the file ``where`` (relative paths are
        read from its folder): the file beside it, else any existing data file."""
        folder = where.resolve().parent
        if self.beside is None:
            return (
                f"set {key} in {where} to your data file (JSONL, JSON, CSV or Parquet); "
                f"a relative path is read from {folder}"
            )
        shown = os.path.relpath(self.beside.resolve(), folder)  # as the user writes it
        return f"did you mean {shown}? Set {key} in {where} to it"


class ProviderError(ParityError):
    """A model provider call failed and will not be retried (or retries ran out)."""
