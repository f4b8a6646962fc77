"""Config validation: every bad input names file, experiment, key and a fix."""

from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from parity.config.config import load_config, parse_config
from parity.config.errors import ConfigError
from parity.config.yaml_loader import load_yaml_file, load_yaml_text
from tests.conftest import experiment


def error_for(write_config, data) -> str:
    path = write_config(data)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    message = str(info.value)
    assert str(path) in message
    return message


def test_list_and_mapping_forms_are_equivalent(write_config):
    as_list = load_config(write_config([experiment()], "a.yaml"))
    as_mapping = load_config(write_config({"experiments": [experiment()]}, "b.yaml"))
    assert as_list.experiments == as_mapping.experiments
    exp = as_list.experiments[0]
    assert exp.model.provider == "local" and exp.model.model == "smollm2"
    assert exp.dataset.num_examples == 3 and exp.prompt == "rag_qa"
    assert exp.score_names() == ["exact_match", "f1"]


def test_defaults_are_merged_into_each_experiment(write_config):
    data = {"defaults": {"model": {"max_tokens": 7}}, "experiments": [experiment()]}
    exp = load_config(write_config(data)).experiments[0]
    assert exp.model.options["max_tokens"] == 7


def test_misspelled_key_suggests_the_right_one(write_config):
    bad = experiment(dataset={"name": "hotpotqa", "num_exampels": 5})
    message = error_for(write_config, [bad])
    assert "experiment 'exp_a'" in message
    assert "key 'dataset.num_exampels'" in message
    assert "did you mean 'dataset.num_examples'?" in message


def test_missing_required_key(write_config):
    bad = experiment()
    del bad["metrics"]
    message = error_for(write_config, [bad])
    assert "key 'metrics'" in message and "required" in message and "Fix: add 'metrics:'" in message


def test_wrong_type(write_config):
    bad = experiment(dataset={"name": "hotpotqa", "num_examples": "ten"})
    message = error_for(write_config, [bad])
    assert "key 'dataset.num_examples'" in message and "expected an integer" in message


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"dataset": {"name": "hotpotq"}}, "unknown dataset 'hotpotq'; valid: "),
        ({"metrics": ["f2"]}, "unknown metric 'f2'"),
        ({"model": {"name": "opnai:gpt-4o"}}, "did you mean 'openai'"),
        ({"model": {"name": "gpt-4o"}}, "must look like 'provider:model'"),
        ({"task": {"name": "rag"}}, "unknown task 'rag'"),
        ({"thresholds": {"f3": 0.2}}, "'f3' is not a score this experiment computes"),
        ({"baseline": {"experiment": "x"}}, "key 'baseline.run'"),
        ({"threshold_mode": "median"}, "'median' is not one of mean, lower_bound"),
        ({"min_gain": {"f9": 0.1}}, "'f9' is not a score this experiment computes"),
        ({"id": "has space"}, "may hold only letters"),
    ],
)
def test_unknown_names_and_bad_values(write_config, overrides, expected):
    assert expected in error_for(write_config, [experiment(**overrides)])


def test_duplicate_ids_and_dangling_baseline(write_config):
    assert "two experiments share this id" in error_for(write_config, [experiment(), experiment()])
    dangling = experiment(id="b", baseline="exp_aa", max_drop={"f1": 0.05})
    message = error_for(write_config, [experiment(), dangling])
    assert "baseline 'exp_aa' names no experiment" in message and "did you mean 'exp_a'" in message


def test_yaml_syntax_error_names_the_line(write_config):
    message = error_for(write_config, "- id: a\n  model: {name: [unclosed\n")
    assert "not valid YAML at line" in message


def test_empty_and_missing_files(write_config, tmp_path):
    assert "the file is empty" in error_for(write_config, "")
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(tmp_path / "nope.yaml")


def test_unknown_top_level_key(write_config):
    message = error_for(write_config, {"experiments": [experiment()], "experiment_defaults": {}})
    assert "key 'experiment_defaults'" in message


def test_metric_without_its_package_names_the_install(write_config, monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: None if name == "rouge_score" else real(name, *a),
    )
    message = error_for(write_config, [experiment(metrics=["rougeL"])])
    assert "needs the package rouge-score" in message and "parity-evals[metrics]" in message


def test_report_dir_is_not_a_config_key_it_is_an_option():
    """``report_dir:`` was accepted and ignored; now it is refused with the valid keys."""
    from parity.config.config import parse_config

    with pytest.raises(ConfigError) as error:
        parse_config({"experiments": [experiment()], "report_dir": "out"}, "t.yaml")
    assert "key 'report_dir'" in str(error.value) and "experiments, defaults" in str(error.value)


def test_repeats_need_sampling(write_config):
    message = error_for(write_config, [experiment(repeats=3)])
    assert "key 'repeats'" in message and "set model.temperature above 0" in message


@pytest.mark.parametrize(
    ("model", "expected"),
    [
        ({"mode": "compressed"}, "mode: compressed needs a compressor"),
        ({"compression": {"method": "extractive"}}, "applies only to a compressed experiment"),
        ({"mode": "compressed", "compression": {"method": "extractiv"}},
         "key 'model.compression.method'): unknown compressor 'extractiv'; valid: "),
        ({"mode": "compressed", "compression": {"method": "extractive", "rate": 1.5}},
         "must be above 0 and at most 1"),
        ({"mode": "compressed", "compression": {"method": "extractive", "ranker": "tfidf"}},
         "'tfidf' is not one of minilm, bm25"),
    ],
    ids=["no-compressor", "not-compressed", "typo", "rate", "ranker"],
)  # fmt: skip
def test_compression_settings_are_checked(write_config, model, expected):
    message = error_for(write_config, [experiment(model={"name": "local:smollm2", **model})])
    assert expected in message


def test_scalebench_scaledown_form_is_a_compressed_experiment(write_config):
    from parity.config.config import load_config

    model = {"name": "openai:gpt-4o", "mode": "scaledown",
             "scaledown": {"rate": "auto", "compression_model": "gemini-2.5-flash"}}  # fmt: skip
    parsed = load_config(write_config([experiment(model=model)])).experiments[0].model
    assert parsed.compression == {"method": "scaledown", "rate": "auto",
                                  "compression_model": "gemini-2.5-flash"}  # fmt: skip
    assert "scaledown" not in parsed.options
    bad = {**model, "scaledown": {"rate": "half"}}
    assert "must be 'auto' or a number from 0 to 1" in error_for(
        write_config, [experiment(model=bad)]
    )


def test_conditions_expand_into_one_experiment_each_with_shots_ids_and_keywords():
    from parity.cases.cases import build_plan

    raw = experiment(id="b77", dataset={"name": "banking77", "source": "shipped", "num_examples": 2},
                     task={"name": "classification"}, metrics=["accuracy"],
                     conditions=["zero-shot", "5-shot", "lora-500"])  # fmt: skip
    config = parse_config([raw], "t.yaml")
    assert [(e.id, e.condition, e.dataset.num_shots) for e in config.experiments] == [
        ("b77_zero_shot", "zero-shot", 0), ("b77_5_shot", "5-shot", 5), ("b77_lora_500", "lora-500", 0),
    ]  # fmt: skip
    cases = build_plan(config).cases
    assert "5-shot" in cases[2].keywords() and len(cases[2].shots) == 5
    lora = [c for c in cases if c.experiment.condition == "lora-500"]
    assert lora and all("serves LoRA adapters" in (c.skip_reason or "") for c in lora)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"model": {"name": "openai:gpt-4o"}, "condition": "lora-full"},
         r"key 'condition'\): condition 'lora-full' fine-tunes the model, but openai:gpt-4o is an API model"),
        ({"conditions": ["zero-shot", "3-shot"]}, r"'3-shot' is not a condition\n  Fix: did you mean '5-shot'"),
        ({"condition": "5-shot", "dataset": {"name": "hotpotqa", "num_shots": 3}},
         r"condition '5-shot' means 5 shots, but dataset.num_shots is 3"),
        ({"condition": "5-shot", "conditions": ["zero-shot"]}, r"set 'condition' or 'conditions', not both"),
    ],
)  # fmt: skip
def test_bad_conditions_get_one_clear_message(changes, message):
    with pytest.raises(ConfigError, match=message):
        parse_config([experiment(**changes)], "t.yaml")


SCALARS = st.none() | st.booleans() | st.integers() | st.text(max_size=20)
YAML_VALUES = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=200, deadline=None)
@given(YAML_VALUES)
def test_the_bounded_loader_reads_what_safe_load_reads(value):
    text = yaml.safe_dump(value, allow_unicode=True)
    assert load_yaml_text(text, "x.yaml") == yaml.safe_load(text)


def test_every_shipped_yaml_file_loads_unchanged():
    root = Path(__file__).parents[2]
    files = sorted([*root.glob("configs/**/*.yaml"), *root.glob("prompts/*.yaml")])
    assert len(files) > 10
    for path in files:
        assert load_yaml_file(path) == yaml.safe_load(path.read_text(encoding="utf-8")), path
