"""Every package folder is listed in pyproject's ``packages``: an editable install (what
``.ci/run`` tests) imports a subpackage missing from that list, but a wheel leaves it out."""

from __future__ import annotations

from pathlib import Path

import tomllib

REPO = Path(__file__).resolve().parents[2]


def test_every_folder_with_an_init_module_is_a_listed_package():
    setuptools = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]
    listed = set(setuptools["packages"])
    found = set()
    for package, folder in setuptools["package-dir"].items():
        for init in (REPO / folder).rglob("__init__.py"):
            if "__pycache__" in init.parts:
                continue
            rest = init.parent.relative_to(REPO / folder).parts
            found.add(".".join([package, *rest]))
    assert found - listed == set(), "add these to pyproject's packages"
    assert listed - found == set(), "listed packages without an __init__.py"
