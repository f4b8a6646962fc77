"""Inspection commands: pytest options that show a session instead of running it.

``--fixtures``, ``--fixtures-per-test``, ``--markers``, ``--setup-plan``, ``--setup-only``,
``--collect-only`` and ``--help`` (and ``--version``) may collect the experiment items, but a
session run with one of them never calls a model, never starts the call process, makes no
report folder and prints no parity summary, MISSING or gate line.
"""

from __future__ import annotations

import pytest

# pytest's destinations of the inspection options, in the order of the docstring's list.
INSPECTION_OPTIONS = (
    "showfixtures",
    "show_fixtures_per_test",
    "markers",
    "setupplan",
    "setuponly",
    "collectonly",
    "help",
    "version",
)


def inspecting(config: pytest.Config) -> bool:
    """Whether this session only shows something (an inspection command) and evaluates nothing."""
    return any(config.getoption(name, False) for name in INSPECTION_OPTIONS)
