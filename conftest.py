"""Root conftest: Parity itself is loaded through its ``pytest11`` entry point (``parity``).

``pytest`` in this directory runs the eval suite in ``evals/`` (see ``testpaths``);
``pytest tests`` runs the project's own tests.

The repository's folders are the packages of the installed distribution: ``plugin/`` is
``parity``, ``evals/`` is ``parity.evals``, ``fixtures/`` is ``parity.fixtures`` (see
``package-dir`` in pyproject.toml). pytest names a file it collects here by its folder path
(``evals.metrics.squad`` for ``pytest --doctest-modules evals/metrics/squad.py``); the finder
below resolves every such name to the installed module (``parity.evals.metrics.squad``), so
each module is imported once, under its one name, whichever way pytest reaches it.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import sys
from types import ModuleType

FOLDER_PACKAGES = {
    "plugin": "parity",
    "evals": "parity.evals",
    "fixtures": "parity.fixtures",
    "prompts": "parity.prompts",
    "configs": "parity.configs",
}

collect_ignore = ["reports", ".venv", "build"]


class FolderNameFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Resolves ``evals.x`` (a folder path) to the already-named ``parity.evals.x``."""

    @staticmethod
    def canonical(fullname: str) -> str | None:
        """The installed name of a folder-path module name, or None if it is not one."""
        head, _, rest = fullname.partition(".")
        package = FOLDER_PACKAGES.get(head)
        if package is None:
            return None
        return f"{package}.{rest}" if rest else package

    def find_spec(self, fullname: str, path: object = None, target: object = None) -> object:
        canonical = self.canonical(fullname)
        if canonical is None or importlib.util.find_spec(canonical) is None:
            return None
        return importlib.machinery.ModuleSpec(fullname, self)

    def __init__(self) -> None:
        self._specs: dict[int, importlib.machinery.ModuleSpec | None] = {}

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        module = importlib.import_module(self.canonical(spec.name) or spec.name)
        self._specs[id(module)] = module.__spec__  # the import system overwrites it next
        return module

    def exec_module(self, module: ModuleType) -> None:
        """Nothing to run (the module ran once, under its installed name): give it back its
        own spec."""
        module.__spec__ = self._specs.pop(id(module))


if not any(isinstance(finder, FolderNameFinder) for finder in sys.meta_path):
    sys.meta_path.insert(0, FolderNameFinder())
