"""Your own rows without an id field are named by a short hash of their content, so that
``-k <id>`` selects that row's item in each experiment, and ``-k 3`` no longer matches every
item of a ``llama3`` experiment through a row numbered 3 (issue 30)."""

from __future__ import annotations

import json
import re

from parity.evals.datasets.row_ids import content_id
from tests.support.pytest_runs import clean_env, one_experiment, run_plain_pytest, write_yaml

ROWS = [{"q": f"What is the capital of country {n}?", "a": f"City {n}"} for n in range(6)]
ITEM = re.compile(r"^x\.yaml::(\w+)\[([^\]]+)\]$", re.M)


def _project(tmp_path):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "rows.jsonl").write_text("".join(json.dumps(r) + "\n" for r in ROWS))
    dataset = {
        "name": "capitals",
        "path": "data/rows.jsonl",
        "fields": {"input": "q", "expected": "a"},
    }
    experiments = []
    for experiment_id in ("llama3_exp", "qwen_exp"):
        experiment = one_experiment(model={"name": f"openai-compatible:{experiment_id[:-4]}"})
        experiment.update(id=experiment_id, dataset=dataset)
        experiments.append(experiment)
    write_yaml(tmp_path / "x.yaml", experiments)
    return "--parity-config=x.yaml"


def _items(tmp_path, named, *args):
    result = run_plain_pytest(tmp_path, named, "--collect-only", "-q", *args, env=clean_env())
    assert result.returncode in (0, 5), result.stdout + result.stderr
    return ITEM.findall(result.stdout)


def test_k_with_a_rows_content_id_selects_its_one_item_per_experiment(tmp_path):
    named = _project(tmp_path)
    items = _items(tmp_path, named)
    hashes = [content_id(row["q"], (row["a"],), "") for row in ROWS]
    assert items == [(e, h) for e in ("llama3_exp", "qwen_exp") for h in hashes]
    for row_id in (hashes[3], hashes[0]):
        picked = _items(tmp_path, named, "-k", row_id)
        assert picked == [("llama3_exp", row_id), ("qwen_exp", row_id)]
    assert ("qwen_exp", "3") not in _items(tmp_path, named, "-k", "3")  # no bare row number
