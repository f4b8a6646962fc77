"""Built-in reporters: every module in this package implements Parity's reporter hooks
(:mod:`parity.report.hookspecs`) and is registered with pytest as ``parity-reporter-<module>``."""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType


def builtin_reporters() -> dict[str, ModuleType]:
    """The built-in reporter modules by name."""
    return {
        module.name: importlib.import_module(f"{__name__}.{module.name}")
        for module in pkgutil.iter_modules(__path__)
    }
