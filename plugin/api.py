"""Parity's public API: every name an extension package, a ``conftest.py`` or a user's
``@pytest.mark.parity`` test imports. Everything else under ``parity`` is private and may
move between versions.

- the result record and its one usage type: :class:`EvalRecord`, :class:`Usage`;
- scoring a prediction with a registered metric: :func:`score`, :func:`score_corpus`;
- extension points, each a base type and the decorator or function that registers it, with
  the types their methods take and return: metrics (:class:`Metric`, :func:`register_metric`),
  tasks (:class:`Task`, :class:`PromptTemplate`, :func:`register_task`), datasets
  (:class:`DatasetLoader`, :class:`LoadedDataset`, :class:`Example`, :func:`register_dataset`),
  providers (:class:`ModelClient`, :class:`ChatRequest`, :class:`Completion`,
  :class:`FailureInfo`, :func:`register_provider`), compressors (:class:`Compressor`,
  :class:`RemoteCompressor`, :class:`Compression`, :class:`CompressionError`,
  :func:`register_compressor`), and the :class:`Field` schema their ``option_fields`` declare;
- reporters: the module :mod:`hookspecs` with the hook specs
  ``pytest_parity_experiment_finished`` and ``pytest_parity_run_finished`` (implement them
  in a plugin or ``conftest.py``; the functions themselves are not exported, so that
  ``from parity.api import *`` in a ``conftest.py`` registers no empty reporter);
- the fixtures' types: :class:`ParityModel` and :class:`Reply` (``parity_model``),
  :class:`PredictionRecorder` (``parity_result``);
- the errors Parity raises for bad input: :class:`ParityError` and its kinds;
- :func:`load_dataset`: a registered dataset's examples, for a marked test's own fixtures.
"""

from __future__ import annotations

from parity.config.errors import ConfigError, DataError, ParityError, ProviderError
from parity.config.schema import Field
from parity.evals.datasets import DATASETS
from parity.evals.datasets.base import DatasetLoader, Example, LoadedDataset, register_dataset
from parity.evals.metrics.base import Metric, register_metric
from parity.evals.tasks.base import Task, register_task
from parity.fixtures.compressors.base import (
    Compression,
    CompressionError,
    Compressor,
    RemoteCompressor,
    register_compressor,
)
from parity.fixtures.pipeline_model import ParityModel, Reply
from parity.fixtures.providers.base import (
    ChatRequest,
    Completion,
    FailureInfo,
    ModelClient,
    register_provider,
)
from parity.prompts import PromptTemplate
from parity.pytest_plugin.fixtures import PredictionRecorder
from parity.record.record import EvalRecord
from parity.record.scoring import score, score_corpus
from parity.record.usage import Usage
from parity.report import hookspecs

__all__ = [
    "ChatRequest",
    "Completion",
    "Compression",
    "CompressionError",
    "Compressor",
    "ConfigError",
    "DataError",
    "DatasetLoader",
    "EvalRecord",
    "Example",
    "FailureInfo",
    "Field",
    "LoadedDataset",
    "Metric",
    "ModelClient",
    "ParityError",
    "ParityModel",
    "PredictionRecorder",
    "PromptTemplate",
    "ProviderError",
    "RemoteCompressor",
    "Reply",
    "Task",
    "Usage",
    "hookspecs",
    "load_dataset",
    "register_compressor",
    "register_dataset",
    "register_metric",
    "register_provider",
    "register_task",
    "score",
    "score_corpus",
]


def load_dataset(
    name: str, split: str | None = None, source: str = "auto", path: str | None = None
) -> LoadedDataset:
    """Every example of the registered dataset ``name`` (``split`` None: its default split),
    read from ``path`` when given, else from the Hugging Face Hub or the copy Parity ships as
    ``source`` says (``auto``: the Hub when reachable, ``hub`` or ``shipped``), exactly as an
    experiment reads it."""
    return DATASETS.get(name).load(split, source, path)
