"""Errors that Parity reports to users as one clear message, never as a traceback."""

from __future__ import annotations


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
    """A dataset file or record does not have the expected shape."""


class ProviderError(ParityError):
    """A model provider call failed and will not be retried (or retries ran out)."""
