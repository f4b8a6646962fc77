"""Collection end to end: ids, -k/-m selection, dry run, bad configs, missing keys."""

from __future__ import annotations

import pytest

from tests.conftest import SHORT_HOTPOTQA
from tests.support.fake_llm_server import FakeLLMServer
from tests.support.pytest_runs import one_experiment, run_pytest, write_yaml


def config(tmp_path, **extra):
    experiments = [
        {
            "id": "hotpotqa_baseline_local",
            "model": {"name": "local:smollm2"},
            "dataset": {"name": "hotpotqa", "source": "shipped", "num_examples": 3, "seed": 42},
            "task": {"name": "rag_qa"},
            "metrics": ["exact_match", "f1"],
        },
        {
            "id": "short_gpt4o",
            "tags": ["api"],
            "model": {"name": "openai:gpt-4o"},
            "dataset": {"name": "hotpotqa", "path": str(SHORT_HOTPOTQA)},
            "task": {"name": "rag_qa"},
            "metrics": ["f1"],
        },
    ]
    return write_yaml(tmp_path / "experiments.yaml", {"experiments": experiments, **extra})


def collected(result) -> list[str]:
    return [line for line in result.stdout.splitlines() if "::test_example[" in line]


def test_collect_only_lists_readable_ids_and_calls_no_model(tmp_path):
    result = run_pytest(tmp_path, "--collect-only", "-q", f"--eval-config={config(tmp_path)}")
    assert result.returncode == 0, result.stdout + result.stderr
    ids = collected(result)
    assert len(ids) == 9
    assert any(i.endswith("test_example[short_gpt4o-5a8b57f2]") for i in ids)
    assert not (tmp_path / "reports").exists()


@pytest.mark.parametrize(
    ("selection", "expected"),
    [
        (["-k", "hotpotqa_baseline_local"], 3),
        (["-k", "gpt-4o"], 6),
        (["-k", "smollm2 and not api"], 3),
        (["-m", "api"], 6),
        (["-m", "gpt_4o and openai"], 6),
        (["-m", "local"], 3),
        (["-m", "baseline and rag_qa"], 9),
    ],
)
def test_keyword_and_marker_selection(tmp_path, selection, expected):
    result = run_pytest(
        tmp_path, "--collect-only", "-q", f"--eval-config={config(tmp_path)}", *selection
    )
    assert len(collected(result)) == expected, result.stdout + result.stderr


def test_bad_config_gives_one_clear_message_without_traceback(tmp_path):
    path = write_yaml(
        tmp_path / "bad.yaml",
        [{"id": "x", "model": {"name": "local:smollm2"}, "dataset": {"name": "hotpotqa", "num_exampels": 3},
          "task": {"name": "rag_qa"}, "metrics": ["f1"]}],
    )  # fmt: skip
    result = run_pytest(tmp_path, f"--eval-config={path}")
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert (
        f"Invalid eval config (file {path}, experiment 'x', key 'dataset.num_exampels')" in output
    )
    assert "did you mean 'dataset.num_examples'?" in output
    assert "Traceback" not in output and "raise " not in output


def test_missing_key_skips_with_the_variable_name(tmp_path):
    result = run_pytest(tmp_path, "-q", "-rs", f"--eval-config={config(tmp_path)}", "-k", "gpt-4o",
                        "--eval-allow-skipped")  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "6 skipped" in result.stdout
    assert "needs the environment variable OPENAI_API_KEY" in result.stdout


def test_options_are_documented_in_help(tmp_path):
    result = run_pytest(tmp_path, "--help")
    for option in (
        "--eval-config",
        "--eval-report-dir",
        "--eval-cache",
        "--eval-resume",
        "--eval-max-cost",
    ):
        assert option in result.stdout


def test_relative_paths_resolve_against_the_config_file(tmp_path):
    """The same config collects from any working directory."""
    project = tmp_path / "project"
    (project / "data").mkdir(parents=True)
    (project / "data" / "rows.jsonl").write_text(SHORT_HOTPOTQA.read_text())
    (project / "my_prompt.yaml").write_text("user: 'Q: {question}\\nContext: {context}'\n")
    config_file = write_yaml(
        project / "exp.yaml",
        [one_experiment(dataset={"path": "data/rows.jsonl", "source": "auto"},
                        task={"prompt": "my_prompt.yaml"})],
    )  # fmt: skip
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    result = run_pytest(elsewhere, "--collect-only", "-q", f"--eval-config={config_file}")
    assert result.returncode == 0, result.stdout + result.stderr
    assert len(collected(result)) == 2


def test_more_examples_than_rows_is_said_not_silently_clamped(tmp_path):
    with FakeLLMServer("openai") as server:
        config_file = write_yaml(
            tmp_path / "exp.yaml",
            [one_experiment(dataset={"path": str(SHORT_HOTPOTQA), "num_examples": 500},
                            model={"base_url": server.url})],
        )  # fmt: skip
        result = run_pytest(tmp_path, f"--eval-config={config_file}", "--eval-report-dir=out")
    assert result.returncode == 0, result.stdout + result.stderr
    rows = len(SHORT_HOTPOTQA.read_text().splitlines())
    assert (
        f"num_examples is 500 but only the data: {rows} rows exist; evaluating {rows}"
        in result.stdout
    )


def test_a_space_separated_config_outside_the_project_is_refused_with_the_fix(tmp_path):
    """pytest would take the path for a test path and move the rootdir (and reports/)."""
    outside, project = tmp_path / "outside", tmp_path / "project"
    outside.mkdir()
    project.mkdir()
    config_file = write_yaml(outside / "exp.yaml", [one_experiment()])
    spaced = run_pytest(project, "--collect-only", "-q", "--eval-config", str(config_file))
    assert spaced.returncode != 0
    assert f"Fix: write --eval-config={config_file}" in spaced.stderr
    joined = run_pytest(project, "--collect-only", f"--eval-config={config_file}")
    assert joined.returncode == 0 and f"rootdir: {project}" in joined.stdout
