"""The config errors a new user meets first carry the one matcher's suggestion (issue 30,
point 7): ``metrics: [f1_score]`` is told ``f1``, and ``ollama:llama3`` is told
``openai-compatible`` with Ollama's base URL instead of "did you mean 'vllm'?". Checked at
the dry run (``pytest --collect-only``) as a user runs it, and at ``load_config``."""

from __future__ import annotations

import pytest

from parity.config.config import load_config
from parity.config.errors import ConfigError
from tests.support.pytest_runs import one_experiment, run_pytest, write_yaml

F1_SCORE = {"metrics": ["f1_score"]}
OLLAMA = {"model": {"name": "ollama:llama3"}}


def config_with(tmp_path, change):
    experiment = one_experiment()
    if "model" in change:  # the whole model block, as the user wrote it
        experiment["model"] = change["model"]
    else:
        experiment.update(change)
    return write_yaml(tmp_path / "exp.yaml", [experiment])


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            F1_SCORE,
            ["key 'metrics'", "unknown metric 'f1_score'; valid:", "Fix: did you mean 'f1'?"],
        ),
        (
            OLLAMA,
            [
                "key 'model.name'",
                "unknown provider 'ollama'; valid:",
                "Fix: did you mean 'openai-compatible'?",
                "use 'openai-compatible:<model>' with base_url: http://localhost:11434/v1",
            ],
        ),
    ],
)
def test_load_config_suggests(tmp_path, change, expected):
    with pytest.raises(ConfigError) as caught:
        load_config(config_with(tmp_path, change))
    message = str(caught.value)
    for text in expected:
        assert text in message
    assert "did you mean 'vllm'" not in message


def test_the_dry_run_shows_both_suggestions(tmp_path):
    for change, expected in (
        (F1_SCORE, "did you mean 'f1'?"),
        (OLLAMA, "did you mean 'openai-compatible'? (Ollama serves an OpenAI-compatible API"),
    ):
        config_file = config_with(tmp_path, change)
        result = run_pytest(tmp_path, "--collect-only", "-q", f"--eval-config={config_file}")
        assert result.returncode != 0, result.stdout
        assert expected in result.stdout, result.stdout
        assert "did you mean 'vllm'" not in result.stdout
        assert "Traceback" not in result.stdout + result.stderr


def test_a_missing_config_file_suggests_the_file_of_a_close_name_beside_it(tmp_path):
    (tmp_path / "experiments.yaml").write_text("[]\n")
    with pytest.raises(ConfigError) as raised:
        load_config(tmp_path / "experiment.yaml")
    assert f"did you mean {tmp_path / 'experiments.yaml'}?" in str(raised.value)


def test_a_marker_spelled_with_a_dash_selects_its_items_and_says_so(tmp_path):
    """``-m openai-compatible`` selected nothing (pytest's marker is ``openai_compatible``)."""
    config_file = write_yaml(tmp_path / "cfg.yaml", [one_experiment()])
    result = run_pytest(
        tmp_path, "--collect-only", "-q", f"--eval-config={config_file}", "-m", "openai-compatible"
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 tests collected" in result.stdout or "2/" in result.stdout
    assert "-m 'openai-compatible' is read as -m 'openai_compatible'" in result.stdout
