"""Two rows with one example id are refused at planning (issue 27, D11).

Results, resume and baselines are keyed by the example id: with two rows under one id,
every ``--eval-resume`` sent one of them again and added a row. The message names the
experiment, the id and both rows.
"""

from __future__ import annotations

import json

from tests.conftest import SHORT_HOTPOTQA
from tests.support.pytest_runs import one_experiment, run_pytest, write_yaml


def test_a_dataset_with_a_repeated_example_id_is_refused_naming_both_rows(tmp_path):
    rows = [json.loads(line) for line in SHORT_HOTPOTQA.read_text().splitlines()[:6]]
    rows[4]["id"] = rows[1]["id"]  # rows 2 and 5, counted from 1
    data = tmp_path / "rows.jsonl"
    data.write_text("".join(json.dumps(row) + "\n" for row in rows))
    config = write_yaml(
        tmp_path / "experiments.yaml",
        [one_experiment(dataset={"path": str(data), "num_examples": 2})],
    )
    result = run_pytest(tmp_path, "--collect-only", "-q", f"--eval-config={config}")
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert f"example id '{rows[1]['id']}' is given twice in file {data}" in output, output
    assert "at row 2 and at row 5" in output and "experiment 'exp'" in output, output
    assert "Fix: give every row its own id" in output, output
