"""A @pytest.mark.parity marker as an experiment: its checks, ids, baselines, the record of
one item (scores, usage split into model and pipeline time) and its trip to the controller."""

from __future__ import annotations

import pytest

from parity.config.errors import ConfigError
from parity.evals.datasets import Example
from parity.marked.pipeline import (
    NO_MODEL,
    ModelCall,
    PipelineDef,
    experiment_from_data,
    experiment_id,
    experiment_to_data,
    pipeline_record,
    prediction_text,
    resolve_baselines,
)

ROWS = [{"input": "q1", "expected": "Paris"}, {"input": "q2", "expected": "Rome"}]


def definition(uses_model: bool = True, **kwargs) -> PipelineDef:
    marker = {"dataset": ROWS, "metrics": ["exact_match", "f1"], **kwargs}
    return PipelineDef("tests/test_rag.py", "test_rag", marker, "test_rag.py::test_rag", uses_model)


def test_an_unknown_marker_key_names_the_file_the_test_and_the_fix():
    with pytest.raises(ConfigError) as caught:
        definition(metrix=["f1"]).check()
    message = str(caught.value)
    assert message.startswith(
        "Invalid parity marker (file tests/test_rag.py, experiment 'test_rag', key 'metrix')"
    )
    assert "did you mean 'metrics'?" in message


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"thresholds": {"rouge1": 0.3}}, r"'rouge1' is not a score this experiment computes"),
        ({"metrics": ["f2"]}, r"unknown metric 'f2'"),
        ({"num_examples": 0}, r"must be greater than 0"),
        ({"max_drop": {"f1": "a lot"}}, r"'f1' must map to a number"),
    ],
)
def test_bad_marker_values_get_one_clear_message(kwargs, message):
    with pytest.raises(ConfigError, match=message):
        definition(**kwargs).check()


def test_the_experiment_takes_the_markers_model_and_a_test_without_one_has_none():
    experiment = definition(model="openai:gpt-4o-mini", max_tokens=32).experiment(
        definition(model="openai:gpt-4o-mini", max_tokens=32).kwargs, None, None
    )
    assert (experiment.model.name, experiment.model.mode) == ("openai:gpt-4o-mini", "pipeline")
    assert experiment.model.options["max_tokens"] == 32
    plain = definition(uses_model=False)
    assert plain.experiment(plain.kwargs, None, "openai:gpt-4o").model.name == NO_MODEL.name
    used = definition()
    assert used.experiment(used.kwargs, None, "openai:gpt-4o").model.name == "openai:gpt-4o"


def test_a_variant_may_not_change_the_data():
    base = definition()
    with pytest.raises(ConfigError, match="a parametrized variant may not change the data"):
        base.experiment({**base.kwargs, "num_examples": 1}, "v2", None)


def test_experiment_ids_hold_only_safe_characters():
    assert experiment_id("test_rag", None) == "test_rag"
    assert experiment_id("test_rag", "gpt-4o/v2") == "test_rag_gpt_4o_v2"


def test_a_baseline_names_a_test_or_a_variant_of_the_same_test():
    base = definition()
    experiments = {
        "test_rag_v1": base.experiment(base.kwargs, "v1", None),
        "test_rag_v2": base.experiment({**base.kwargs, "baseline": "v1"}, "v2", None),
    }
    owners = dict.fromkeys(experiments, base)
    assert resolve_baselines(experiments, owners)["test_rag_v2"].baseline == "test_rag_v1"
    wrong = {
        **experiments,
        "test_rag_v2": base.experiment({**base.kwargs, "baseline": "v9"}, "v2", None),
    }
    with pytest.raises(ConfigError, match=r"baseline 'v9' names no marked test"):
        resolve_baselines(wrong, owners)
    itself = {"test_rag": base.experiment({**base.kwargs, "baseline": "test_rag"}, None, None)}
    with pytest.raises(ConfigError, match="cannot be its own baseline"):
        resolve_baselines(itself, {"test_rag": base})


@pytest.mark.parametrize(("value", "expected"), [("Paris", "Paris"), (4, "4"), (0.5, "0.5")])
def test_a_returned_prediction_becomes_text(value, expected):
    assert prediction_text(value, "test_rag") == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (None, "test_rag returned nothing"),
        ({"a": 1}, "test_rag returned dict"),
        (True, "returned bool"),
    ],
)
def test_anything_else_is_a_clear_error(value, message):
    with pytest.raises(TypeError, match=message):
        prediction_text(value, "test_rag")


def test_a_record_scores_the_prediction_and_splits_model_from_pipeline_time():
    base = definition()
    experiment = base.experiment(base.kwargs, None, None)
    example = Example("q1", "Capital of France?", "ctx", ("Paris",))
    calls = [
        ModelCall([{"role": "user", "content": "a"}], "Paris.", 10, 2, 300.0, 0.001, False),
        ModelCall([{"role": "user", "content": "b"}], "Paris", 20, 1, 200.0, 0.002, True),
    ]
    record = pipeline_record(experiment, example, 0, calls, 800.0, prediction="Paris")
    assert record.scores == {"exact_match": 1.0, "f1": 1.0}
    assert (record.input_tokens, record.output_tokens) == (30, 3)
    assert record.usage["model"].latency_ms == 500.0
    assert record.usage["pipeline"].latency_ms == 300.0
    assert record.latency_ms == 800.0
    assert record.cost_usd == pytest.approx(0.003)
    assert record.raw_output == ["Paris.", "Paris"]
    assert record.metadata == {"cached": False, "model_calls": 2}
    unpriced = [*calls, ModelCall([], "x", 1, 1, 1.0, None, False)]
    assert pipeline_record(experiment, example, 0, unpriced, 800.0, "Paris").cost_usd is None
    failed = pipeline_record(experiment, example, 0, [], 5.0, error="AssertionError: no")
    assert (failed.finished, failed.scores) == (False, {})


def test_the_experiment_survives_the_trip_to_the_xdist_controller():
    base = definition(thresholds={"f1": 0.5}, tags=["smoke"], baseline="test_v1")
    experiment = base.experiment(base.kwargs, None, None)
    assert experiment_from_data(experiment_to_data(experiment)) == experiment
