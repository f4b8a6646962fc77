"""``error_flips`` lists its examples in sample order: a run under ``-n 2``, whose records
arrive in another order, writes the same flips as a serial run."""

from __future__ import annotations

import json
import re
import time

from tests.support.fake_llm_server import FakeLLMServer
from tests.support.pytest_runs import clean_env, run_pytest, write_yaml

WRONG = {0, 4, 5, 18, 31, 58}  # the candidate's wrong answers, by row
SLOW_ROW = 5  # answered late: under -n 2 its worker reports it after the other's b18, b58
ROWS = 64


def reply(body: dict) -> str:
    """The row's answer, but a wrong one for the candidate on :data:`WRONG` rows."""
    row = int(re.search(r"QID-(\d+)", json.dumps(body["messages"])).group(1))
    if body["model"] == "cand" and row == SLOW_ROW:
        time.sleep(3)
    return "wrong" if body["model"] == "cand" and row in WRONG else f"ans{row}"


def experiment(name: str, url: str, **extra: object) -> dict:
    return {
        "id": name,
        "model": {"name": f"openai-compatible:{name}", "base_url": url, "max_concurrency": 4},
        "dataset": {
            "name": "flips",
            "path": "rows.jsonl",
            "fields": {"input": "q", "expected": "a", "id": "id"},
        },
        "task": {"name": "rag_qa"},
        "metrics": ["exact_match"],
        **extra,
    }


def flips(tmp_path, url: str, report_dir: str, *options: str) -> dict:
    config = write_yaml(
        tmp_path / "flips.yaml",
        [experiment("base", url), experiment("cand", url, baseline="base")],
    )
    result = run_pytest(
        tmp_path, f"--eval-config={config}", "--eval-cache=off",
        f"--eval-report-dir={report_dir}", *options, env=clean_env(),
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    summary = json.loads((tmp_path / report_dir / "cand_summary.json").read_text())
    return summary["comparison"]["error_flips"]


def test_serial_and_xdist_runs_list_the_same_flips_in_sample_order(tmp_path):
    rows = [{"id": f"b{i}", "q": f"QID-{i} which?", "a": f"ans{i}"} for i in range(ROWS)]
    (tmp_path / "rows.jsonl").write_text("".join(json.dumps(row) + "\n" for row in rows))
    with FakeLLMServer("openai", reply=reply) as server:
        serial = flips(tmp_path, server.url, "serial")
        parallel = flips(tmp_path, server.url, "xdist", "-n", "2")
    assert serial["candidate_wrong_baseline_right"] == {
        "wrong_label": {"count": 6, "examples": ["b0", "b4", "b5", "b18", "b31"]}
    }
    assert parallel == serial
