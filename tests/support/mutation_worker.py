"""A warm pytest process for mutation runs: it imports the third-party modules once (pytest's
plugins, numpy, scipy ...), then forks one child per run, which imports Parity and the tests
afresh from the linked tree, so each mutant costs its tests, not an interpreter start.

``python -m tests.support.mutation_worker ROOT``, driven by :mod:`tests.support.mutation` over
stdin/stdout, one JSON object a line:

- ``{"modules": [...]}``: import these (what a plain run of the tests imported), once;
- ``{"args": [...], "output": PATH, "timeout": S}``: run pytest in a child with ``args``, its
  output to ``PATH``, killed after ``S`` seconds; answers ``{"status": <wait status>}``;
- ``{"list": [...], "output": PATH}``: run pytest with ``args`` in a child and write the names
  of the modules it imported, Parity's and the tests' left out, to ``PATH``.
"""

from __future__ import annotations

import importlib
import json
import os
import signal
import sys
from pathlib import Path

OWN = ("parity", "tests", "__main__")  # imported afresh by each run


def _own(name: str) -> bool:
    return name.split(".")[0] in OWN


def _forget_own_modules() -> None:
    for name in [name for name in sys.modules if _own(name)]:
        del sys.modules[name]


def _child(args: list[str], output: str, timeout: int, listing: str | None) -> None:
    import pytest

    descriptor = os.open(output, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.dup2(descriptor, 1)
    os.dup2(descriptor, 2)
    signal.alarm(timeout)  # the default action ends the child: a mutant that hangs
    _forget_own_modules()
    code = pytest.main(args)
    if listing is not None:
        names = sorted(name for name in sys.modules if not _own(name))
        Path(listing).write_text(json.dumps(names))
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(int(code))


def _warm(modules: list[str]) -> None:
    for name in modules:
        try:
            importlib.import_module(name)
        except Exception:
            continue
    _forget_own_modules()


def main(root: str) -> None:
    """Serve runs against the linked tree at ``root`` until stdin closes."""
    repo = str(Path(__file__).resolve().parents[2])
    sys.path[:0] = [root, repo]
    os.environ["PYTHONPATH"] = os.pathsep.join([root, repo])
    os.chdir(repo)
    for line in sys.stdin:
        request = json.loads(line)
        if "modules" in request:
            _warm(request["modules"])
            print(json.dumps({"status": 0}), flush=True)
            continue
        child = os.fork()
        if child == 0:
            _child(
                request["args"], request["output"], request.get("timeout", 0), request.get("list")
            )
        _, status = os.waitpid(child, 0)
        print(json.dumps({"status": status}), flush=True)


if __name__ == "__main__":
    main(sys.argv[1])
