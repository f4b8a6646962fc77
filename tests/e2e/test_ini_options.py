"""A fresh project names its eval config, report folder and cache in ``pyproject.toml``
(``[tool.pytest.ini_options]``), and ``pytest --pyargs parity.evals`` uses them, from the
project's folder or any folder under it."""

from __future__ import annotations

import pytest

from tests.support.fake_llm_server import FakeLLMServer
from tests.support.pytest_runs import (
    SECRET,
    answer_from_gold,
    clean_env,
    one_experiment,
    run_plain_pytest,
    run_pytest,
    write_yaml,
)


def named(name: str, **changes) -> dict:
    """One experiment with the id ``name``."""
    return {**one_experiment(**changes), "id": name}


def fresh_project(tmp_path, ini: str, experiment: dict):
    root = tmp_path / "project"
    (root / "configs").mkdir(parents=True)
    write_yaml(root / "configs" / "x.yaml", [experiment])
    (root / "pyproject.toml").write_text(f"[tool.pytest.ini_options]\n{ini}")
    (root / "sub").mkdir()
    return root


@pytest.mark.parametrize("key", ["eval_config", "parity_config"])
@pytest.mark.parametrize("where", [".", "sub"])
def test_the_ini_file_names_the_config(tmp_path, key, where):
    root = fresh_project(tmp_path, f'{key} = "configs/x.yaml"\n', named("ini_exp"))
    result = run_pytest(root / where, "--collect-only", "-q")
    assert result.returncode == 0, result.stdout + result.stderr
    ids = [line for line in result.stdout.splitlines() if "::" in line]
    assert ids and all("ini_exp" in line for line in ids), result.stdout


def test_the_command_line_config_wins_over_the_ini_file(tmp_path):
    root = fresh_project(tmp_path, 'eval_config = "configs/x.yaml"\n', named("ini_exp"))
    write_yaml(root / "mine.yaml", [named("cli_exp")])
    result = run_pytest(root / "sub", "--collect-only", "-q", "--parity-config=../mine.yaml")
    ids = [line for line in result.stdout.splitlines() if "::" in line]
    assert ids and all("cli_exp" in line for line in ids), result.stdout + result.stderr


def test_plain_pytest_collects_the_config_the_ini_file_names(tmp_path):
    """No --pyargs, no option: the ini file alone names the config, whose items pytest
    collects under its path."""
    root = fresh_project(tmp_path, 'parity_config = "configs/x.yaml"\n', named("ini_exp"))
    result = run_plain_pytest(root, "--collect-only", "-q", "-p", "no:cacheprovider")
    ids = [line for line in result.stdout.splitlines() if "::" in line]
    assert ids and all(line.startswith("configs/x.yaml::") for line in ids), result.stdout
    assert all("ini_exp" in line for line in ids)


def test_a_spaced_primary_config_outside_the_project_is_refused_with_the_fix(tmp_path):
    root = fresh_project(tmp_path, "", named("ini_exp"))
    outside = write_yaml(tmp_path / "outside.yaml", [named("out_exp")])
    spaced = run_pytest(root, "--collect-only", "-q", "--parity-config", str(outside))
    assert spaced.returncode != 0
    assert f"Fix: write --parity-config={outside}" in spaced.stderr


@pytest.mark.parametrize("workers", [[], ["-n", "2"]], ids=["serial", "xdist"])
def test_a_run_writes_where_the_ini_file_says(tmp_path, workers):
    ini = 'parity_config = "configs/x.yaml"\nparity_report_dir = "out/run"\nparity_cache_dir = "cache"\n'
    with FakeLLMServer("openai", reply=answer_from_gold) as server:
        experiment = named("ini_exp", model={"name": "openai:gpt-4o", "base_url": server.url})
        root = fresh_project(tmp_path, ini, experiment)
        result = run_pytest(root / "sub", "-q", *workers, env=clean_env(OPENAI_API_KEY=SECRET))
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert (root / "out" / "run" / "ini_exp.jsonl").is_file()
    assert (root / "cache").is_dir()
    assert not (root / "sub" / "out").exists() and not (root / "reports").exists()
