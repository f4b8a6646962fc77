"""Expand a config into evaluation cases: one (experiment, example) pair per pytest item."""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from parity.analysis.baselines import content_sha256
from parity.cases.sampling import sample_indices
from parity.config.config import DatasetConfig, Experiment, RunConfig, adapter_task
from parity.config.errors import ConfigError, DataError, MissingDataFile, ProviderError
from parity.config.registry import closest
from parity.config.sweep import rate_keyword
from parity.engine.gc_pause import paused_gc
from parity.evals.datasets import Example
from parity.evals.datasets.base import LoadedDataset
from parity.evals.metrics import METRICS
from parity.evals.sandbox import sandbox_unavailable_reason, unsafe_allowed
from parity.evals.tasks import TASKS
from parity.fixtures.compressors import COMPRESSORS, compressor_settings
from parity.fixtures.providers import PROVIDERS
from parity.prompts import load_template
from parity.train.spec import train_command

_UNSAFE = re.compile(r"[^A-Za-z0-9_.]+")
_KEY_LENGTH = 8
UNAVAILABLE = Example("unavailable", "", "", ())


@dataclass(frozen=True, slots=True)
class EvalCase:
    """One pytest item: an experiment applied to one example."""

    experiment: Experiment
    example: Example
    index: int
    id: str
    skip_reason: str | None = None
    shots: tuple[Example, ...] = ()
    repeat: int = 0  # 0 .. experiment.repeats - 1

    def keywords(self) -> list[str]:
        """Names that ``-k`` and ``-m`` select on: dataset, task, model, provider, mode, tags,
        and a compressed experiment's method and rate."""
        model = self.experiment.model
        words = [
            self.experiment.dataset.name,
            self.experiment.task,
            model.short_name,
            model.provider,
            model.mode,
            *self.experiment.tags,
        ]
        if model.compression is not None:
            words += ["compression", str(model.compression["method"])]
            rate = model.compression.get("rate")
            if isinstance(rate, (int, float)) and not isinstance(rate, bool):
                words.append(rate_keyword(rate))  # r0.33 (the marker r0_33)
        if self.experiment.condition:
            words.append(self.experiment.condition)
        return list(dict.fromkeys(words))


@dataclass
class EvalPlan:
    """Every case of a config, plus notes about where the data came from."""

    config: RunConfig
    cases: list[EvalCase]
    notes: list[str] = field(default_factory=list)

    @cached_property
    def by_id(self) -> Mapping[str, EvalCase]:
        """Cases keyed by their pytest parameter id."""
        return {case.id: case for case in self.cases}

    @cached_property
    def _examples_by_experiment(
        self,
    ) -> Mapping[str, tuple[dict[str, Example], tuple[Example, ...]]]:
        """Every experiment's examples by id in order, and its shots, in one pass over the cases."""
        found: dict[str, tuple[dict[str, Example], tuple[Example, ...]]] = {}
        for case in self.cases:
            examples, _ = found.setdefault(case.experiment.id, ({}, case.shots))
            examples.setdefault(case.example.id, case.example)
        return found

    @cached_property
    def _content_hashes(self) -> dict[tuple[int, ...], str]:
        return {}

    def example_ids(self, experiment_id: str) -> list[str]:
        """The ids of every example an experiment evaluates (selected or not), in order."""
        return list(self._examples_by_experiment.get(experiment_id, ({}, ()))[0])

    def content_sha256(self, experiment_id: str) -> str:
        """The hash of what an experiment's examples and shots hold (:func:`content_sha256`),
        computed once for experiments that share one draw."""
        examples, shots = self._examples_by_experiment.get(experiment_id, ({}, ()))
        drawn = (*examples.values(), *shots)
        key = (len(examples), *map(id, drawn))
        if key not in self._content_hashes:
            self._content_hashes[key] = content_sha256(list(examples.values()), shots)
        return self._content_hashes[key]


def marker_name(word: str) -> str:
    """A marker-safe form of a keyword (``gpt-4o`` -> ``gpt_4o``) usable in ``-m``."""
    name = re.sub(r"\W+", "_", word).strip("_") or "x"
    return f"m_{name}" if name[0].isdigit() else name


def build_plan(
    config: RunConfig, before_loading: Callable[[list[Experiment]], None] | None = None
) -> EvalPlan:
    """Load each experiment's data, sample it and give every case a stable id.

    ``before_loading`` is called with the experiments that can run here (no skip reason)
    before any data loads: the run can start what they need meanwhile."""
    with paused_gc():  # a config may hold 100,000 experiments
        return _build_plan(config, before_loading)


def _build_plan(
    config: RunConfig, before_loading: Callable[[list[Experiment]], None] | None
) -> EvalPlan:
    skips = {experiment.id: _skip_reason(experiment) for experiment in config.experiments}
    if before_loading is not None:
        before_loading([e for e in config.experiments if skips[e.id] is None])
    needed = {_data_key(e.dataset) for e in config.experiments if skips[e.id] is None}
    loaded: dict[DatasetConfig, LoadedDataset] = {}
    # Data that failed to load, by the same key: tried once per plan (a Hub that cannot be
    # reached costs its timeout, about 20 s, for every attempt).
    unloadable: dict[DatasetConfig, str] = {}
    draws: dict[tuple[DatasetConfig, str, int, int | None, int], _Draw] = {}
    cases: list[EvalCase] = []
    notes: list[str] = []
    for experiment in config.experiments:
        spec = experiment.dataset
        skip = skips[experiment.id]
        key = _data_key(spec)
        if skip is not None and key not in needed and spec.source != "shipped" and not spec.path:
            # An experiment that cannot run here does not reach the Hub for its data (a
            # download, or a timeout offline): it lists the shipped sample's examples.
            if spec.source == "hub":
                reason = f"{skip}; its data (dataset.source: hub) is fetched only when it can run"
                cases.append(_unavailable(experiment, reason))
                continue
            key = _data_key(spec, "shipped")
        if key not in loaded and key not in unloadable:
            try:
                loaded[key] = _load(experiment, config.path, key.source)
            except ConfigError as exc:
                if skip is None or _local(spec):
                    raise  # a bad local file stops even a keyless dry run
                unloadable[key] = exc.problem
            else:
                if loaded[key].note:
                    notes.append(loaded[key].note)
        if key in unloadable:
            if skip is None or _local(spec):
                raise ConfigError(
                    config.path, unloadable[key], experiment=experiment.id, key="dataset"
                )
            # The experiment could not run here anyway: one skipped item says both reasons.
            cases.append(
                _unavailable(
                    experiment, f"{skip}; and its data could not be loaded: {unloadable[key]}"
                )
            )
            continue
        draw_key = (key, spec.source, spec.seed, spec.num_examples, spec.num_shots)
        if draw_key not in draws:
            draws[draw_key] = _draw(experiment, loaded[key].examples, config.path)
        draw = draws[draw_key]
        notes += _clamped(experiment, draw)
        if draw.chosen:
            _check_placeholders(experiment, draw.chosen[0], config.path)
        repeats = experiment.repeats
        cases.extend(
            EvalCase(experiment, example, position, case_id, skip, draw.shots, repeat)
            for position, (example, k) in enumerate(zip(draw.chosen, draw.keys, strict=True))
            for repeat in range(repeats)
            if (case_id := f"{experiment.id}-{k}" + (f"-r{repeat + 1}" if repeats > 1 else ""))
        )
    return EvalPlan(config, cases, notes)


@dataclass(frozen=True, slots=True)
class _Draw:
    """What an experiment evaluates, drawn once for every experiment with the same data,
    seed, ``num_examples`` and ``num_shots`` (a config may hold 100,000 experiments)."""

    chosen: list[Example]
    keys: list[str]  # the chosen examples' keys in case ids
    shots: tuple[Example, ...]
    available: Mapping[str | None, int]  # selected rows per subset (None: the data)


def _draw(experiment: Experiment, pool: list[Example], path: str) -> _Draw:
    """Select and sample ``experiment``'s examples from its loaded ``pool``, and its shots."""
    spec = experiment.dataset
    selected = spec.loader().select(pool, spec.seed)
    chosen = sample_examples(selected, spec.num_examples, spec.seed)
    available: dict[str | None, int] = {}
    for example in selected:
        subset = example.metadata.get("subset")
        available[subset] = available.get(subset, 0) + 1
    return _Draw(
        chosen,
        example_keys([example.id for example in chosen]),
        _draw_shots(experiment, pool, chosen, path),
        available,
    )


def _clamped(experiment: Experiment, draw: _Draw) -> list[str]:
    """A note when ``num_examples`` asks for more rows than a (sub)set has."""
    wanted = experiment.dataset.num_examples
    if wanted is None:
        return []
    short = {subset: n for subset, n in draw.available.items() if n < wanted}
    if not short:
        return []
    parts = ", ".join(
        f"{subset or 'the data'}: {n}" for subset, n in sorted(short.items(), key=str)
    )
    return [
        f"{experiment.id}: num_examples is {wanted} but only {parts} rows exist; "
        f"evaluating {len(draw.chosen)} (lower num_examples to silence this note)"
    ]


def _check_placeholders(experiment: Experiment, example: Example, path: str) -> None:
    """Stop a dry run on a template placeholder the task does not fill (``{questoin}``)."""
    try:
        template = load_template(experiment.prompt)
    except DataError as exc:
        raise ConfigError(path, str(exc), experiment=experiment.id, key="task.prompt") from None
    known = sorted(TASKS.get(experiment.task).prompt_values(example))
    for unknown in sorted(template.fields() - set(known)):
        hint = closest(unknown, known)
        raise ConfigError(
            path,
            f"prompt '{experiment.prompt}' uses the placeholder {{{unknown}}}, which task "
            f"'{experiment.task}' does not fill (it fills: {', '.join(known)})",
            experiment=experiment.id,
            key="task.prompt",
            fix=f"did you mean {{{hint}}}?" if hint else "use one of the fields above",
        )


def sample_examples(examples: list[Example], num_examples: int | None, seed: int) -> list[Example]:
    """Sample ``num_examples`` per task (LongBench/QMSum subsets) or overall, in data order
    (seeded: the same ids in every process and run)."""
    groups: dict[str | None, list[Example]] = {}
    for example in examples:
        groups.setdefault(example.metadata.get("subset"), []).append(example)
    return [
        group[i]
        for group in groups.values()
        for i in sample_indices(len(group), num_examples, seed)
    ]


def _draw_shots(
    experiment: Experiment, evaluated_pool: list[Example], chosen: list[Example], path: str
) -> tuple[Example, ...]:
    """k in-context examples from the training split (never an evaluated example), seeded."""
    spec = experiment.dataset
    if not spec.num_shots:
        return ()
    loader = spec.loader()
    pool = evaluated_pool
    if loader.shot_split and loader.shot_split != (spec.split or loader.default_split):
        try:
            pool = loader.load(loader.shot_split, spec.source, None, spec.subset).examples
        except DataError as exc:
            raise ConfigError(
                path, f"cannot draw shots: {exc}", experiment=experiment.id, key="dataset.num_shots"
            ) from None
    taken = {example.id for example in chosen}
    candidates = [example for example in pool if example.id not in taken]
    if len(candidates) < spec.num_shots:
        raise ConfigError(
            path,
            f"only {len(candidates)} non-evaluated examples are available for {spec.num_shots} shots",
            experiment=experiment.id,
            key="dataset.num_shots",
            fix="lower num_shots or use a split with training rows",
        )
    return tuple(random.Random(spec.seed).sample(candidates, spec.num_shots))


def _unavailable(experiment: Experiment, reason: str) -> EvalCase:
    """The one skipped item of an experiment that lists no examples, with ``reason``."""
    return EvalCase(experiment, UNAVAILABLE, 0, f"{experiment.id}-unavailable", reason)


def _data_key(spec: DatasetConfig, source: str | None = None) -> DatasetConfig:
    """What identifies one load of a dataset: name, split, task, source and path (sampling
    and shots are applied per experiment)."""
    source = source or spec.source
    return DatasetConfig(
        spec.name, spec.split, spec.subset, None, 0, source, spec.path, 0,
        fields=spec.fields, hub=spec.hub,
    )  # fmt: skip


def _local(spec: DatasetConfig) -> bool:
    """Whether an experiment reads its data from this machine (``dataset.path``, or
    ``source: shipped``): cheap to check, so checked even when it cannot run here."""
    return bool(spec.path) or spec.source == "shipped"


def _load(experiment: Experiment, path: str, source: str) -> LoadedDataset:
    spec = experiment.dataset
    loader = spec.loader()
    try:
        dataset = loader.load(spec.split, source, spec.path, spec.subset)
    except DataError as exc:
        raise _unreadable(exc, path, experiment) from None
    if not dataset.examples:
        raise ConfigError(path, "the dataset has no rows", experiment=experiment.id, key="dataset")
    _refuse_repeated_ids(experiment, dataset, path)
    return dataset


def _unreadable(exc: DataError, path: str, experiment: Experiment) -> ConfigError:
    """The config error for a dataset that cannot be read: a missing data file names the
    ``dataset.path`` key, and its fix the file of a close name beside it."""
    if isinstance(exc, MissingDataFile):
        key = "dataset.path"
        return ConfigError(path, str(exc), experiment=experiment.id, key=key,
                           fix=exc.fix_for(key, Path(path)))  # fmt: skip
    return ConfigError(path, str(exc), experiment=experiment.id, key="dataset", fix=exc.fix)


def _refuse_repeated_ids(experiment: Experiment, dataset: LoadedDataset, path: str) -> None:
    """Stop at planning on two rows with one example id: results, resume and baselines are
    keyed by it, so one of them would be evaluated again on every resume."""
    first: dict[str, str] = {}
    rows: dict[str | None, int] = {}  # rows counted so far, per subset (from 1)
    for example in dataset.examples:
        subset = example.metadata.get("subset")
        rows[subset] = rows.get(subset, 0) + 1
        row = f"row {rows[subset]}" + (f" of task '{subset}'" if subset else "")
        earlier = first.setdefault(example.id, row)
        if earlier is not row:
            raise ConfigError(
                path,
                f"example id {example.id!r} is given twice in {dataset.source}: at {earlier} "
                f"and at {row} (data rows counted from 1)",
                experiment=experiment.id,
                key="dataset",
                fix="give every row its own id, or remove the repeated row",
            )


def _skip_reason(experiment: Experiment) -> str | None:
    if any(METRICS.get(name).runs_code for name in experiment.metrics) and not unsafe_allowed():
        reason = sandbox_unavailable_reason()
        if reason:
            return f"generated code cannot be confined here ({reason}); pass --parity-unsafe-exec to run it anyway"
    model = experiment.model
    if model.compression is not None:
        compressor = COMPRESSORS.get(model.compression["method"])
        reason = compressor.unavailable_reason(compressor_settings(model.compression))
        if reason:
            return reason
    client = PROVIDERS.get(model.provider)
    condition = experiment.condition or ""
    if condition.startswith("lora") and not client.serves_adapters:
        return (
            f"condition '{condition}' needs an engine that serves LoRA adapters; {model.name} "
            "does not load them (use hf:, or openai-compatible: against `vllm serve "
            "--enable-lora --lora-modules NAME=PATH` with the adapter's NAME as the model)"
        )
    missing = missing_adapter(experiment)
    if missing is not None:
        return missing
    try:
        return client.unavailable_reason(model.model, model.options)
    except ProviderError as exc:
        return str(exc)


def missing_adapter(experiment: Experiment) -> str | None:
    """Why a LoRA condition cannot run yet: its adapter is not in Parity's folder layout
    (``adapters/<model>/<task>/<condition>/``) yet — with the command that trains it — or None."""
    adapter = str(experiment.model.options.get("adapter") or "")
    condition = experiment.condition or ""
    smoke = adapter.startswith("smoke/adapters/")
    if not condition.startswith("lora") or not (adapter.startswith("adapters/") or smoke):
        return None  # no adapter, or the user's own path or hub id (the engine loads it)
    if (Path(adapter) / "adapter_config.json").is_file():
        return None
    command = train_command(
        experiment.model.short_name, adapter_task(experiment.dataset.name), condition, smoke
    )
    return f"no adapter at {adapter}/; train it with `{command}`, or run pytest with --parity-train"


def example_keys(example_ids: list[str]) -> list[str]:
    """Short, unique, id-safe keys: the first 8 characters, longer where they collide."""
    safe = [_UNSAFE.sub("_", example_id).strip("_") or "x" for example_id in example_ids]
    length = _KEY_LENGTH
    while length < max(map(len, safe), default=0) and len({s[:length] for s in safe}) < len(safe):
        length *= 2
    keys = [s[:length] for s in safe]
    seen: dict[str, int] = {}
    unique = []
    for key in keys:
        seen[key] = seen.get(key, 0) + 1
        unique.append(key if seen[key] == 1 else f"{key}_{seen[key]}")
    return unique
