"""A project's ``configs/experiments.yaml`` that a plain ``pytest`` run does not name.

Plain ``pytest`` collects an eval config only when the run names it (``--parity-config``, or
the ``parity_config`` ini key): a file that merely sits in the project is not run, so that a
project's own tests never call a model they did not ask for. A run that then collects nothing
exits 5, "no tests ran", and says nothing of the file; this module's one line says how to
name it. A run that collected anything (or deselected what it collected) gets no line.
"""

from __future__ import annotations

from typing import Any

import pytest

from parity.pytest_plugin.config_file import named_config
from parity.pytest_plugin.names import DEFAULT_CONFIG
from parity.pytest_plugin.options import option_named


def unnamed_config_hint(config: pytest.Config, exitstatus: int, deselected: int) -> str | None:
    """How to name the project's ``configs/experiments.yaml``, for a run that collected
    nothing (``exitstatus`` 5, ``deselected`` 0) and names no config; else None."""
    if exitstatus != pytest.ExitCode.NO_TESTS_COLLECTED or deselected or named_config(config):
        return None
    if not (config.rootpath / DEFAULT_CONFIG).is_file():
        return None
    path = DEFAULT_CONFIG.as_posix()
    flag = option_named("config").flags[0]
    ini_key = option_named("config").ini_keys[0]
    return (
        f"parity: {path} was not collected: a run evaluates the config it names. Name it in "
        f'pyproject.toml, [tool.pytest.ini_options] {ini_key} = "{path}", or run '
        f"pytest {flag}={path}"
    )


def write_unnamed_config_hint(
    terminalreporter: Any, exitstatus: int, config: pytest.Config
) -> None:
    """Write :func:`unnamed_config_hint`'s line, when there is one."""
    deselected = len(terminalreporter.stats.get("deselected", []))
    hint = unnamed_config_hint(config, exitstatus, deselected)
    if hint is not None:
        terminalreporter.write_line(hint, yellow=True)
