"""A YAML experiment on your own data: ``dataset: {name, path | hub, fields}`` reads your file
(relative to the config) or Hugging Face dataset; ``name`` is only your label."""

from __future__ import annotations

import json
import re

import pytest

from parity.cases.cases import build_plan
from parity.config.config import load_config
from parity.config.errors import ConfigError
from tests.conftest import experiment

FIELDS = {"input": "q", "expected": "a", "context": "ctx", "id": "id"}
ROWS = [
    {"id": f"q{n:02d}", "q": f"Capital number {n}?", "a": f"City {n}", "ctx": ["One.", "Two."]}
    for n in range(1, 4)
]


def own(**dataset):
    return experiment(id="geo", dataset=dataset)


@pytest.fixture
def data_file(tmp_path):
    (tmp_path / "data").mkdir()
    path = tmp_path / "data" / "capitals.jsonl"
    path.write_text("".join(json.dumps(row) + "\n" for row in ROWS))
    return path


def test_a_file_relative_to_the_config_is_read_and_labelled_with_name(
    write_config, data_file, monkeypatch, tmp_path
):
    config = load_config(
        write_config([own(name="capitals", path="data/capitals.jsonl", fields=FIELDS)])
    )
    monkeypatch.chdir(tmp_path.parent)  # the path does not depend on where pytest runs
    plan = build_plan(config)
    assert [case.id for case in plan.cases] == ["geo-q01", "geo-q02", "geo-q03"]
    case = plan.cases[0]
    assert (case.example.question, case.example.answers) == ("Capital number 1?", ("City 1",))
    assert case.example.context == "One.\nTwo."
    assert case.experiment.dataset.name == "capitals" and "capitals" in case.keywords()
    assert "hotpotqa" not in case.keywords()


def test_without_fields_or_name_the_default_keys_and_the_file_stem_are_used(write_config, tmp_path):
    (tmp_path / "mine.csv").write_text("input,expected\nWhere?,Here\n")
    plan = build_plan(load_config(write_config([own(path="mine.csv")])))
    assert [(c.example.question, c.experiment.dataset.name) for c in plan.cases] == [
        ("Where?", "mine")
    ]


def test_a_bad_row_stops_planning_with_the_file_line_key_and_fix(write_config, data_file):
    data_file.write_text('{"id": "q01", "question": "x", "a": "y"}\n')
    config = load_config(write_config([own(name="capitals", path="data/capitals.jsonl",
                                           fields={"input": "q", "expected": "a"})]))  # fmt: skip
    with pytest.raises(ConfigError) as info:
        build_plan(config)
    message = str(info.value)
    assert "experiment 'geo', key 'dataset'" in message
    assert f"{data_file}:1 (row 1) has no value for 'q' (fields.input)" in message
    assert "the row's keys are: id, question, a. Fix:" in message


def test_a_hugging_face_dataset_folder_beside_the_config_is_read(
    write_config, tmp_path, monkeypatch
):
    import datasets

    monkeypatch.setattr(datasets.config, "HF_DATASETS_CACHE", str(tmp_path / "cache"))
    folder = tmp_path / "myorg" / "capitals"
    folder.mkdir(parents=True)
    (folder / "test.jsonl").write_text("".join(json.dumps(row) + "\n" for row in ROWS))
    config = load_config(write_config([own(hub="myorg/capitals", split="test", fields=FIELDS)]))
    spec = config.experiments[0].dataset
    assert (spec.name, spec.hub, spec.source) == ("capitals", str(folder), "hub")
    plan = build_plan(config)
    assert [case.example.id for case in plan.cases] == ["q01", "q02", "q03"]


def test_a_hub_id_with_no_local_folder_is_kept_for_datasets_to_resolve(write_config):
    config = load_config(write_config([own(hub="rajpurkar/squad", split="validation",
                                           fields={"input": "question", "expected": "answers"})]))  # fmt: skip
    spec = config.experiments[0].dataset
    assert (spec.name, spec.hub, spec.path) == ("squad", "rajpurkar/squad", None)


@pytest.mark.parametrize(
    ("dataset", "key", "message"),
    [
        ({"name": "capitals"}, "dataset.name",
         r"unknown dataset 'capitals'.*\n  Fix: To evaluate your own rows, add path: "),
        ({"name": "hotpot"}, "dataset.name",
         r"Fix: did you mean 'hotpotqa'\? To evaluate your own rows"),
        ({"name": "capitals", "fields": FIELDS}, "dataset",
         r"your own data needs 'path' \(a file\) or 'hub'"),
        ({"path": "data/capitals.jsonl", "hub": "a/b"}, "dataset.hub", r"set 'path' or 'hub'"),
        ({"path": "data/capitals.jsonl", "split": "test"}, "dataset.split",
         r"'split' applies to a Hugging Face dataset"),
        ({"path": "data/capitals.jsonl", "fields": {"answer": "a"}}, "dataset.fields",
         r"fields: unknown role 'answer'; valid roles are input, expected, context, id"),
        ({"path": "data/capitals.jsonl", "source": "hub"}, "dataset.source",
         r"unknown key in 'dataset' \(your own data\)"),
    ],
)  # fmt: skip
def test_bad_own_data_blocks_get_one_message_naming_the_key(write_config, dataset, key, message):
    with pytest.raises(ConfigError) as info:
        load_config(write_config([own(**dataset)]))
    assert f"key '{key}'" in str(info.value)
    assert re.search(message, str(info.value)), str(info.value)


def test_a_missing_file_is_reported_with_the_close_name_beside_it(write_config, data_file):
    config = load_config(write_config([own(name="capitals", path="data/capital.jsonl")]))
    with pytest.raises(ConfigError, match=r"data/capital\.jsonl does not exist\n  Fix: did you mean "
                       r"data/capitals\.jsonl\? Set dataset\.path in "):  # fmt: skip
        build_plan(config)


def test_your_rows_under_a_registered_name_are_told_how_to_map_their_keys(write_config, data_file):
    config = load_config(write_config([own(name="hotpotqa", path="data/capitals.jsonl")]))
    with pytest.raises(ConfigError, match=r"row 1 of dataset 'hotpotqa' lacks field\(s\) .*For "
                       r"rows of your own layout, map their keys with fields: \{input: "):  # fmt: skip
        build_plan(config)


def test_shots_come_from_your_rows_that_are_not_evaluated(write_config, data_file):
    config = load_config(write_config([own(name="capitals", path="data/capitals.jsonl",
                                           fields=FIELDS, num_examples=2, num_shots=1)]))  # fmt: skip
    plan = build_plan(config)
    chosen = {case.example.id for case in plan.cases}
    (shot,) = plan.cases[0].shots
    assert len(chosen) == 2 and shot.id not in chosen and shot.id in {"q01", "q02", "q03"}


def test_an_experiment_that_cannot_run_here_does_not_fetch_its_hub_data(write_config, monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    data = own(hub="someorg/not-fetched", split="test", fields=FIELDS)
    data["model"] = {"name": "openai:gpt-4o"}
    (case,) = build_plan(load_config(write_config([data]))).cases
    assert case.id == "geo-unavailable" and "OPENAI_API_KEY" in case.skip_reason
    assert "fetched only when it can run" in case.skip_reason
