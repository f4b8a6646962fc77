"""Parity's public API: every name an extension package, a ``conftest.py`` or a user's
``@pytest.mark.parity`` test imports. Everything else under ``parity`` is private and may
move between versions.

- the result record and its one usage type: :class:`EvalRecord`, :class:`Usage`;
- scoring a prediction with a registered metric: :func:`score`, :func:`score_corpus`;
- extension points, each a base type and the decorator or function that registers it:
  metrics (:class:`Metric`, :func:`register_metric`), tasks (:class:`Task`,
  :func:`register_task`), datasets (:class:`DatasetLoader`, :class:`Example`,
  :func:`register_dataset`), providers (:class:`ModelClient`, :class:`Completion`,
  :func:`register_provider`), compressors (:class:`Compressor`, :class:`RemoteCompressor`,
  :class:`Compression`, :func:`register_compressor`), and the :class:`Field` schema their
  ``option_fields`` declare;
- reporters: the hook specs :func:`pytest_parity_experiment_finished` and
  :func:`pytest_parity_run_finished` (implement them in a plugin or ``conftest.py``);
- the ``parity_model`` fixture's types: :class:`ParityModel`, :class:`Reply`;
- the errors Parity raises for bad input: :class:`ParityError` and its kinds.
"""

from __future__ import annotations

from parity.config.errors import ConfigError, DataError, ParityError, ProviderError
from parity.config.schema import Field
from parity.evals.datasets.base import DatasetLoader, Example, register_dataset
from parity.evals.metrics.base import Metric, register_metric
from parity.evals.tasks.base import Task, register_task
from parity.fixtures.compressors.base import (
    Compression,
    Compressor,
    RemoteCompressor,
    register_compressor,
)
from parity.fixtures.pipeline_model import ParityModel, Reply
from parity.fixtures.providers.base import Completion, ModelClient, register_provider
from parity.record.record import EvalRecord
from parity.record.scoring import score, score_corpus
from parity.record.usage import Usage
from parity.report.hookspecs import pytest_parity_experiment_finished, pytest_parity_run_finished

__all__ = [
    "Completion",
    "Compression",
    "Compressor",
    "ConfigError",
    "DataError",
    "DatasetLoader",
    "EvalRecord",
    "Example",
    "Field",
    "Metric",
    "ModelClient",
    "ParityError",
    "ParityModel",
    "ProviderError",
    "RemoteCompressor",
    "Reply",
    "Task",
    "Usage",
    "pytest_parity_experiment_finished",
    "pytest_parity_run_finished",
    "register_compressor",
    "register_dataset",
    "register_metric",
    "register_provider",
    "register_task",
    "score",
    "score_corpus",
]
