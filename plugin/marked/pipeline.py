"""Your own pipeline as the system under test: ``@pytest.mark.parity(...)`` on a test function.

The marker's keywords describe an experiment as a config entry does (dataset, sampling,
metrics, thresholds, baseline, model); the test receives one ``example`` per item and
returns its prediction. This module turns a marker into an :class:`~parity.config.config.Experiment`,
its data into examples, and a finished call into the one :class:`~parity.record.record.EvalRecord`
that every report is derived from.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from parity.cases.cases import sample_examples
from parity.config.config import (
    SOURCES,
    THRESHOLD_MODES,
    DatasetConfig,
    Experiment,
    ModelConfig,
    _score_map,
    check_score_keys,
    parse_metrics,
    parse_model,
)
from parity.config.errors import ConfigError, DataError, MissingDataFile
from parity.config.schema import Context, Field, check_mapping, non_negative, positive
from parity.engine.execution import score_prediction
from parity.evals.datasets import DATASETS, Example
from parity.marked.own_data import load_own_data
from parity.record.record import MODEL_STAGE, EvalRecord
from parity.record.usage import Usage

MARKER = "parity"
PIPELINE_MODE = "pipeline"
PIPELINE_STAGE = "pipeline"
DEFAULT_TASK_LABEL = "custom"
DEFAULT_MODEL = "local:smollm2"
MARKER_SOURCE = "parity marker"
# The model of a test that never asks for parity_model (a classifier of its own).
NO_MODEL = ModelConfig(name="no model", provider="", model="")
# Keys that decide the examples: read from the function (and its class/module), not a param.
DATA_KEYS = ("dataset", "fields", "split", "source", "num_examples", "seed")
MARKER_SCHEMA = {
    "dataset": Field(
        (object,), required=True, example="'hotpotqa', 'cases.jsonl' or a list of dicts"
    ),
    "fields": Field((dict,), example="{'input': 'question', 'expected': 'answer'}"),
    "split": Field((str,), example="'validation'"),
    "source": Field((str,), choices=SOURCES),
    "num_examples": Field((int,), nullable=True, check=positive, example="32"),
    "seed": Field((int,), example="42"),
    "metrics": Field((list,), required=True, example="['f1']"),
    "thresholds": Field((dict,), check=_score_map, example="{'f1': 0.5}"),
    "item_thresholds": Field((dict,), check=_score_map, example="{'f1': 0.1}"),
    "threshold_mode": Field((str,), choices=THRESHOLD_MODES),
    "baseline": Field((str,), example="'test_rag_v1'"),
    "max_drop": Field((dict,), check=_score_map, example="{'f1': 0.05}"),
    "min_gain": Field((dict,), check=_score_map, example="{'f1': 0.02}"),
    "model": Field((str, dict), example="'openai:gpt-4o-mini'"),
    "name": Field((str,), example="'rag_v2'"),
    "task": Field((str,), example="'rag'"),
    "tags": Field((list,), example="['smoke']"),
    "max_tokens": Field((int,), check=positive, example="64"),
    "n_eval_seeds": Field((int,), check=non_negative, example="3"),
}
_UNSAFE_ID = re.compile(r"[^A-Za-z0-9_.]+")


def experiment_id(name: str, variant: str | None) -> str:
    """``name``, or ``name_variant`` for a test parametrized beyond its examples, in the
    characters an experiment id may hold (raw file and summary names derive from it)."""
    raw = f"{name}_{variant}" if variant else name
    return _UNSAFE_ID.sub("_", raw).strip("_") or "pipeline"


def merged_kwargs(marks: Sequence[Any], path: str) -> dict[str, Any]:
    """The keywords of several ``parity`` marks, later ones overriding earlier ones."""
    merged: dict[str, Any] = {}
    for mark in marks:
        if mark.args:
            raise ConfigError(
                path, "the parity marker takes keyword arguments only", source=MARKER_SOURCE,
                fix="e.g. @pytest.mark.parity(dataset='hotpotqa', metrics=['f1'])",
            )  # fmt: skip
        merged.update(mark.kwargs)
    return merged


@dataclass(frozen=True)
class PipelineDef:
    """One marked test function: its file, name, merged marker keywords and node id."""

    path: str
    function: str
    kwargs: Mapping[str, Any]
    nodeid: str
    uses_model: bool = True  # the test (or a fixture it uses) asks for parity_model

    def context(self, experiment: str | None = None) -> Context:
        """Where an error in this marker is: the test file and the experiment."""
        return Context(self.path, experiment or self.function, source=MARKER_SOURCE)

    def check(self) -> None:
        """Every key known and of its type; metrics registered; score names computed."""
        ctx = self.context()
        check_mapping(self.kwargs, MARKER_SCHEMA, ctx, "the parity marker")
        metrics = parse_metrics(list(self.kwargs["metrics"]), ctx)
        check_score_keys(self.kwargs, metrics, ctx)

    def examples(self) -> tuple[list[Example], str]:
        """The sampled examples (seeded, in data order) and where they came from."""
        kwargs = self.kwargs
        try:
            loaded = load_own_data(
                kwargs["dataset"],
                kwargs.get("fields"),
                Path(self.path).parent,
                kwargs.get("split"),
                kwargs.get("source", "auto"),
            )
        except DataError as exc:
            fix = (
                exc.fix_for("dataset=", Path(self.path))
                if isinstance(exc, MissingDataFile)
                else exc.fix
            )
            raise self.context().error(str(exc), key="dataset", fix=fix) from None
        examples = loaded.examples
        dataset = kwargs["dataset"]
        if isinstance(dataset, str) and dataset in DATASETS.names():
            examples = DATASETS.get(dataset).select(examples, self.seed)
        return sample_examples(examples, kwargs.get("num_examples"), self.seed), loaded.note

    @property
    def name(self) -> str:
        """The experiment name: the marker's ``name=``, else the test function's name."""
        return str(self.kwargs.get("name") or self.function)

    @property
    def seed(self) -> int:
        """The sampling seed (42, as in config experiments)."""
        return int(self.kwargs.get("seed", 42))

    def dataset_name(self) -> str:
        """How reports name the data: the registered name, the file name, or ``rows``."""
        dataset = self.kwargs["dataset"]
        if isinstance(dataset, (str, Path)):
            return Path(str(dataset)).name if Path(str(dataset)).suffix else str(dataset)
        return "rows"

    def experiment(
        self, kwargs: Mapping[str, Any], variant: str | None, default_model: str | None
    ) -> Experiment:
        """The experiment of one variant: ``kwargs`` are the item's merged marker keywords."""
        exp_id = experiment_id(str(kwargs.get("name") or self.function), variant)
        ctx = self.context(exp_id)
        check_mapping(kwargs, MARKER_SCHEMA, ctx, "the parity marker")
        changed = [k for k in DATA_KEYS if kwargs.get(k) is not self.kwargs.get(k)]
        if changed:
            raise ctx.error(
                "a parametrized variant may not change the data",
                key=changed[0],
                fix="put dataset, fields, split, source, num_examples and seed on the test function",
            )
        metrics = parse_metrics(list(kwargs["metrics"]), ctx)
        check_score_keys(kwargs, metrics, ctx)
        raw_model = kwargs.get("model") or default_model or DEFAULT_MODEL
        if not self.uses_model and not kwargs.get("model"):
            model = NO_MODEL
        else:
            model = parse_model(
                {"name": raw_model} if isinstance(raw_model, str) else raw_model, ctx
            )
        if "max_tokens" in kwargs:
            model = replace(model, options={**model.options, "max_tokens": kwargs["max_tokens"]})
        return Experiment(
            id=exp_id,
            model=replace(model, mode=PIPELINE_MODE),
            dataset=DatasetConfig(
                name=self.dataset_name(),
                split=kwargs.get("split"),
                num_examples=kwargs.get("num_examples"),
                seed=self.seed,
            ),
            task=str(kwargs.get("task") or DEFAULT_TASK_LABEL),
            prompt="",
            metrics=tuple(metrics),
            tags=tuple(str(t) for t in kwargs.get("tags") or ()),
            thresholds=dict(kwargs.get("thresholds") or {}),
            item_thresholds=dict(kwargs.get("item_thresholds") or {}),
            baseline=kwargs.get("baseline"),
            max_drop=dict(kwargs.get("max_drop") or {}),
            threshold_mode=kwargs.get("threshold_mode", "mean"),
            min_gain=dict(kwargs.get("min_gain") or {}),
            n_eval_seeds=kwargs.get("n_eval_seeds", 0),
        )


def resolve_baselines(
    experiments: Mapping[str, Experiment], defs: Mapping[str, PipelineDef]
) -> dict[str, Experiment]:
    """Each experiment with its ``baseline`` resolved to an experiment id: as given, or
    ``{name}_{baseline}`` for a variant of the same test (``baseline="v1"``)."""
    resolved = {}
    for exp_id, experiment in experiments.items():
        wanted = experiment.baseline
        ctx = defs[exp_id].context(exp_id)
        if wanted is not None and wanted not in experiments:
            sibling = experiment_id(defs[exp_id].name, wanted)
            if sibling not in experiments:
                raise ctx.error(
                    f"baseline {wanted!r} names no marked test collected in this run "
                    f"(experiments: {', '.join(sorted(experiments))})",
                    key="baseline",
                    fix="name another marked test (its function or name=), or a variant id",
                )
            wanted = sibling
        if wanted == exp_id:
            raise ctx.error("a test cannot be its own baseline", key="baseline")
        resolved[exp_id] = replace(experiment, baseline=wanted)
    return resolved


def experiment_to_data(experiment: Experiment) -> dict[str, Any]:
    """A JSON-able form of ``experiment`` (sent from an xdist worker to the controller)."""
    return asdict(experiment)


def experiment_from_data(data: Mapping[str, Any]) -> Experiment:
    """The experiment :func:`experiment_to_data` described."""
    values = dict(data)
    values["model"] = ModelConfig(**values["model"])
    values["dataset"] = DatasetConfig(**values["dataset"])
    values["metrics"] = tuple(values["metrics"])
    values["tags"] = tuple(values["tags"])
    return Experiment(**values)


def prediction_text(value: Any, function: str) -> str:
    """The test's return value as a prediction string, or a clear error."""
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    if value is None:
        raise TypeError(
            f"{function} returned nothing: return the prediction (a string), or record it "
            "with parity_result.record(prediction)"
        )
    raise TypeError(
        f"{function} returned {type(value).__name__}: return the prediction as a string "
        "(the metrics compare text)"
    )


@dataclass(frozen=True)
class Exchange:
    """What a pipeline sent and the answer's text: the first fields of a :class:`ModelCall`."""

    messages: list[dict[str, str]]
    text: str


@dataclass(frozen=True)
class ModelCall(Usage, Exchange):
    """One call a pipeline made through ``parity_model``: ``messages``, ``text``, its
    :class:`~parity.record.usage.Usage` (priced) and whether the answer came from the cache."""

    cached: bool = False


def pipeline_record(
    experiment: Experiment,
    example: Example,
    index: int,
    calls: Sequence[ModelCall],
    wall_ms: float,
    prediction: str | None = None,
    error: str | None = None,
) -> EvalRecord:
    """The record of one item: the prediction scored (unless the test raised ``error``), the
    usage of every model call, and the test's wall time (the ``pipeline`` stage holds the
    time not spent waiting for the model)."""
    model_ms = sum(c.latency_ms for c in calls)
    costs = [c.cost_usd for c in calls]
    model_cost = None if any(c is None for c in costs) else sum(c for c in costs if c is not None)
    usage = {
        MODEL_STAGE: Usage(
            sum(c.input_tokens for c in calls), sum(c.output_tokens for c in calls),
            model_ms, model_cost,
        ),
        PIPELINE_STAGE: Usage(0, 0, round(max(0.0, wall_ms - model_ms), 3), 0.0),
    }  # fmt: skip
    references = list(example.answers)
    scores = {}
    if prediction is not None and error is None:
        scores = score_prediction(experiment.metrics, prediction, references)
    return EvalRecord(
        experiment_id=experiment.id,
        example_id=example.id,
        example_index=index,
        model=experiment.model.name,
        question=example.question,
        input_context=example.context,
        prompt=[c.messages for c in calls],
        raw_output=[c.text for c in calls],
        prediction=prediction or "",
        references=references,
        scores=scores,
        usage=usage,
        metadata={
            "cached": bool(calls) and all(c.cached for c in calls),
            "model_calls": len(calls),
        },
        error=error,
    )
