"""Where an experiment item is: its eval config file and the line of its experiment there.

pytest places a function's items at the function's source (``reportinfo``), and every
experiment item runs the one experiment test, ``parity/evals/test_experiments.py`` (in an
installed project, under ``site-packages``). Skip lines (``pytest -rs``), JUnit's ``file`` and
``line`` and ``-vv``'s location would all name that file; they name the config instead.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from parity.cases.cases import EvalCase

# An experiment's ``id:`` line: block style (``- id: x``, ``  id: x``) or flow style
# (``- {id: x, ...}``), the id bare or quoted.
_ID_LINE = re.compile(r"""(?:^|[\s{,-])id:\s*(["']?)([^"'\s,}#]+)\1""")
_PLACED = pytest.StashKey[bool]()


def experiment_lines(path: Path) -> dict[str, int]:
    """Each experiment id's 0-based line in the config file at ``path``, from one pass over
    its text: the first ``id: <id>`` line of each id. An experiment made by expanding
    another (conditions) is not written there and has no line."""
    lines: dict[str, int] = {}
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return lines
    for number, line in enumerate(text.splitlines()):
        if "id:" in line:
            for match in _ID_LINE.finditer(line):
                lines.setdefault(match.group(2), number)
    return lines


class ConfigPlaces:
    """The location of each experiment item of one eval config: the config's path relative
    to the rootdir (as pytest writes every location) and the experiment's line, else 0."""

    def __init__(self, config: pytest.Config, config_path: Path) -> None:
        path = (config.invocation_params.dir / config_path).resolve()
        self.path = Path(os.path.relpath(path, config.rootpath)).as_posix()
        self.lines = experiment_lines(path)

    def place(self, item: pytest.Item, case: EvalCase) -> None:
        """Put ``item`` (an item of ``case``) at its experiment in the config file; its test
        name stays pytest's (the item's name: no experiment item is in a class)."""
        line = self.lines.get(case.experiment.id, 0)
        item.location = (self.path, line, item.name)
        item.stash[_PLACED] = True


def place_skip(item: pytest.Item, report: pytest.TestReport) -> None:
    """A skipped item's report names the item's location (``path:line: reason``, the line
    counted from 1 as pytest writes it), not the line of code that skipped it."""
    placed = item.stash.get(_PLACED, False)
    if placed and report.skipped and isinstance(report.longrepr, tuple):
        path, line, _ = item.location
        report.longrepr = (path, (line or 0) + 1, report.longrepr[2])
