"""This process's part in an xdist run: controller, worker or a serial run alone."""

from __future__ import annotations

import pytest


def runs_xdist(config: pytest.Config) -> bool:
    """Whether this session hands its items to xdist workers (``-n N`` with a distribution)."""
    return bool(config.getoption("numprocesses", None)) and (config.getoption("dist", "no") != "no")


def controller_workers(config: pytest.Config) -> int:
    """How many processes run items: the xdist workers, else this one."""
    return int(config.getoption("numprocesses")) if runs_xdist(config) else 1


def partitioned(config: pytest.Config) -> bool:
    """Whether xdist runs with Parity's partition scheduler (``-n N`` = ``--dist load``)."""
    return config.getoption("dist", "no") == "load"
