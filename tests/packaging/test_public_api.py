"""``parity.api`` is the one place public names come from, and the README lists exactly them."""

from __future__ import annotations

import re
from pathlib import Path

import parity.api

README = Path(__file__).resolve().parents[2] / "README.md"


def test_every_public_name_resolves_and_none_is_a_hook_implementation():
    namespace: dict[str, object] = {}
    exec("from parity.api import *", namespace)
    exported = {name for name in namespace if not name.startswith("__")}
    assert exported == set(parity.api.__all__)
    # a conftest.py that star-imports must not become an empty reporter
    assert not [name for name in exported if name.startswith("pytest_")]


def test_the_readme_lists_exactly_the_public_names():
    text = README.read_text(encoding="utf-8")
    paragraph = text[text.index("- **Public API: `parity.api`.**") :]
    paragraph = paragraph[: paragraph.index("\n- **")]
    listed = set(re.findall(r"`(\w+)`", paragraph)) - {
        "conftest", "parity_model", "parity_result", "__version__",
        "pytest_parity_experiment_finished", "pytest_parity_run_finished",
    }  # fmt: skip
    assert listed == set(parity.api.__all__)


def test_load_dataset_reads_a_registered_dataset_as_an_experiment_does():
    loaded = parity.api.load_dataset("banking77", "train", "shipped")
    assert len(loaded.examples) > 1000 and loaded.examples[0].answers
