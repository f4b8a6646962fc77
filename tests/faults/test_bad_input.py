"""Broken input gets one message that names the file, line or key and the fix; no
traceback, and no model is called."""

from __future__ import annotations

import pytest

from tests.support.pytest_runs import one_experiment, run_pytest, write_yaml


def test_a_placeholder_typo_stops_the_dry_run(tmp_path):
    (tmp_path / "typo.yaml").write_text("user: 'Q: {questoin}\\nContext: {context}'\n")
    config_file = write_yaml(tmp_path / "exp.yaml", [one_experiment(task={"prompt": "typo.yaml"})])
    result = run_pytest(tmp_path, "--collect-only", "-q", f"--eval-config={config_file}")
    assert result.returncode != 0
    assert "{questoin}" in result.stdout and "did you mean {question}?" in result.stdout
    assert "key 'task.prompt'" in result.stdout and "Traceback" not in result.stdout


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("broken.json", b'[{"_id": "a",', "broken.json:1: not valid JSON"),
        ("latin1.jsonl", b'{"_id": "a"}\n{"question": "caf\xe9"}\n', "latin1.jsonl:2: not UTF-8"),
    ],
)
def test_broken_data_files_get_one_message(tmp_path, name, content, expected):
    (tmp_path / name).write_bytes(content)
    config_file = write_yaml(tmp_path / "exp.yaml", [one_experiment(dataset={"path": name})])
    result = run_pytest(tmp_path, "--collect-only", "-q", f"--eval-config={config_file}")
    assert result.returncode != 0
    assert expected in result.stdout, result.stdout
    assert "Traceback" not in result.stdout + result.stderr


def test_a_config_with_broken_yaml_names_its_line(tmp_path):
    config_file = tmp_path / "exp.yaml"
    config_file.write_text("- id: exp\n  model: {name: openai:gpt-4o\n  metrics: [f1]\n")
    result = run_pytest(tmp_path, "--collect-only", "-q", f"--eval-config={config_file}")
    assert result.returncode != 0
    assert f"file {config_file}" in result.stdout and "not valid YAML at line" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr


def test_an_unknown_key_names_the_key_and_the_fix(tmp_path):
    config_file = write_yaml(tmp_path / "exp.yaml", [one_experiment(dataset={"num_exmples": 3})])
    result = run_pytest(tmp_path, "--collect-only", "-q", f"--eval-config={config_file}")
    assert result.returncode != 0
    assert "key 'dataset.num_exmples'" in result.stdout
    assert "did you mean 'dataset.num_examples'?" in result.stdout
