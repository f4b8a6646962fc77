"""Dataset registry. Every module in this package registers one loader on import."""

from __future__ import annotations

import importlib
import pkgutil

from parity.evals.datasets.base import DATASETS, DatasetLoader, Example, register_dataset

for _module in pkgutil.iter_modules(__path__):
    if _module.name != "base":
        importlib.import_module(f"{__name__}.{_module.name}")

__all__ = ["DATASETS", "DatasetLoader", "Example", "register_dataset"]
