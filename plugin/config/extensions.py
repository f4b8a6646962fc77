"""Installed extensions: packages that add providers, datasets, tasks, metrics or reporters.

A package declares one entry point per extension module in the ``parity`` group::

    [project.entry-points.parity]
    my_metrics = "my_package.parity_metrics"

Loading the module is all it takes: it registers its entries with the same decorators
Parity's own files use (``register_metric``, ``register_provider``, ``register_task``,
``register_dataset``), each declaring its options as ``option_fields``. A module that also
defines Parity hooks (:mod:`parity.report.hookspecs`, e.g. ``pytest_parity_run_finished``) is registered
with pytest as a reporter.
"""

from __future__ import annotations

import threading
from importlib.metadata import EntryPoint, entry_points
from typing import Any

from parity.config.errors import ParityError

ENTRY_POINT_GROUP = "parity"
HOOK_PREFIX = "pytest_parity_"


class ExtensionError(ParityError):
    """An installed extension failed to load."""


class _Loaded:
    modules: dict[str, Any] | None = None
    lock = threading.RLock()


def _load(entry: EntryPoint) -> Any:
    try:
        return entry.load()
    except Exception as exc:
        package = entry.dist.name if entry.dist is not None else "its package"
        raise ExtensionError(
            f"the Parity extension '{entry.name}' ({entry.value}) failed to load: "
            f"{type(exc).__name__}: {exc}\n  Fix: correct it, or uninstall {package}"
        ) from None


def load_extensions() -> dict[str, Any]:
    """Import every installed extension once; return them by entry-point name."""
    with _Loaded.lock:
        if _Loaded.modules is None:
            _Loaded.modules = {}  # set first: an extension may look up a registry as it loads
            for entry in entry_points(group=ENTRY_POINT_GROUP):
                _Loaded.modules[entry.name] = _load(entry)
        return _Loaded.modules


def hook_implementers() -> dict[str, Any]:
    """The loaded extensions that implement Parity hooks (reporters), by name."""
    return {
        name: module
        for name, module in load_extensions().items()
        if any(attribute.startswith(HOOK_PREFIX) for attribute in dir(module))
    }
