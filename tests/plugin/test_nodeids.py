"""A config item's case id read back out of its node id, in both of its collections."""

from __future__ import annotations

import pytest

from parity.cases.nodeids import case_id_of


@pytest.mark.parametrize(
    ("nodeid", "case_id"),
    [
        ("configs/x.yaml::local_exp[5a8c7595]", "local_exp-5a8c7595"),
        ("configs/x.yaml::local_exp[5a8c7595-r2]", "local_exp-5a8c7595-r2"),
        ("x.yml::a-b[unavailable]", "a-b-unavailable"),
        (".venv/lib/site-packages/parity/evals/test_experiments.py::test_example[e-1]", "e-1"),
        ("tests/test_mine.py::test_lookup[q01]", None),  # a Python test's parameter
        ("configs/x.yaml::local_exp", None),
        ("parity-gates::threshold", None),
    ],
)
def test_case_id_of(nodeid, case_id):
    assert case_id_of(nodeid) == case_id
