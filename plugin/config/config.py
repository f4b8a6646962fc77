"""Load and validate an experiments YAML file into typed, immutable experiment objects."""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from parity.analysis.tco import TcoSettings
from parity.config.errors import ConfigError, DataError
from parity.config.judges import (
    JUDGE,
    JudgeCalibration,
    JudgeSpec,
    check_judges,
    is_judge_entry,
    parse_calibration,
    parse_judge,
)
from parity.config.model_config import ModelConfig
from parity.config.registry import Registry, closest
from parity.config.schema import Context, Field, check_mapping, non_negative, positive
from parity.config.suggest import suggest_file
from parity.config.sweep import expand_rates
from parity.config.yaml_loader import load_yaml_file
from parity.engine.gc_pause import paused_gc
from parity.evals.datasets import DATASETS, DatasetLoader
from parity.evals.datasets.user_data import OwnData, field_mapping
from parity.evals.metrics import METRICS
from parity.evals.tasks import TASKS
from parity.fixtures.compressors import COMPRESSORS
from parity.fixtures.providers import PROVIDERS
from parity.train.spec import trained_prompt

MODES = ("baseline", "compressed", "scaledown")
THRESHOLD_MODES = ("mean", "lower_bound")
SOURCES = ("auto", "shipped", "hub")
# The Baseweight benchmark's training-data conditions: shots for any model, a LoRA adapter
# (trained on 500 or on all training rows) for open models.
CONDITIONS = ("zero-shot", "5-shot", "lora-500", "lora-full")
CONDITION_SHOTS = {"zero-shot": 0, "5-shot": 5}
# Datasets whose Baseweight task id (configs/tasks/<id>.yaml, adapters/<model>/<id>/) differs.
BASEWEIGHT_TASKS = {"financial_phrasebank": "fpb"}
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.]*$")


def _share(value: float) -> str | None:
    return None if 0 <= value < 1 else f"must be at least 0 and below 1, got {value}"


def _score_map(value: Mapping[str, Any]) -> str | None:
    for name, limit in value.items():
        if isinstance(limit, bool) or not isinstance(limit, (int, float)):
            return f"'{name}' must map to a number, got {limit!r}"
    return None


PRICING_SCHEMA = {
    "input_per_1m_tokens": Field((float,), check=non_negative, example="2.50"),
    "output_per_1m_tokens": Field((float,), check=non_negative, example="10.00"),
    "gpu_hour_usd": Field((float,), check=non_negative, example="2.49"),
}
MODEL_SCHEMA = {
    "name": Field((str,), required=True, example="local:smollm2"),
    "mode": Field((str,), choices=MODES),
    "pricing": Field((dict,), children=PRICING_SCHEMA),
    "max_tokens": Field((int,), check=positive, example="64"),
    "temperature": Field((float,), check=non_negative, example="0.0"),
    "max_concurrency": Field((int,), check=positive, example="8"),
    "requests_per_minute": Field((float,), check=positive, example="500"),
    "tokens_per_minute": Field((float,), check=positive, example="200000"),
    "timeout_s": Field((float,), check=positive, example="60"),
    "max_retries": Field((int,), check=non_negative, example="5"),
    "outage_tolerance_s": Field((float,), check=positive, example="60"),
    "compression": Field((dict,), example="{method: extractive, rate: 0.3}"),
    "scaledown": Field((dict,), example="{rate: auto, compression_model: gemini-2.5-flash}"),
}  # plus the provider's own ``option_fields``
COMPRESSION_SCHEMA = {
    "method": Field((str,), required=True, example="extractive"),
    # its compute time's price (default: the model's compute-hour price, else local_default)
    "pricing": Field(
        (dict,),
        children={"gpu_hour_usd": PRICING_SCHEMA["gpu_hour_usd"]},
        example="{gpu_hour_usd: 0.46}",
    ),
}  # plus the compressor's own ``option_fields``
DATASET_SCHEMA = {
    "name": Field((str,), required=True, example="hotpotqa"),
    "split": Field((str,), example="validation"),
    "task": Field((str,), nullable=True, example="qasper"),
    "num_examples": Field((int,), nullable=True, check=positive, example="50"),
    "seed": Field((int,), example="42"),
    "source": Field((str,), choices=SOURCES),
    "path": Field((str,), example="data/my_split.jsonl"),
    "num_shots": Field((int,), check=non_negative, example="5"),
}  # plus the dataset loader's own ``option_fields``
# Your own data: a file (``path``) or any Hugging Face dataset (``hub``), mapped by ``fields``;
# ``name`` is then only your label (in keywords, markers and reports).
OWN_DATASET_SCHEMA = {
    "name": Field((str,), example="capitals"),
    "path": Field((str,), example="data/capitals.jsonl"),
    "hub": Field((str,), example="org/name"),
    "subset": Field((str,), example="default"),
    "split": Field((str,), example="test"),
    "fields": Field((dict,), example="{input: question, expected: answer}"),
    "num_examples": DATASET_SCHEMA["num_examples"],
    "seed": DATASET_SCHEMA["seed"],
    "num_shots": DATASET_SCHEMA["num_shots"],
}
_OWN_DATA_FIX = (
    "To evaluate your own rows, add path: data/your_rows.jsonl (JSONL, JSON, CSV or Parquet, "
    "relative to this config) or hub: org/name, with fields: {input: ..., expected: ...}; "
    "name: is then your label"
)
TASK_SCHEMA = {
    "name": Field((str,), required=True, example="rag_qa"),
    "prompt": Field((str,), example="rag_qa"),
}  # plus the task's own ``option_fields``
# Below 6 pairs neither exact McNemar nor the Wilcoxon signed-rank test can reach p < 0.05
# (two-sided) whatever the data: a paired gate does not decide on fewer.
DEFAULT_MIN_PAIRS = 6
EXPERIMENT_SCHEMA = {
    "id": Field((str,), required=True, example="hotpotqa_baseline_local"),
    "model": Field((dict,), required=True),
    "dataset": Field((dict,), required=True),
    "task": Field((dict,), required=True),
    "metrics": Field((list,), required=True, example="[exact_match, f1]"),
    "tags": Field((list,), example="[smoke, hotpotqa]"),
    "thresholds": Field((dict,), check=_score_map, example="{f1: 0.30}"),
    "item_thresholds": Field((dict,), check=_score_map, example="{f1: 0.1}"),
    "threshold_mode": Field((str,), choices=THRESHOLD_MODES),
    "baseline": Field((str, dict), example="hotpotqa_baseline_gpt4o"),  # or {run, experiment}
    "max_drop": Field((dict,), check=_score_map, example="{f1: 0.05}"),
    "min_gain": Field((dict,), check=_score_map, example="{f1: 0.02}"),
    "min_pairs": Field((int,), check=positive, example="6"),
    "max_missing_share": Field((float,), check=_share, example="0.05"),
    "repeats": Field((int,), check=positive, example="3"),
    "n_eval_seeds": Field((int,), check=positive, example="3"),
    "condition": Field((str,), choices=CONDITIONS),
    "conditions": Field((list,), example="[zero-shot, 5-shot, lora-500]"),
    "judge_calibration": Field((dict,), example="{against: exact_match, min_kappa: 0.4}"),
}
BASELINE_RUN_SCHEMA = {
    "run": Field((str,), required=True, example="reports/main-ci"),
    "experiment": Field((str,), example="hotpotqa_baseline_gpt4o"),
}
TCO_SCHEMA = {
    "queries_per_day": Field((int,), check=positive, example="10000"),
    "months": Field((int,), check=positive, example="12"),
}
RUN_SCHEMA = {
    "experiments": Field((list,), required=True, example="[- id: ...]"),
    "defaults": Field((dict,), example="{model: {max_tokens: 32}}"),
    "tco": Field((dict,), children=TCO_SCHEMA, example="{queries_per_day: 10000, months: 12}"),
}


@dataclass(frozen=True)
class DatasetConfig:
    """Which rows to evaluate."""

    name: str
    split: str | None = None
    subset: str | None = None
    num_examples: int | None = None
    seed: int = 42
    source: str = "auto"
    path: str | None = None
    num_shots: int = 0
    options: Mapping[str, Any] = field(default_factory=dict, hash=False)  # the loader's own keys
    # Your own data's field mapping as given (None: ``name`` is a registered dataset).
    fields: tuple[tuple[str, str], ...] | None = None
    hub: str | None = None  # your own data's Hugging Face dataset (id or local folder)

    def loader(self) -> DatasetLoader:
        """What loads these rows: the registered dataset ``name``, or your own data."""
        if self.fields is None:
            return DATASETS.get(self.name)
        return OwnData(dict(self.fields), self.hub)


@dataclass(frozen=True)
class Experiment:
    """One model x mode x dataset x task x metrics combination, with its gates."""

    id: str
    model: ModelConfig
    dataset: DatasetConfig
    task: str
    prompt: str
    metrics: tuple[str, ...]
    tags: tuple[str, ...] = ()
    thresholds: Mapping[str, float] = field(default_factory=dict)
    item_thresholds: Mapping[str, float] = field(default_factory=dict)
    baseline: str | None = None
    max_drop: Mapping[str, float] = field(default_factory=dict)
    task_options: Mapping[str, Any] = field(default_factory=dict)
    threshold_mode: str = "mean"
    baseline_run: str | None = None  # a stored run's report directory holding the baseline
    min_gain: Mapping[str, float] = field(default_factory=dict)
    repeats: int = 1
    n_eval_seeds: int = 0
    condition: str | None = None  # one of CONDITIONS
    min_pairs: int = DEFAULT_MIN_PAIRS  # a paired gate decides on no fewer pairs
    max_missing_share: float = 0.0  # of the examples, how many may lack a pair in a gate
    judges: tuple[JudgeSpec, ...] = ()  # the model-graded metrics (their scores are in metrics)
    judge_calibration: JudgeCalibration | None = None

    @property
    def paired_gates(self) -> dict[str, Mapping[str, float]]:
        """The gates that need a baseline: ``max_drop`` and ``min_gain``, when set."""
        return {
            kind: limits
            for kind, limits in (("max_drop", self.max_drop), ("min_gain", self.min_gain))
            if limits
        }

    def score_names(self) -> list[str]:
        """Every score name this experiment's metrics produce, in metric order."""
        return [name for metric in self.metrics for name in METRICS.get(metric).outputs]


@dataclass(frozen=True)
class RunConfig:
    """A whole config file: its experiments and run-wide settings."""

    path: str
    experiments: tuple[Experiment, ...]
    tco: TcoSettings = field(default_factory=TcoSettings)

    def experiment(self, experiment_id: str) -> Experiment:
        """Return the experiment with ``experiment_id``."""
        for experiment in self.experiments:
            if experiment.id == experiment_id:
                return experiment
        raise KeyError(experiment_id)


def load_config(path: str | Path) -> RunConfig:
    """Read, validate and return the config at ``path``; raise ConfigError with a clear fix."""
    path = Path(path)
    shown = str(path)
    if not path.exists():
        beside = suggest_file(path)
        fix = (
            f"did you mean {beside}?"
            if beside
            else "pass --parity-config PATH to an existing YAML file"
        )
        raise ConfigError(shown, "the file does not exist", fix=fix)
    if path.is_dir():
        inside = sorted(p.name for p in path.glob("*.y*ml"))
        fix = f"did you mean {path / inside[0]}?" if inside else "name the YAML file itself"
        raise ConfigError(shown, "this is a folder, not a YAML file", fix=fix)
    with paused_gc():  # a config may hold 100,000 experiments
        return parse_config(load_yaml_file(path), shown)


def parse_config(data: Any, path: str) -> RunConfig:
    """Validate already-parsed YAML ``data`` (list of experiments or mapping) from ``path``."""
    ctx = Context(path)
    if isinstance(data, list):
        data = {"experiments": data}
    if data is None:
        raise ctx.error(
            "the file is empty", fix="add a list of experiments (see configs/experiments.yaml)"
        )
    check_mapping(data, RUN_SCHEMA, ctx, "the config")
    defaults = data.get("defaults") or {}
    if not data["experiments"]:
        raise ctx.error(
            "no experiments are defined", key="experiments", fix="add at least one experiment"
        )
    experiments = []
    for position, raw in enumerate(data["experiments"]):
        merged = _merge(defaults, raw) if isinstance(raw, Mapping) else raw
        for one in _expand_conditions(merged, path, position):
            for each_rate in expand_rates(one, path, position):
                experiments.append(_parse_experiment(each_rate, path, position))
    _check_ids_and_baselines(experiments, path)
    return RunConfig(
        path=path, experiments=tuple(experiments), tco=TcoSettings(**(data.get("tco") or {}))
    )


def condition_id(experiment_id: str, condition: str) -> str:
    """The id of one condition of an experiment: ``banking77_smollm2`` + ``5-shot`` ->
    ``banking77_smollm2_5_shot``."""
    return f"{experiment_id}_{condition.replace('-', '_')}"


def _expand_conditions(raw: Any, path: str, position: int) -> list[Any]:
    """``conditions: [a, b]`` makes one experiment per condition (``{id}_{condition}``)."""
    if not isinstance(raw, Mapping) or "conditions" not in raw:
        return [raw]
    label = raw.get("id") if isinstance(raw.get("id"), str) else f"#{position + 1}"
    ctx = Context(path, experiment=label)
    conditions = raw["conditions"]
    if "condition" in raw:
        raise ctx.error("set 'condition' or 'conditions', not both", key="conditions")
    if not isinstance(conditions, list) or not conditions:
        raise ctx.error("conditions must be a non-empty list", key="conditions",
                        fix=f"e.g. conditions: [{', '.join(CONDITIONS[:2])}]")  # fmt: skip
    for condition in conditions:
        if condition not in CONDITIONS:
            raise ctx.error(
                f"{condition!r} is not a condition", key="conditions",
                fix=_did_you_mean(str(condition), list(CONDITIONS))
                or f"use one of {', '.join(CONDITIONS)}",
            )  # fmt: skip
    if len(set(conditions)) != len(conditions):
        raise ctx.error("a condition is listed twice", key="conditions")
    base = {k: v for k, v in raw.items() if k != "conditions"}
    return [
        {**copy.deepcopy(base), "id": condition_id(str(raw.get("id")), c), "condition": c}
        for c in conditions
    ]


def _apply_condition(raw: Mapping[str, Any], model: ModelConfig, ctx: Context) -> int | None:
    """The shots a condition sets (None: the dataset's own), after checking it fits."""
    condition = raw.get("condition")
    if condition is None:
        return None
    if condition.startswith("lora") and PROVIDERS.get(model.provider).hosted_api:
        raise ctx.error(
            f"condition '{condition}' fine-tunes the model, but {model.name} is an API model: "
            "adapters load only into open models",
            key="condition",
            fix="use zero-shot or 5-shot for API models (as Baseweight does), or an open model "
            "(local:, openai-compatible: serving vllm --enable-lora)",
        )
    shots = CONDITION_SHOTS.get(condition, 0)
    given = raw["dataset"].get("num_shots") if isinstance(raw["dataset"], Mapping) else None
    if given is not None and given != shots:
        raise ctx.error(
            f"condition '{condition}' means {shots} shots, but dataset.num_shots is {given}",
            key="dataset.num_shots",
            fix="remove dataset.num_shots (the condition sets it)",
        )
    return shots


def adapter_task(dataset: str) -> str:
    """The Baseweight task id a dataset trains under (``financial_phrasebank`` -> ``fpb``)."""
    return BASEWEIGHT_TASKS.get(dataset, dataset)


def _with_default_adapter(model: ModelConfig, dataset: str, condition: str | None) -> ModelConfig:
    """A LoRA condition on a provider that loads adapters from a folder gets
    ``adapters/<model>/<task>/<condition>`` (relative to where pytest runs) unless
    ``model.adapter`` names one."""
    if not condition or not condition.startswith("lora") or "adapter" in model.options:
        return model
    if "adapter" not in PROVIDERS.get(model.provider).option_fields:
        return model  # adapters addressed another way (openai-compatible: by model name)
    folder = f"adapters/{model.short_name}/{adapter_task(dataset)}/{condition}"
    return replace(model, options={**model.options, "adapter": folder})


def _default_prompt(task: str, dataset: str, condition: str | None) -> str:
    """The task's default template; a LoRA condition gets the one its adapters are trained
    on (``prompt:`` in ``configs/tasks/<task>.yaml``), so evaluation sends what training saw."""
    if condition and condition.startswith("lora"):
        trained = trained_prompt(adapter_task(dataset), Path.cwd())
        if trained:
            return trained
    return TASKS.get(task).default_prompt


def _merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    merged = copy.deepcopy(dict(base))
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def _parse_experiment(raw: Any, path: str, position: int) -> Experiment:
    label = raw.get("id") if isinstance(raw, Mapping) and isinstance(raw.get("id"), str) else None
    ctx = Context(path, experiment=label or f"#{position + 1}")
    check_mapping(raw, EXPERIMENT_SCHEMA, ctx, f"experiment #{position + 1}")
    if not _ID.match(raw["id"]):
        raise ctx.error(
            f"id {raw['id']!r} may hold only letters, digits, '_' and '.'",
            key="id",
            fix=f"use e.g. '{re.sub(r'[^A-Za-z0-9_.]+', '_', raw['id']).strip('_') or 'my_experiment'}'",
        )
    model = parse_model(raw["model"], ctx)
    dataset = _parse_dataset(raw["dataset"], ctx)
    shots = _apply_condition(raw, model, ctx)
    if shots is not None:
        dataset = replace(dataset, num_shots=shots)
    model = _with_default_adapter(model, dataset.name, raw.get("condition"))
    task = _named(raw["task"], "task", TASKS, TASK_SCHEMA, ctx)
    judges = [
        parse_judge(entry, ctx.child(f"metrics[{i}]"), parse_model, relative_to_config)
        for i, entry in enumerate(raw["metrics"])
        if is_judge_entry(entry)
    ]
    plain = [m for m in raw["metrics"] if not is_judge_entry(m)]
    metrics = parse_metrics(plain, ctx) if plain or not judges else []
    check_judges(judges, metrics, ctx)
    metrics += [judge.score_name for judge in judges]
    check_score_keys(raw, metrics, ctx)
    calibration = parse_calibration(
        raw.get("judge_calibration"), judges, metrics, ctx, relative_to_config
    )
    baseline, baseline_run = _parse_baseline(raw.get("baseline"), raw["id"], path, ctx)
    if raw.get("repeats", 1) > 1 and not model.options.get("temperature"):
        raise ctx.error(
            f"repeats: {raw['repeats']} asks for several answers per example, but the model "
            "decodes greedily (temperature 0), so every repeat would be the same",
            key="repeats",
            fix="set model.temperature above 0 (e.g. 0.7), or remove 'repeats'",
        )
    tags = raw.get("tags") or []
    if not all(isinstance(t, str) for t in tags):
        raise ctx.error(
            "tags must be a list of strings", key="tags", fix="e.g. tags: [smoke, hotpotqa]"
        )
    return Experiment(
        id=raw["id"],
        model=model,
        dataset=dataset,
        task=task,
        prompt=_prompt(
            raw["task"].get("prompt") or _default_prompt(task, dataset.name, raw.get("condition")),
            path,
        ),
        metrics=tuple(metrics),
        tags=tuple(tags),
        thresholds=dict(raw.get("thresholds") or {}),
        item_thresholds=dict(raw.get("item_thresholds") or {}),
        baseline=baseline,
        max_drop=dict(raw.get("max_drop") or {}),
        task_options={k: v for k, v in raw["task"].items() if k not in ("name", "prompt")},
        threshold_mode=raw.get("threshold_mode", "mean"),
        baseline_run=baseline_run,
        min_gain=dict(raw.get("min_gain") or {}),
        repeats=raw.get("repeats", 1),
        n_eval_seeds=raw.get("n_eval_seeds", 0),
        condition=raw.get("condition"),
        min_pairs=raw.get("min_pairs", DEFAULT_MIN_PAIRS),
        max_missing_share=raw.get("max_missing_share", 0.0),
        judges=tuple(judges),
        judge_calibration=calibration,
    )


def decoding(experiment: Experiment) -> str | None:
    """How the experiment's answers were held to the task's closed set (``constrain: true``),
    as the summary reports it; None when nothing asked for it."""
    if not experiment.task_options.get("constrain"):
        return None
    method = PROVIDERS.get(experiment.model.provider).constrains_choices
    if method:
        return f"constrained to the label set ({method})"
    return (
        f"free generation, mapped to a label afterwards ({experiment.model.provider} cannot "
        "constrain decoding; hf: and vllm: can)"
    )


def check_score_keys(raw: Mapping[str, Any], metrics: list[str], ctx: Context) -> None:
    """Every name under thresholds, item_thresholds, max_drop and min_gain must be a score
    that ``metrics`` compute."""
    score_names = [name for metric in metrics for name in METRICS.get(metric).outputs]
    for key in ("thresholds", "item_thresholds", "max_drop", "min_gain"):
        for name in raw.get(key) or {}:
            if name not in score_names:
                raise ctx.error(
                    f"'{name}' is not a score this experiment computes ({', '.join(score_names)})",
                    key=f"{key}.{name}",
                    fix=_did_you_mean(name, score_names) or "add the metric to 'metrics' first",
                )


def _parse_baseline(
    raw: Any, experiment_id: str, path: str, ctx: Context
) -> tuple[str | None, str | None]:
    """``baseline: <id>`` (an experiment in this file) or ``baseline: {run: DIR, experiment:
    <id>}`` (a stored run's report directory; the id defaults to this experiment's)."""
    if raw is None or isinstance(raw, str):
        return raw, None
    check_mapping(raw, BASELINE_RUN_SCHEMA, ctx.child("baseline"), "'baseline'")
    return raw.get("experiment", experiment_id), relative_to_config(raw["run"], path)


def _named(
    raw: Mapping[str, Any],
    section: str,
    registry: Registry[Any],
    core: Mapping[str, Field],
    ctx: Context,
    name: str | None = None,
    name_key: str = "name",
) -> str:
    """Check a ``section`` mapping that names a registry entry (``name``, else its
    ``name_key`` key) against the core keys plus the entry's own ``option_fields``; return
    the name."""
    check_mapping(raw, {name_key: core[name_key]}, ctx.child(section), f"'{section}'", partial=True)
    name = name or raw[name_key]
    if name not in registry:
        raise ctx.error(
            registry.unknown_message(name, suggest=False),
            key=ctx.key(f"{section}.{name_key}"),
            fix=registry.suggestion(name),
        )
    own = getattr(registry.get(name), "option_fields", {})
    check_mapping(raw, {**core, **own}, ctx.child(section), f"'{section}'")
    return name


def relative_to_config(value: str, config_path: str) -> str:
    """A relative file path in a config, resolved against the config file's directory (so a
    config runs the same from any working directory)."""
    candidate = Path(value).expanduser()
    config_file = Path(config_path)
    if candidate.is_absolute() or not config_file.is_file():
        return str(candidate)
    return str(config_file.resolve().parent / candidate)


def _prompt(name_or_path: str, config_path: str) -> str:
    """A shipped template's name, or a template file path resolved against the config."""
    if name_or_path.endswith((".yaml", ".yml")):
        return relative_to_config(name_or_path, config_path)
    return name_or_path


def _did_you_mean(name: str, choices: list[str]) -> str | None:
    hint = closest(name, choices)
    return f"did you mean '{hint}'?" if hint else None


def parse_model(raw: Mapping[str, Any], ctx: Context) -> ModelConfig:
    """A ``model:`` block (``name: provider:model`` plus options) as a :class:`ModelConfig`."""
    check_mapping(raw, {"name": MODEL_SCHEMA["name"]}, ctx.child("model"), "'model'", partial=True)
    name = raw["name"]
    provider, sep, model = name.partition(":")
    if not sep or not provider or not model:
        raise ctx.error(
            f"model name {name!r} must look like 'provider:model'",
            key="model.name",
            fix=f"e.g. 'local:smollm2' or 'openai:gpt-4o' (providers: {', '.join(PROVIDERS.names())})",
        )
    _named(raw, "model", PROVIDERS, MODEL_SCHEMA, ctx, name=provider)
    mode = raw.get("mode", "baseline")
    compression_raw = raw.get("compression")
    if mode == "scaledown" or raw.get("scaledown") is not None:  # ScaleBench's form
        if mode != "scaledown":
            raise ctx.error("model.scaledown needs 'mode: scaledown'", key="model.scaledown",
                            fix="add 'mode: scaledown' to the model")  # fmt: skip
        compression_raw = {"method": "scaledown", **(raw.get("scaledown") or {})}
    compression = _parse_compression(compression_raw, mode, ctx)
    options = {
        k: v
        for k, v in raw.items()
        if k not in ("name", "mode", "pricing", "compression", "scaledown")
    }
    return ModelConfig(
        name=name,
        provider=provider,
        model=model,
        mode=mode,
        pricing=dict(raw["pricing"]) if raw.get("pricing") else None,
        options=options,
        compression=compression,
    )


def _parse_compression(raw: Any, mode: str, ctx: Context) -> dict[str, Any] | None:
    """``model.compression`` (``method`` plus the compressor's keys), required by and only
    allowed with ``mode: compressed``."""
    if mode not in ("compressed", "scaledown"):
        if raw is not None:
            raise ctx.error(
                "compression applies only to a compressed experiment",
                key="model.compression",
                fix="add 'mode: compressed' to the model, or remove 'compression'",
            )
        return None
    if raw is None:
        raise ctx.error(
            "mode: compressed needs a compressor",
            key="model.compression",
            fix=f"add e.g. 'compression: {{method: extractive, rate: 0.3}}' "
            f"(methods: {', '.join(COMPRESSORS.names())})",
        )
    _named(
        raw, "compression", COMPRESSORS, COMPRESSION_SCHEMA, ctx.child("model"), name_key="method"
    )
    return dict(raw)


def _parse_dataset(raw: Mapping[str, Any], ctx: Context) -> DatasetConfig:
    path = raw.get("path")
    if _is_own_data(raw):
        return _parse_own_dataset(raw, ctx)
    name = raw.get("name")
    if isinstance(name, str) and name not in DATASETS:
        hint = DATASETS.suggestion(name)
        raise ctx.error(
            DATASETS.unknown_message(name, suggest=False),
            key="dataset.name",
            fix=" ".join(filter(None, (hint, _OWN_DATA_FIX))),
        )
    name = _named(raw, "dataset", DATASETS, DATASET_SCHEMA, ctx)
    return DatasetConfig(
        name=name,
        split=raw.get("split"),
        subset=raw.get("task"),
        num_examples=raw.get("num_examples"),
        seed=raw.get("seed", 42),
        source=raw.get("source", "auto"),
        path=relative_to_config(path, ctx.path) if path else None,
        num_shots=raw.get("num_shots", 0),
        options={k: v for k, v in raw.items() if k not in DATASET_SCHEMA},
    )


def _is_own_data(raw: Mapping[str, Any]) -> bool:
    """Whether a ``dataset:`` block names your own rows: ``hub:``, ``fields:``, or a ``path:``
    under a name that is no registered dataset."""
    if "hub" in raw or "fields" in raw:
        return True
    name = raw.get("name")
    return raw.get("path") is not None and not (isinstance(name, str) and name in DATASETS)


def _parse_own_dataset(raw: Mapping[str, Any], ctx: Context) -> DatasetConfig:
    """``dataset: {name: LABEL, path: FILE | hub: ID, fields: {...}}``: your own data."""
    check_mapping(raw, OWN_DATASET_SCHEMA, ctx.child("dataset"), "'dataset' (your own data)")
    path, hub = raw.get("path"), raw.get("hub")
    if path is None and hub is None:
        raise ctx.error(
            "your own data needs 'path' (a file) or 'hub' (a Hugging Face dataset)",
            key="dataset",
            fix="add e.g. path: data/capitals.jsonl (relative to this config) or hub: org/name",
        )
    if path is not None and hub is not None:
        raise ctx.error("set 'path' or 'hub', not both", key="dataset.hub",
                        fix="remove one of them")  # fmt: skip
    for key in ("split", "subset"):
        if path is not None and key in raw:
            raise ctx.error(
                f"'{key}' applies to a Hugging Face dataset (hub:); a file is one split",
                key=f"dataset.{key}",
                fix=f"remove '{key}', or point path: at the file of the split you want",
            )
    try:
        field_mapping(raw.get("fields"))
    except DataError as exc:
        raise ctx.error(str(exc), key="dataset.fields", fix=exc.fix) from None
    label = raw.get("name") or (
        Path(path).stem if path is not None else Path(str(hub).rstrip("/")).name
    )
    return DatasetConfig(
        name=label,
        split=raw.get("split"),
        subset=raw.get("subset"),
        num_examples=raw.get("num_examples"),
        seed=raw.get("seed", 42),
        source="hub" if hub is not None else "auto",
        path=relative_to_config(path, ctx.path) if path is not None else None,
        num_shots=raw.get("num_shots", 0),
        fields=tuple((raw.get("fields") or {}).items()),
        hub=_hub_folder(hub, ctx.path) if hub is not None else None,
    )


def _hub_folder(hub: str, config_path: str) -> str:
    """``hub:`` as given (a Hub id), or the local dataset folder it names relative to the
    config file when there is one."""
    folder = Path(relative_to_config(hub, config_path))
    return str(folder) if folder.is_dir() else hub


def parse_metrics(raw: list[Any], ctx: Context) -> list[str]:
    """The metric names of ``raw``: registered, installed, each listed once."""
    if not raw:
        raise ctx.error(
            "no metrics are listed", key="metrics", fix="e.g. metrics: [exact_match, f1]"
        )
    for name in raw:
        if name == JUDGE or (
            isinstance(name, str) and name in METRICS and METRICS.get(name).graded_by_model
        ):
            raise ctx.error(
                f"'{name}' needs a judge model and a rubric: a judge is configured as a mapping",
                key="metrics",
                fix='e.g. {name: judge, model: "openai:gpt-4o-mini", rubric: correctness}',
            )
        if not isinstance(name, str) or name not in METRICS:
            shown = name if isinstance(name, str) else repr(name)
            raise ctx.error(
                METRICS.unknown_message(shown, suggest=False),
                key="metrics",
                fix=METRICS.suggestion(str(name)),
            )
    for name in raw:
        requirement = METRICS.get(name).missing_requirement()
        if requirement:
            raise ctx.error(
                f"metric '{name}' needs the package {requirement}, which is not installed",
                key="metrics",
                fix=f"pip install 'parity-evals[metrics]' (or pip install {requirement})",
            )
    if len(set(raw)) != len(raw):
        raise ctx.error("a metric is listed twice", key="metrics", fix="list each metric once")
    return list(raw)


def _check_ids_and_baselines(experiments: list[Experiment], path: str) -> None:
    seen: set[str] = set()
    for experiment in experiments:
        if experiment.id in seen:
            raise ConfigError(
                path,
                "two experiments share this id",
                experiment=experiment.id,
                key="id",
                fix="give each experiment a unique id",
            )
        seen.add(experiment.id)
    for experiment in experiments:
        if experiment.baseline is None or experiment.baseline_run is not None:
            continue
        if experiment.baseline == experiment.id:
            raise ConfigError(
                path,
                "an experiment cannot be its own baseline",
                experiment=experiment.id,
                key="baseline",
            )
        if experiment.baseline not in seen:
            raise ConfigError(
                path,
                f"baseline '{experiment.baseline}' names no experiment in this file",
                experiment=experiment.id,
                key="baseline",
                fix=_did_you_mean(experiment.baseline, sorted(seen))
                or f"use one of: {', '.join(sorted(seen))}",
            )
