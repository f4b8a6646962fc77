"""Files on disk: a raw file whose last line a crash cut short, a response cache that is
corrupted or cut short, and a report directory that an earlier run already wrote. Nothing
already paid for is lost, no earlier result passes for a new one, and every message names
the file."""

from __future__ import annotations

import json
import random

import pytest

from tests.support.fake_llm_server import FakeLLMServer
from tests.support.pytest_runs import (
    SECRET,
    answer_from_gold,
    api_config,
    clean_env,
    read_jsonl,
    run_pytest,
)


def test_resume_over_a_torn_last_line_keeps_every_row_parseable(tmp_path):
    env = clean_env(OPENAI_API_KEY=SECRET)
    with FakeLLMServer("openai", reply=answer_from_gold) as server:
        config = api_config(tmp_path, server, num_examples=6)
        first = run_pytest(tmp_path, f"--eval-config={config}", "--eval-report-dir=run", env=env)
        assert first.returncode == 0, first.stdout + first.stderr
        raw = tmp_path / "run" / "api_exp.jsonl"
        lines = raw.read_text().splitlines(keepends=True)
        raw.write_text("".join(lines[:3]) + lines[3][: len(lines[3]) // 2])  # crash mid-write
        resumed = run_pytest(
            tmp_path, f"--eval-config={config}", "--eval-resume=run", "--eval-cache=off", env=env
        )
        assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    rows = read_jsonl_lenient(raw)
    assert rows["unparseable"] == 1  # the torn fragment stays a line of its own
    assert len(rows["ids"]) == len(set(rows["ids"])) == 6  # every example once


@pytest.mark.parametrize("workers", [[], ["-n", "2"]], ids=["serial", "xdist"])
def test_a_report_dir_holding_an_earlier_runs_rows_is_refused_unless_resumed(tmp_path, workers):
    env = clean_env(OPENAI_API_KEY=SECRET)
    with FakeLLMServer("openai", reply=answer_from_gold) as server:
        config = api_config(tmp_path, server, num_examples=4)
        args = [f"--eval-config={config}", "--eval-cache=off"]
        first = run_pytest(tmp_path, *args, "--eval-report-dir=ci", env=env)
        assert first.returncode == 0, first.stdout + first.stderr
        raw = tmp_path / "ci" / "api_exp.jsonl"
        before, sent = raw.read_text(), len(server.requests)
        again = run_pytest(tmp_path, *args, "--eval-report-dir=ci", *workers, env=env)
        assert again.returncode == 4, again.stdout + again.stderr  # pytest's usage error
        message = again.stdout + again.stderr
        assert "ci already holds an earlier run's raw rows (api_exp.jsonl)" in message
        assert "--parity-resume=ci" in message
        assert raw.read_text() == before and len(server.requests) == sent
        resumed = run_pytest(tmp_path, *args, "--eval-resume=ci", *workers, env=env)
        assert resumed.returncode == 0, resumed.stdout + resumed.stderr
        assert raw.read_text() == before and len(server.requests) == sent  # all 4 kept


def read_jsonl_lenient(path):
    ids, bad = [], 0
    for line in path.read_text().splitlines():
        try:
            ids.append(json.loads(line)["id"])
        except json.JSONDecodeError:
            bad += 1
    return {"ids": ids, "unparseable": bad}


@pytest.mark.parametrize("damage", ["random-bytes", "cut-short"])
@pytest.mark.parametrize("mode", ["use", "refresh"])
def test_a_damaged_cache_is_moved_aside_and_the_run_completes(tmp_path, damage, mode):
    env = clean_env(OPENAI_API_KEY=SECRET)
    cache = tmp_path / "cache"
    with FakeLLMServer("openai", reply=answer_from_gold) as server:
        config = api_config(tmp_path, server, num_examples=6)
        first = run_pytest(
            tmp_path, f"--eval-config={config}", f"--eval-cache-dir={cache}", "--eval-report-dir=a",
            env=env,
        )  # fmt: skip
        assert first.returncode == 0, first.stdout + first.stderr
        path = cache / "responses.sqlite3"
        data = path.read_bytes()
        if damage == "random-bytes":
            path.write_bytes(random.Random(3).randbytes(len(data)))
        else:
            path.write_bytes(data[: len(data) // 3])
        second = run_pytest(
            tmp_path, f"--eval-config={config}", f"--eval-cache-dir={cache}",
            f"--eval-cache={mode}", "--eval-report-dir=b", "-W", "always", env=env,
        )  # fmt: skip
    assert second.returncode == 0, second.stdout + second.stderr
    assert str(path) in second.stdout and "Traceback" not in second.stdout
    assert len(read_jsonl(tmp_path / "b" / "api_exp.jsonl")) == 6
    assert list(cache.glob("responses.sqlite3.corrupt*")), list(cache.iterdir())
