"""Gates are JUnit test cases, not collected items: pytest's "collected N" and its final
"N passed" agree in a run with gates, serial and under xdist, and a failed gate is named in
the final line beside them ("5 passed, 1 gate failed"), as the reason for exit status 1
(issue 30)."""

from __future__ import annotations

import re

from tests.support.fake_llm_server import FakeLLMServer
from tests.support.pytest_runs import (
    answer_from_gold,
    clean_env,
    junit_cases,
    one_experiment,
    run_plain_pytest,
    write_yaml,
)

FINAL = re.compile(r"^=+ (.*) in [\d.]+s", re.M)


def _final_line(stdout: str) -> str:
    return FINAL.findall(stdout)[-1]


def test_collected_and_final_counts_agree_with_gates_serial_and_under_xdist(tmp_path):
    with FakeLLMServer("openai", reply=answer_from_gold) as server:
        experiment = one_experiment(model={"base_url": server.url}, dataset={"num_examples": 5})
        # Two gates: the f1 floor passes, the exact_match one (above 1) fails.
        experiment.update(metrics=["exact_match", "f1"], thresholds={"f1": 0.0, "exact_match": 2.0})
        write_yaml(tmp_path / "gates.yaml", [experiment])
        runs = {
            "serial": ("collected 5 items", []),
            "xdist": ("2 workers [5 items]", ["-n", "2"]),
        }
        for name, (collected, extra) in runs.items():
            result = run_plain_pytest(
                tmp_path, "--parity-config=gates.yaml", f"--junitxml={name}.xml",
                f"--parity-report-dir={name}", *extra, env=clean_env(),
            )  # fmt: skip
            assert result.returncode == 1, result.stdout[-3000:] + result.stderr[-2000:]
            assert collected in result.stdout, result.stdout
            assert _final_line(result.stdout) == "5 passed, 1 gate failed", result.stdout
            assert "gates: 1 passed, 1 failed, 0 skipped" in result.stdout
            cases = junit_cases(tmp_path / f"{name}.xml")
            assert sorted(key for key in cases if key.startswith("parity-gates")) == [
                "parity-gates::threshold[exp-exact_match]",
                "parity-gates::threshold[exp-f1]",
            ]
            assert len(cases) == 7  # 5 items and 2 gates
        assert len(server.requests) == 5  # the second run reads the cache
