"""A run on a busy machine says so: a ``busy_machine`` note in ``summary.json`` and a terminal
line, from the load average sampled during the run (here a fake one, set by a plugin)."""

from __future__ import annotations

import json

from tests.support.fake_llm_server import FakeLLMServer
from tests.support.pytest_runs import (
    SECRET,
    answer_from_gold,
    api_config,
    clean_env,
    run_pytest,
)

FAKE_LOAD = "import parity.engine.load as load\n\nload.read_load = lambda: {load}\n"


def run_with_load(tmp_path, load: float):
    (tmp_path / "fake_load.py").write_text(FAKE_LOAD.format(load=load))
    with FakeLLMServer("openai", reply=answer_from_gold) as server:
        config = api_config(tmp_path, server, num_examples=2)
        env = clean_env(OPENAI_API_KEY=SECRET, PYTHONPATH=str(tmp_path))
        reports = tmp_path / f"reports-{load}"
        result = run_pytest(
            tmp_path, f"--eval-config={config}", f"--eval-report-dir={reports}", "-p",
            "fake_load", env=env,
        )  # fmt: skip
    assert result.returncode == 0, result.stdout[-3000:]
    document = json.loads((reports / "summary.json").read_text())
    return result.stdout, document["notes"]


def test_a_run_on_a_busy_machine_says_that_its_latencies_come_from_one(tmp_path):
    stdout, notes = run_with_load(tmp_path, 1000.0)
    (note,) = [n for n in notes if n.startswith("busy_machine: ")]
    assert "latencies come from a busy machine" in note
    assert f"note: {note}" in stdout


def test_a_run_on_an_idle_machine_has_no_such_note(tmp_path):
    stdout, notes = run_with_load(tmp_path, 0.0)
    assert not [n for n in notes if n.startswith("busy_machine")]
    assert "busy_machine" not in stdout
