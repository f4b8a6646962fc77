"""Example ids that node ids cannot hold as written (``東京``, ``a-b``, ``q[1]``) keep their
safe node-id parameter, and ``pytest -k`` selects them by the id as written."""

from __future__ import annotations

import json

import pytest

from tests.support.pytest_runs import one_experiment, run_plain_pytest, write_yaml

IDS = ["東京", "a b", "a-b", "a_b", "q[1]"]


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    folder = tmp_path_factory.mktemp("ids")
    rows = [{"id": key, "q": f"Question {n}?", "a": f"A{n}"} for n, key in enumerate(IDS)]
    (folder / "rows.jsonl").write_text("".join(json.dumps(row) + "\n" for row in rows))
    experiment = one_experiment()
    experiment.update(
        id="ids",
        dataset={"path": "rows.jsonl", "fields": {"input": "q", "expected": "a", "id": "id"}},
    )
    write_yaml(folder / "x.yaml", [experiment])
    return folder


def _selected(project, *args: str) -> list[str]:
    result = run_plain_pytest(
        project, "--parity-config=x.yaml", "--collect-only", "-q", "-p", "no:cacheprovider", *args
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return [line for line in result.stdout.splitlines() if line.startswith("x.yaml::")]


def test_node_ids_stay_safe(project):
    assert _selected(project) == [
        "x.yaml::ids[x]",
        "x.yaml::ids[a_b]",
        "x.yaml::ids[a_b_2]",
        "x.yaml::ids[a_b_3]",
        "x.yaml::ids[q_1]",
    ]


@pytest.mark.parametrize(
    ("keyword", "node_id"),
    [("東京", "x.yaml::ids[x]"), ("a-b", "x.yaml::ids[a_b_2]"), ("q[1]", "x.yaml::ids[q_1]")],
)
def test_k_selects_the_id_as_written(project, keyword, node_id):
    assert _selected(project, "-k", keyword) == [node_id]
