"""Every config error that carries a "did you mean" says it once, on its Fix line (a new
user's test found it in the message and again on the Fix line), and a missing data file gets
a Fix line that names the config file, the key and what to do. Checked at the dry run
(``pytest --collect-only``) over real configs and marked tests, as a user meets them."""

from __future__ import annotations

import textwrap

import pytest

from tests.support.pytest_runs import one_experiment, run_plain_pytest, write_yaml

ROWS = '{"id": "q1", "input": "What is the capital of France?", "expected": "Paris"}\n'
OWN_DATA = {"name": "capitals", "path": "capitals.jsonl"}

CONFIG_ERRORS = {
    "metric": ({"metrics": ["f1_score"]}, "did you mean 'f1'?"),
    "provider-alias": (
        {"model": {"name": "ollama:llama3"}},
        "did you mean 'openai-compatible'? (Ollama serves an OpenAI-compatible API; use "
        "'openai-compatible:<model>' with base_url: http://localhost:11434/v1)",
    ),
    "dataset": ({"dataset": {"name": "hotpotq", "source": "shipped"}}, "did you mean 'hotpotqa'?"),
    "task": ({"task": {"name": "rag_q"}}, "did you mean 'rag_qa'?"),
    "data-file": (
        {"dataset": {**OWN_DATA, "path": "capital.jsonl"}, "task": {"name": "rag_qa"}},
        "did you mean capitals.jsonl?",
    ),
    "fields-role": (
        {"dataset": {**OWN_DATA, "fields": {"inpt": "input"}}},
        "did you mean 'input'?",
    ),
    "key": (
        {"dataset": {"name": "hotpotqa", "source": "shipped", "num_exampels": 2}},
        "did you mean 'dataset.num_examples'?",
    ),
}

MARKER_ERRORS = {
    "metric": ("dataset='capitals.jsonl', metrics=['f1_score']", "did you mean 'f1'?"),
    "dataset": ("dataset='hotpotq', metrics=['f1']", "did you mean 'hotpotqa'?"),
    "data-file": ("dataset='capital.jsonl', metrics=['f1']", "did you mean capitals.jsonl?"),
    "fields-role": (
        "dataset='capitals.jsonl', metrics=['f1'], fields={'inpt': 'input'}",
        "did you mean 'input'?",
    ),
}


def error_lines(output: str) -> tuple[str, str]:
    """The error's message line and the line after it (its Fix line, when it has one)."""
    lines = output.splitlines()
    index = next(i for i, line in enumerate(lines) if line.startswith("Invalid "))
    return lines[index], lines[index + 1] if index + 1 < len(lines) else ""


def assert_said_once_on_the_fix_line(output: str, suggestion: str) -> None:
    message, fix = error_lines(output)
    assert output.count("did you mean") == 1, output
    assert "did you mean" not in message, message
    assert fix.startswith("  Fix: ") and suggestion in fix, (message, fix)


def config_with(change):
    experiment = one_experiment()
    for key, value in change.items():
        if key in ("dataset", "model"):  # the whole block, as the user wrote it
            experiment[key] = {**value} if key == "dataset" else {**experiment[key], **value}
        else:
            experiment[key] = value
    return [experiment]


@pytest.mark.parametrize("case", list(CONFIG_ERRORS))
def test_a_config_error_says_its_suggestion_once_on_the_fix_line(tmp_path, case):
    change, suggestion = CONFIG_ERRORS[case]
    (tmp_path / "capitals.jsonl").write_text(ROWS)
    write_yaml(tmp_path / "exp.yaml", config_with(change))
    result = run_plain_pytest(tmp_path, "-p", "no:cacheprovider", "--collect-only", "-q",
                              "--parity-config=exp.yaml")  # fmt: skip
    assert result.returncode != 0, result.stdout
    assert_said_once_on_the_fix_line(result.stdout, suggestion)


@pytest.mark.parametrize("case", list(MARKER_ERRORS))
def test_a_marker_error_says_its_suggestion_once_on_the_fix_line(tmp_path, case):
    keywords, suggestion = MARKER_ERRORS[case]
    (tmp_path / "capitals.jsonl").write_text(ROWS)
    (tmp_path / "test_mine.py").write_text(
        textwrap.dedent(f"""
        import pytest

        @pytest.mark.parity({keywords})
        def test_capitals(example):
            return example.question
        """)
    )
    result = run_plain_pytest(tmp_path, "-p", "no:cacheprovider", "--collect-only", "-q")
    assert result.returncode != 0, result.stdout
    assert_said_once_on_the_fix_line(result.stdout, suggestion)


def test_a_missing_data_file_has_a_fix_naming_the_config_the_key_and_the_file_beside_it(
    tmp_path,
):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "capitals.jsonl").write_text(ROWS)
    (tmp_path / "configs").mkdir()
    dataset = {**OWN_DATA, "path": "../data/capital.jsonl"}
    write_yaml(tmp_path / "configs" / "exp.yaml", config_with({"dataset": dataset}))
    result = run_plain_pytest(tmp_path, "-p", "no:cacheprovider", "--collect-only", "-q",
                              "--parity-config=configs/exp.yaml")  # fmt: skip
    assert result.returncode != 0, result.stdout
    message, fix = error_lines(result.stdout)
    assert "key 'dataset.path'" in message and "capital.jsonl does not exist" in message
    expected = (
        "  Fix: did you mean ../data/capitals.jsonl? Set dataset.path in configs/exp.yaml to it"
    )
    assert fix == expected, (message, fix)


def test_a_missing_data_file_with_no_file_beside_it_says_what_to_do(tmp_path):
    dataset = {**OWN_DATA, "path": "nothing_like_it.jsonl"}
    write_yaml(tmp_path / "exp.yaml", config_with({"dataset": dataset}))
    result = run_plain_pytest(tmp_path, "-p", "no:cacheprovider", "--collect-only", "-q",
                              "--parity-config=exp.yaml")  # fmt: skip
    assert result.returncode != 0, result.stdout
    message, fix = error_lines(result.stdout)
    assert "key 'dataset.path'" in message and "did you mean" not in result.stdout
    assert fix == (
        "  Fix: set dataset.path in exp.yaml to your data file (JSONL, JSON, CSV or Parquet); "
        f"a relative path is read from {tmp_path.resolve()}"
    ), (message, fix)
