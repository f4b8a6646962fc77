"""Parity's pytest plugin: options, parametrization, aggregation, gates and reports.

Registered through the ``pytest11`` entry point ``parity``. It stays inert unless a test
requests the ``eval_case`` fixture (``parity/evals/test_experiments.py`` does). pytest finds
the plugin's hooks and fixtures among this module's names; each lives in the module of its
concern: :mod:`~parity.pytest_plugin.options`, :mod:`~parity.pytest_plugin.lifecycle`,
:mod:`~parity.pytest_plugin.collection`, :mod:`~parity.pytest_plugin.results`,
:mod:`~parity.pytest_plugin.xdist` and :mod:`~parity.pytest_plugin.finish`.
"""

from __future__ import annotations

from parity.pytest_plugin.access import parity_model_for, progress_waiter, runtime_for
from parity.pytest_plugin.collection import (
    FREEZE_FROM_ITEMS,
    freeze_collected_objects,
    pytest_collection,
    pytest_collection_finish,
    pytest_collection_modifyitems,
    pytest_generate_tests,
)
from parity.pytest_plugin.config_file import pytest_collect_file, pytest_sessionstart
from parity.pytest_plugin.finish import pytest_sessionfinish, pytest_terminal_summary
from parity.pytest_plugin.fixtures import eval_runtime, model_clients, parity_model, parity_result
from parity.pytest_plugin.lifecycle import (
    pytest_configure,
    pytest_keyboard_interrupt,
    pytest_unconfigure,
)
from parity.pytest_plugin.options import pytest_addhooks, pytest_addoption, pytest_cmdline_main
from parity.pytest_plugin.results import pytest_runtest_makereport, record_result
from parity.pytest_plugin.xdist import (
    pytest_configure_node,
    pytest_xdist_make_scheduler,
    pytest_xdist_node_collection_finished,
)

__all__ = [
    "FREEZE_FROM_ITEMS",
    "eval_runtime",
    "freeze_collected_objects",
    "model_clients",
    "parity_model",
    "parity_model_for",
    "parity_result",
    "progress_waiter",
    "pytest_addhooks",
    "pytest_addoption",
    "pytest_cmdline_main",
    "pytest_collect_file",
    "pytest_collection",
    "pytest_collection_finish",
    "pytest_collection_modifyitems",
    "pytest_configure",
    "pytest_configure_node",
    "pytest_generate_tests",
    "pytest_keyboard_interrupt",
    "pytest_runtest_makereport",
    "pytest_sessionfinish",
    "pytest_sessionstart",
    "pytest_terminal_summary",
    "pytest_unconfigure",
    "pytest_xdist_make_scheduler",
    "pytest_xdist_node_collection_finished",
    "record_result",
    "runtime_for",
]
