"""Experiment items are located at their experiment in the eval config, not at Parity's
experiment test (``parity/evals/test_experiments.py``, under ``site-packages`` once
installed): the skip lines of ``pytest -rs`` and JUnit's ``file`` and ``line``, for plain
``pytest`` and for ``--pyargs parity.evals`` (issue 30)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from tests.support.fake_llm_server import FakeLLMServer
from tests.support.pytest_runs import (
    SECRET,
    answer_from_gold,
    clean_env,
    run_plain_pytest,
    run_pytest,
)

# The experiments' id lines are lines 2 and 14 (1-based), 1 and 13 counted from 0 as
# pytest's locations count them.
CONFIG = """\
experiments:
  - id: capped
    model:
      name: openai:gpt-4o
      base_url: {url}
      max_concurrency: 1
      max_tokens: 10
      pricing: {{input_per_1m_tokens: 1000.0, output_per_1m_tokens: 1000.0}}
    dataset: {{name: hotpotqa, source: shipped, num_examples: 6}}
    task: {{name: rag_qa}}
    metrics: [f1]

  # No key for this provider: its items are skipped before they run.
  - {{id: keyless, model: {{name: "anthropic:claude-3-5-haiku-latest"}}, dataset: {{name: hotpotqa, source: shipped, num_examples: 2}}, task: {{name: rag_qa}}, metrics: [f1]}}
"""
LINES = {"capped": 1, "keyless": 13}
SKIPPED = re.compile(r"^SKIPPED \[\d+\] (.*)$", re.M)


def _run(run, tmp_path, url, folder):
    (tmp_path / "x.yaml").write_text(CONFIG.format(url=url))
    return run(
        tmp_path, "--parity-config=x.yaml", "--parity-max-cost=5", "--parity-cache=off", "-rs",
        f"--junitxml={folder}.xml", f"--parity-report-dir={folder}",
        env=clean_env(OPENAI_API_KEY=SECRET),
    )  # fmt: skip


def test_skip_lines_and_junit_name_the_experiment_in_the_config(tmp_path):
    with FakeLLMServer("openai", reply=answer_from_gold) as server:
        for run, folder in ((run_plain_pytest, "plain"), (run_pytest, "pyargs")):
            result = _run(run, tmp_path, server.url, folder)
            assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
            skips = SKIPPED.findall(result.stdout)
            assert any("max-cost" in s for s in skips), result.stdout  # skipped as it ran
            assert any("ANTHROPIC_API_KEY" in s for s in skips), result.stdout  # before it ran
            for skip in skips:  # pytest folds a skip mark's lines away: x.yaml: reason
                line = "" if "ANTHROPIC" in skip else ":2"
                assert skip.startswith(f"x.yaml{line}: "), (folder, skip)
            cases = ET.parse(tmp_path / f"{folder}.xml").getroot().iter("testcase")
            items = [c for c in cases if "parity-gates" not in (c.get("classname") or "")]
            assert len(items) == 8
            for case in items:
                experiment = "keyless" if "keyless" in case.get("name") else "capped"
                place = (case.get("file"), case.get("line"))
                assert place == ("x.yaml", str(LINES[experiment])), (folder, case.attrib)
            assert "test_experiments.py" not in result.stdout.split("short test summary")[-1]
            assert "site-packages" not in result.stdout + (tmp_path / f"{folder}.xml").read_text()
