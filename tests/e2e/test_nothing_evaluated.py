"""Nothing evaluated is not green: a run in which every experiment item was skipped (a missing
key, a missing base_url, the cost cap) ends with one loud line naming why and exit status 1,
unless ``--eval-allow-skipped``; a partly skipped run, and a run without experiment items,
are unchanged."""

from __future__ import annotations

import subprocess
import sys

from tests.support.fake_llm_server import FakeLLMServer
from tests.support.pytest_runs import (
    SECRET,
    answer_from_gold,
    api_config,
    clean_env,
    one_experiment,
    run_pytest,
    write_yaml,
)

LINE = "parity: NOTHING EVALUATED: all {n} experiment items were skipped ("
FAILS = "; the run fails (pass --parity-allow-skipped to accept a run that evaluates nothing)"


def loud_lines(result) -> list[str]:
    return [line for line in result.stdout.splitlines() if "NOTHING EVALUATED" in line]


def test_every_item_skipped_for_a_missing_key_fails_the_run(tmp_path):
    with FakeLLMServer("openai", reply=answer_from_gold) as server:
        config = api_config(tmp_path, server, num_examples=4)
        result = run_pytest(tmp_path, f"--eval-config={config}", env=clean_env())
        allowed = run_pytest(
            tmp_path, f"--eval-config={config}", "--eval-allow-skipped", env=clean_env()
        )
        assert len(server.requests) == 0
    assert result.returncode == 1, result.stdout[-3000:]
    assert "4 skipped" in result.stdout
    (line,) = loud_lines(result)
    assert line.startswith(LINE.format(n=4)) and line.endswith(FAILS)
    assert "needs the environment variable OPENAI_API_KEY" in line
    assert allowed.returncode == 0, allowed.stdout[-3000:]
    (line,) = loud_lines(allowed)
    assert line.startswith(LINE.format(n=4))
    assert line.endswith("; allowed by --parity-allow-skipped")


def test_every_item_skipped_for_a_missing_base_url_fails_the_run(tmp_path):
    experiment = one_experiment()
    del experiment["model"]["base_url"]
    config = write_yaml(tmp_path / "no_url.yaml", [experiment])
    result = run_pytest(tmp_path, f"--eval-config={config}", env=clean_env())
    assert result.returncode == 1, result.stdout[-3000:]
    (line,) = loud_lines(result)
    assert line.startswith(LINE.format(n=2)) and line.endswith(FAILS)
    assert "openai-compatible:m needs model.base_url" in line


def test_every_item_refused_by_the_cost_cap_fails_the_run(tmp_path):
    env = clean_env(OPENAI_API_KEY=SECRET)
    with FakeLLMServer("openai", reply=answer_from_gold) as server:
        config = api_config(tmp_path, server, num_examples=3, max_concurrency=1, max_tokens=10,
                            pricing={"input_per_1m_tokens": 1000.0, "output_per_1m_tokens": 1000.0})  # fmt: skip
        # each request is estimated at ~1.5k tokens = ~$1.5: a $1 cap allows none
        result = run_pytest(
            tmp_path, f"--eval-config={config}", "--eval-max-cost=1", "--eval-cache=off", env=env
        )
        assert len(server.requests) == 0
    assert result.returncode == 1, result.stdout[-3000:]
    (line,) = loud_lines(result)
    assert line.startswith(LINE.format(n=3)) and "--parity-max-cost $1.0 reached" in line


def test_under_xdist_the_controller_sees_that_nothing_was_evaluated(tmp_path):
    with FakeLLMServer("openai", reply=answer_from_gold) as server:
        config = api_config(tmp_path, server, num_examples=4)
        result = run_pytest(tmp_path, f"--eval-config={config}", "-n", "2", env=clean_env())
    assert result.returncode == 1, result.stdout[-3000:]
    (line,) = loud_lines(result)
    assert line.startswith(LINE.format(n=4)) and line.endswith(FAILS)


def test_a_partly_skipped_run_stays_green(tmp_path):
    with FakeLLMServer("openai", reply=answer_from_gold) as server:
        runnable = one_experiment(model={"base_url": server.url})
        keyless = one_experiment(model={"name": "openai:gpt-4o", "base_url": server.url})
        keyless["id"] = "keyless"
        config = write_yaml(tmp_path / "mixed.yaml", [runnable, keyless])
        result = run_pytest(tmp_path, f"--eval-config={config}", "--eval-cache=off",
                            env=clean_env())  # fmt: skip
        assert len(server.requests) == 2
    assert result.returncode == 0, result.stdout[-3000:]
    assert "2 passed, 2 skipped" in result.stdout
    assert loud_lines(result) == []


def test_a_run_without_experiment_items_is_unchanged(tmp_path):
    """Only ordinary tests, one of them skipped: pytest's own outcome, no Parity line."""
    (tmp_path / "test_plain.py").write_text(
        "import pytest\n\n"
        "def test_runs():\n    assert True\n\n"
        "@pytest.mark.skip(reason='not today')\ndef test_skipped():\n    pass\n"
    )
    for selection in ([], ["-k", "skipped"]):
        command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *selection]
        result = subprocess.run(command, cwd=tmp_path, env=clean_env(), capture_output=True,
                                text=True, timeout=120)  # fmt: skip
        assert result.returncode == 0, result.stdout[-3000:]
        assert loud_lines(result) == []


def test_a_gated_run_that_evaluated_nothing_names_the_one_option_that_applies(tmp_path):
    """Every item skipped under a threshold gate: the run failed twice over, once for
    evaluating nothing (``--parity-allow-skipped``) and once for the gate that therefore could
    not be evaluated (``--parity-allow-skipped-gates``), and passing only one still failed.
    Now the gate's line says which option does what and that ``--parity-allow-skipped``
    applies; it alone accepts the run, its gate skipped with it."""
    experiment = one_experiment(model={"name": "openai:gpt-4o-mini"})
    experiment["thresholds"] = {"f1": 0.5}
    config = write_yaml(tmp_path / "gated.yaml", [experiment])
    result = run_pytest(tmp_path, f"--parity-config={config}", env=clean_env())
    assert result.returncode == 1, result.stdout[-3000:]
    (line,) = loud_lines(result)
    assert line.endswith(
        "; the run fails (pass --parity-allow-skipped to accept a run that evaluates nothing, "
        "its failed gate skipped with it)"
    ), line
    (gate,) = [text for text in result.stdout.splitlines() if "exp::threshold::f1" in text]
    assert gate.strip().startswith("FAIL  exp::threshold::f1: could not be evaluated"), gate
    assert gate.endswith(
        "The run evaluated nothing: pass --parity-allow-skipped to accept such a run, its gates "
        "skipped with it (--parity-allow-skipped-gates is for a gate that cannot be evaluated "
        "in a run that evaluated something)"
    ), gate
    # the old spelling still works
    allowed = run_pytest(
        tmp_path, f"--parity-config={config}", "--eval-allow-skipped", env=clean_env()
    )
    assert allowed.returncode == 0, allowed.stdout[-3000:]
    (line,) = loud_lines(allowed)
    assert line.endswith("; allowed by --parity-allow-skipped"), line
    assert "SKIP  exp::threshold::f1: could not be evaluated" in allowed.stdout
    assert "(skipped: --parity-allow-skipped accepts a run that evaluates nothing)" in (
        allowed.stdout
    )
    for output in (result.stdout, allowed.stdout):
        assert "--eval-" not in output
