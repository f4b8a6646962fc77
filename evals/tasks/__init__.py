"""Task registry. Every module in this package registers one task on import."""

from __future__ import annotations

import importlib
import pkgutil

from parity.evals.tasks.base import TASKS, Task, register_task

for _module in pkgutil.iter_modules(__path__):
    if _module.name != "base":
        importlib.import_module(f"{__name__}.{_module.name}")

__all__ = ["TASKS", "Task", "register_task"]
