"""Expand a config into evaluation cases: one (experiment, example) pair per pytest item."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from parity.config import DatasetConfig, Experiment, RunConfig
from parity.errors import ConfigError, DataError, ProviderError
from parity.evals.datasets import DATASETS, Example
from parity.evals.datasets.base import LoadedDataset
from parity.fixtures.providers import PROVIDERS
from parity.sampling import sample_indices

_UNSAFE = re.compile(r"[^A-Za-z0-9_.]+")
_KEY_LENGTH = 8


@dataclass(frozen=True)
class EvalCase:
    """One pytest item: an experiment applied to one example."""

    experiment: Experiment
    example: Example
    index: int
    id: str
    skip_reason: str | None = None

    def keywords(self) -> list[str]:
        """Names that ``-k`` and ``-m`` select on: dataset, task, model, provider, mode, tags."""
        model = self.experiment.model
        words = [
            self.experiment.dataset.name,
            self.experiment.task,
            model.short_name,
            model.provider,
            model.mode,
            *self.experiment.tags,
        ]
        return list(dict.fromkeys(words))


@dataclass
class EvalPlan:
    """Every case of a config, plus notes about where the data came from."""

    config: RunConfig
    cases: list[EvalCase]
    notes: list[str] = field(default_factory=list)

    def by_id(self) -> Mapping[str, EvalCase]:
        """Cases keyed by their pytest parameter id."""
        return {case.id: case for case in self.cases}


def marker_name(word: str) -> str:
    """A marker-safe form of a keyword (``gpt-4o`` -> ``gpt_4o``) usable in ``-m``."""
    name = re.sub(r"\W+", "_", word).strip("_") or "x"
    return f"m_{name}" if name[0].isdigit() else name


def build_plan(config: RunConfig) -> EvalPlan:
    """Load each experiment's data, sample it and give every case a stable id."""
    loaded: dict[DatasetConfig, LoadedDataset] = {}
    cases: list[EvalCase] = []
    notes: list[str] = []
    for experiment in config.experiments:
        spec = experiment.dataset
        key = DatasetConfig(spec.name, spec.split, spec.subset, None, 0, spec.source, spec.path)
        if key not in loaded:
            loaded[key] = _load(experiment, config.path)
            if loaded[key].note:
                notes.append(loaded[key].note)
        examples = loaded[key].examples
        indices = sample_indices(len(examples), spec.num_examples, spec.seed)
        skip = _skip_reason(experiment)
        keys = _example_keys([examples[i].id for i in indices])
        cases.extend(
            EvalCase(experiment, examples[i], position, f"{experiment.id}-{k}", skip)
            for position, (i, k) in enumerate(zip(indices, keys, strict=False))
        )
    return EvalPlan(config, cases, notes)


def _load(experiment: Experiment, path: str) -> LoadedDataset:
    spec = experiment.dataset
    loader = DATASETS.get(spec.name)
    try:
        dataset = loader.load(spec.split, spec.source, spec.path)
    except DataError as exc:
        raise ConfigError(path, str(exc), experiment=experiment.id, key="dataset") from None
    if not dataset.examples:
        raise ConfigError(path, "the dataset has no rows", experiment=experiment.id, key="dataset")
    return dataset


def _skip_reason(experiment: Experiment) -> str | None:
    model = experiment.model
    client = PROVIDERS.get(model.provider)
    try:
        return client.unavailable_reason(model.model, model.options)
    except ProviderError as exc:
        return str(exc)


def _example_keys(example_ids: list[str]) -> list[str]:
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
