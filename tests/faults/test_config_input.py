"""Bounded config input (issue 27, point 8 and D2): YAML alias bombs, duplicate keys, format
specs in prompt templates, wrongly typed dataset rows and non-UTF-8 configs are refused at
the dry run (``pytest --collect-only``) with one message naming the file, line or key and
the fix; no model is called."""

from __future__ import annotations

import json
import time

import pytest
import yaml

from parity.cases.cases import build_plan
from parity.config.config import load_config
from parity.config.errors import ConfigError, DataError
from parity.config.yaml_loader import MAX_DEPTH
from parity.train.spec import load_task_spec
from tests.support.pytest_runs import clean_env, one_experiment, run_pytest, write_yaml

# Nine levels of nine aliases: 9**9 copies of "lol", a few GB once serialized into a body.
ALIAS_BOMB = """\
- id: exp
  model:
    name: openai-compatible:m
    base_url: http://127.0.0.1:9/v1
    extra_body:
      a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
      b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
      c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
      d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
      e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
      f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
      g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
      h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
      i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
  dataset: {name: hotpotqa, source: shipped, num_examples: 2}
  task: {name: rag_qa}
  metrics: [f1]
"""


def dry_run(tmp_path, config_file):
    """``pytest --collect-only`` on ``config_file``, as a user runs it."""
    return run_pytest(tmp_path, "--collect-only", "-q", f"--eval-config={config_file}")


def assert_one_message(result, *expected: str) -> None:
    assert result.returncode != 0, result.stdout
    for text in expected:
        assert text in result.stdout, result.stdout
    assert "Traceback" not in result.stdout + result.stderr


def test_an_alias_bomb_is_refused_at_the_dry_run(tmp_path):
    config_file = tmp_path / "bomb.yaml"
    config_file.write_text(ALIAS_BOMB)
    assert config_file.stat().st_size < 1000
    result = dry_run(tmp_path, config_file)
    assert_one_message(
        result,
        f"file {config_file}",
        "YAML aliases expand the file past 1,000,000 characters",
        "key '[0].model.extra_body.",  # the alias's key and line
        "the alias at line ",
        "Fix: write the values out",
    )


def test_an_alias_bomb_is_refused_in_milliseconds(tmp_path):
    config_file = tmp_path / "bomb.yaml"
    config_file.write_text(ALIAS_BOMB.replace("lol", "x" * 50))
    started = time.perf_counter()
    with pytest.raises(ConfigError, match="YAML aliases expand"):
        load_config(config_file)
    assert time.perf_counter() - started < 1.0


def test_a_self_referencing_alias_is_refused(tmp_path):
    config_file = tmp_path / "loop.yaml"
    config_file.write_text("- &x {id: exp, tags: [*x]}\n")
    with pytest.raises(ConfigError, match="used inside its own value") as info:
        load_config(config_file)
    assert str(config_file) in str(info.value)


def test_anchors_and_merge_keys_of_a_normal_config_still_work(tmp_path):
    config_file = tmp_path / "anchors.yaml"
    config_file.write_text(
        "defaults: {tags: &tags [nightly]}\n"
        "experiments:\n"
        "  - id: a\n"
        "    model: &model {name: 'openai-compatible:m', base_url: 'http://127.0.0.1:9/v1'}\n"
        "    dataset: {name: hotpotqa}\n    task: {name: rag_qa}\n    metrics: [f1]\n"
        "  - id: b\n    model: {<<: *model, max_tokens: 8}\n    tags: *tags\n"
        "    dataset: {name: hotpotqa}\n    task: {name: rag_qa}\n    metrics: [f1]\n"
    )
    first, second = load_config(config_file).experiments
    assert second.model.options["max_tokens"] == 8 and second.tags == ("nightly",)
    assert first.model.options["base_url"] == second.model.options["base_url"]


def test_a_duplicate_key_is_refused_naming_file_line_and_key(tmp_path):
    config_file = tmp_path / "dup.yaml"
    config_file.write_text(
        "- id: x\n  id: y\n  model: {name: 'openai-compatible:m'}\n"
        "  dataset: {name: hotpotqa}\n  task: {name: rag_qa}\n  metrics: [f1]\n"
    )
    result = dry_run(tmp_path, config_file)
    assert_one_message(
        result,
        f"file {config_file}",
        "key 'id'",
        "the key 'id' appears twice in one mapping (lines 1 and 2)",
        "Fix: remove one of the two 'id:' lines",
    )


def test_a_duplicate_key_in_a_prompt_template_is_refused(tmp_path):
    template = tmp_path / "twice.yaml"
    template.write_text("user: 'Q: {question}'\nuser: 'Context: {context}'\n")
    config_file = write_yaml(tmp_path / "exp.yaml", [one_experiment(task={"prompt": "twice.yaml"})])
    with pytest.raises(ConfigError, match=r"appears twice .*lines 1 and 2") as info:
        build_plan(load_config(config_file))
    assert f"Invalid prompt template (file {template}" in str(info.value)


def test_a_duplicate_key_in_a_training_config_is_refused(tmp_path):
    tasks = tmp_path / "configs" / "tasks"
    tasks.mkdir(parents=True)
    (tasks / "fpb.yaml").write_text("prompt: classification\nprompt: rag_qa\n")
    with pytest.raises(ConfigError, match="the key 'prompt' appears twice"):
        load_task_spec("fpb", tmp_path)


@pytest.mark.parametrize(
    "placeholder", ["{question:{context}}", "{question:>999999999}", "{question!r}", "{}"]
)
def test_format_specs_and_conversions_in_a_template_are_refused(tmp_path, placeholder):
    (tmp_path / "fmt.yaml").write_text(json.dumps({"user": f"Q: {placeholder} C: {{context}}"}))
    config_file = write_yaml(tmp_path / "exp.yaml", [one_experiment(task={"prompt": "fmt.yaml"})])
    with pytest.raises(ConfigError) as info:
        build_plan(load_config(config_file))
    message = str(info.value)
    assert "key 'task.prompt'" in message and "prompt 'fmt'" in message
    assert placeholder in message, message


def test_a_format_spec_stops_the_dry_run(tmp_path):
    (tmp_path / "wide.yaml").write_text("user: 'Q: {question:>999999999}\\nC: {context}'\n")
    config_file = write_yaml(tmp_path / "exp.yaml", [one_experiment(task={"prompt": "wide.yaml"})])
    result = dry_run(tmp_path, config_file)
    assert_one_message(result, "key 'task.prompt'", "{question:>999999999}", "write {question}")


HOTPOTQA_ROW = {
    "id": "a1",
    "question": "Who?",
    "answer": "Ed",
    "context": {"title": ["T"], "sentences": [["Ed wrote it."]]},
}


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("answer", None, "field 'answer' must be a string, got null"),
        ("answer", 42, "field 'answer' must be a string, got int 42"),
        ("answer", {"text": "Ed"}, "field 'answer' must be a string, got dict"),
        ("question", ["Who?"], "field 'question' must be a string, got list"),
        ("context", "plain text", "field 'context' must be a mapping, got str"),
        ("id", None, "field 'id' must be a string or an integer, got null"),
    ],
)
def test_a_wrongly_typed_row_is_refused_naming_file_row_and_field(tmp_path, field, value, expected):
    rows = [HOTPOTQA_ROW, {**HOTPOTQA_ROW, "id": "a2", field: value}]
    (tmp_path / "rows.jsonl").write_text("".join(json.dumps(row) + "\n" for row in rows))
    config_file = write_yaml(
        tmp_path / "exp.yaml", [one_experiment(dataset={"path": "rows.jsonl", "num_examples": 2})]
    )
    with pytest.raises(ConfigError) as info:
        build_plan(load_config(config_file))
    message = str(info.value)
    assert f"rows.jsonl: row 2 of dataset 'hotpotqa': {expected}" in message, message
    assert "fix the row" in message


@pytest.mark.parametrize(
    ("answers", "expected"),
    [
        ("one answer", "field 'answers' must be a list of strings, got str"),
        ([1, 2], "field 'answers' must be a list of strings, got list [1, 2]"),
        (None, "field 'answers' must be a list of strings, got null"),
    ],
)
def test_a_list_field_holding_other_types_is_refused(tmp_path, answers, expected):
    row = {"_id": "q1", "input": "Q?", "context": "C.", "answers": answers, "dataset": "qasper"}
    (tmp_path / "rows.jsonl").write_text(json.dumps(row) + "\n")
    config_file = write_yaml(
        tmp_path / "exp.yaml",
        [one_experiment(dataset={"name": "longbench", "path": "rows.jsonl", "task": "qasper"})],
    )
    with pytest.raises(ConfigError, match=r"rows\.jsonl: row 1 of dataset 'longbench'") as info:
        build_plan(load_config(config_file))
    assert expected in str(info.value)


def test_a_nested_value_of_the_wrong_shape_names_the_row(tmp_path):
    from parity.evals.datasets import DATASETS

    row = {**HOTPOTQA_ROW, "context": {"title": ["T"], "sentences": [[1, 2]]}}
    with pytest.raises(DataError, match=r"f.jsonl: row 1 of dataset 'hotpotqa' does not have"):
        DATASETS.get("hotpotqa")._convert_all([row], "f.jsonl")


def test_answer_null_stops_the_dry_run(tmp_path):
    rows = [HOTPOTQA_ROW, {**HOTPOTQA_ROW, "id": "a2", "answer": None}]
    (tmp_path / "rows.jsonl").write_text("".join(json.dumps(row) + "\n" for row in rows))
    config_file = write_yaml(
        tmp_path / "exp.yaml", [one_experiment(dataset={"path": "rows.jsonl"})]
    )
    result = dry_run(tmp_path, config_file)
    assert_one_message(
        result, "row 2 of dataset 'hotpotqa': field 'answer' must be a string, got null"
    )


def test_a_config_that_is_not_utf8_names_the_file_and_byte(tmp_path):
    config_file = tmp_path / "latin1.yaml"
    config_file.write_bytes(b"- id: caf\xe9\n  metrics: [f1]\n")
    result = dry_run(tmp_path, config_file)
    assert_one_message(
        result,
        f"file {config_file}",
        "not UTF-8: byte 0xe9 at offset 9 (line 1)",
        "Fix: re-encode the file as UTF-8",
    )


def _nested_config(tmp_path, levels: int):
    """An experiment whose ``extra_body`` nests ``levels`` mappings deep, one key a line."""
    experiment = yaml.safe_dump([one_experiment()], sort_keys=False)
    nested = "".join(f"{'  ' * (3 + level)}k{level}:\n" for level in range(levels - 1))
    body = f"    extra_body:\n{nested}{'  ' * (2 + levels)}leaf: 1\n"
    config_file = tmp_path / "deep.yaml"
    config_file.write_text(experiment.replace("  model:\n", f"  model:\n{body}", 1))
    return config_file


def test_a_value_nested_past_the_limit_is_refused_naming_the_file_line_and_fix(tmp_path):
    assert load_config(_nested_config(tmp_path, MAX_DEPTH - 3)).experiments  # 100 in all
    config_file = _nested_config(tmp_path, 500)  # a RecursionError in _merge's deepcopy before
    result = dry_run(tmp_path, config_file)
    assert_one_message(
        result,
        f"file {config_file}",
        f"values nest 503 mappings or lists deep (limit: {MAX_DEPTH}); level {MAX_DEPTH + 1} "
        f"starts at line {MAX_DEPTH + 1}",
        "key '[0].model.extra_body.k0",
        f"Fix: flatten the value to at most {MAX_DEPTH} levels",
    )
    assert "RecursionError" not in result.stdout + result.stderr


def test_a_bad_local_row_stops_a_keyless_dry_run_of_an_experiment_that_cannot_run(tmp_path):
    rows = [{**HOTPOTQA_ROW, "context": None}]
    (tmp_path / "rows.jsonl").write_text("".join(json.dumps(row) + "\n" for row in rows))
    experiment = one_experiment(dataset={"path": "rows.jsonl"})
    experiment["model"] = {"name": "openai:gpt-4o"}  # no OPENAI_API_KEY: it cannot run here
    config_file = write_yaml(tmp_path / "exp.yaml", [experiment])
    result = run_pytest(
        tmp_path, "--collect-only", "-q", f"--eval-config={config_file}", env=clean_env()
    )
    assert_one_message(
        result,
        f"file {config_file}, experiment 'exp', key 'dataset'",
        "row 1 of dataset 'hotpotqa': field 'context' must be a mapping, got null",
    )
    assert "unavailable" not in result.stdout
