"""Parity's options are spelled ``--parity-*``: every message, note and docstring in the
package says so (a new user's test found ``--eval-*`` in every line Parity printed). The old
spelling is an alias that keeps working, named only where the options are defined."""

from __future__ import annotations

from pathlib import Path

import parity
import parity.evals
import parity.fixtures

OPTIONS_MODULE = Path(parity.__file__).parent / "pytest_plugin" / "options.py"


def test_no_source_file_spells_an_option_the_old_way():
    roots = [Path(package.__file__).parent for package in (parity, parity.evals, parity.fixtures)]
    found = [
        f"{path}:{number}: {line.strip()}"
        for root in roots
        for path in sorted(root.rglob("*.py"))
        if path != OPTIONS_MODULE
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if "--eval-" in line
    ]
    assert found == []
