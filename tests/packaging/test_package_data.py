"""Everything the suite reads at run time is declared as package data (a pip-installed
Parity has no checkout to fall back on)."""

import tomllib

from tests.conftest import REPO

PACKAGE_DIRS = {
    "parity.evals": REPO / "evals",
    "parity.configs": REPO / "configs",
    "parity.prompts": REPO / "prompts",
}


def declared(package: str) -> set:
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text())
    patterns = pyproject["tool"]["setuptools"]["package-data"].get(package, [])
    root = PACKAGE_DIRS[package]
    return {path for pattern in patterns for path in root.glob(pattern) if path.is_file()}


def test_every_shipped_data_file_is_package_data():
    shipped = {p for p in (REPO / "evals" / "data").rglob("*") if p.is_file()}
    assert shipped and shipped <= declared("parity.evals"), sorted(
        map(str, shipped - declared("parity.evals"))
    )


def test_configs_and_prompts_are_package_data():
    configs = {p for p in (REPO / "configs").rglob("*.yaml")}
    assert configs <= declared("parity.configs")
    prompts = {p for p in (REPO / "prompts").glob("*.yaml")}
    assert prompts and prompts <= declared("parity.prompts")
