"""``reports/latest`` names the newest run and ``--eval-keep-reports N`` prunes the oldest run
folders Parity made, in a serial run and in an xdist controller, leaving everything else in
``reports/`` alone."""

from __future__ import annotations

import os

from parity.record.run_dirs import LATEST_LINK, RUN_MARK
from tests.support.fake_llm_server import FakeLLMServer
from tests.support.pytest_runs import SECRET, answer_from_gold, api_config, clean_env, run_pytest


def runs_in(reports) -> list[str]:
    return sorted(p.name for p in reports.iterdir() if (p / RUN_MARK).is_file() and not
                  p.is_symlink())  # fmt: skip


def test_the_oldest_runs_are_pruned_and_latest_names_the_newest(tmp_path):
    reports = tmp_path / "reports"
    reports.mkdir()
    users = reports / "20200101-000000"  # a timestamped folder Parity did not make
    users.mkdir()
    (users / "summary.json").write_text("{}")
    (reports / "notes.txt").write_text("mine")
    env = clean_env(OPENAI_API_KEY=SECRET)
    outputs = []
    with FakeLLMServer("openai", reply=answer_from_gold) as server:
        config = api_config(tmp_path, server, num_examples=2)
        for _ in range(3):
            result = run_pytest(tmp_path, f"--eval-config={config}", "--eval-keep-reports=2",
                                env=env)  # fmt: skip
            assert result.returncode == 0, result.stdout[-3000:]
            outputs.append(result.stdout.split("reports: ")[-1].split()[0])
    made = [os.path.basename(path) for path in outputs]
    assert runs_in(reports) == made[1:]
    assert os.readlink(reports / LATEST_LINK) == made[-1]
    assert (reports / LATEST_LINK / "api_exp.jsonl").is_file()
    assert (users / "summary.json").read_text() == "{}"
    assert (reports / "notes.txt").read_text() == "mine"


def test_keep_zero_keeps_every_run(tmp_path):
    env = clean_env(OPENAI_API_KEY=SECRET)
    with FakeLLMServer("openai", reply=answer_from_gold) as server:
        config = api_config(tmp_path, server, num_examples=2)
        for _ in range(3):
            result = run_pytest(tmp_path, f"--eval-config={config}", "--eval-keep-reports=0",
                                env=env)  # fmt: skip
            assert result.returncode == 0, result.stdout[-3000:]
    assert len(runs_in(tmp_path / "reports")) == 3


def test_the_xdist_controller_prunes_and_points_latest(tmp_path):
    env = clean_env(OPENAI_API_KEY=SECRET)
    with FakeLLMServer("openai", reply=answer_from_gold) as server:
        config = api_config(tmp_path, server, num_examples=4)
        for _ in range(2):
            result = run_pytest(tmp_path, f"--eval-config={config}", "--eval-keep-reports=1",
                                "-n", "2", env=env)  # fmt: skip
            assert result.returncode == 0, result.stdout[-3000:]
    (newest,) = runs_in(tmp_path / "reports")
    assert os.readlink(tmp_path / "reports" / LATEST_LINK) == newest
    assert len((tmp_path / "reports" / newest / "api_exp.jsonl").read_text().splitlines()) == 4


def test_a_run_with_its_own_report_dir_leaves_reports_alone(tmp_path):
    env = clean_env(OPENAI_API_KEY=SECRET)
    with FakeLLMServer("openai", reply=answer_from_gold) as server:
        config = api_config(tmp_path, server, num_examples=2)
        for _ in range(2):
            result = run_pytest(tmp_path, f"--eval-config={config}", env=env)
            assert result.returncode == 0, result.stdout[-3000:]
        mine = run_pytest(tmp_path, f"--eval-config={config}", "--eval-report-dir=mine",
                          "--eval-keep-reports=1", env=env)  # fmt: skip
    assert mine.returncode == 0, mine.stdout[-3000:]
    runs = runs_in(tmp_path / "reports")
    assert len(runs) == 2
    assert os.readlink(tmp_path / "reports" / LATEST_LINK) == runs[-1]
    assert not (tmp_path / "mine" / RUN_MARK).exists()


def test_a_negative_count_is_a_usage_error(tmp_path):
    result = run_pytest(tmp_path, "--eval-keep-reports=-1", "--collect-only")
    assert result.returncode == 4
    assert "'-1' is not a whole number >= 0" in result.stderr
