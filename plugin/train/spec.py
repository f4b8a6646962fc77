"""What LoRA training reads, without the trainer: the task and training configs
(``configs/tasks/<task>.yaml``, ``configs/training/<model>.yaml``), where an adapter lives,
and the command that trains it. The config, the plan and the smoke run read these; only
training imports :mod:`parity.train.trainer`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from importlib import resources
from pathlib import Path
from typing import Any

from parity.config.errors import ConfigError
from parity.config.yaml_loader import load_yaml_file

CONDITION_ROWS = {"lora-500": 500, "lora-full": None}
SMOKE_ROWS = 12


@dataclass(frozen=True)
class TrainingConfig:
    """``configs/training/<model>.yaml``."""

    base: str
    method: str = "peft"
    rank: int = 16
    alpha: int = 32
    dropout: float = 0.05
    target_modules: tuple[str, ...] = ("q_proj", "k_proj", "v_proj", "o_proj")
    learning_rate: float = 5e-4
    weight_decay: float = 0.0
    warmup_ratio: float = 0.1
    epochs: int = 2
    batch_size: int = 8
    max_seq_length: int = 512
    validation_fraction: float = 0.1
    seed: int = 42
    enable_thinking: bool | None = None
    gguf_file: str | None = None
    task_overrides: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    def for_task(self, task: str) -> TrainingConfig:
        """These settings with the task's overrides applied."""
        overrides = dict(self.task_overrides.get(task, {}))
        return TrainingConfig(**{**asdict(self), **overrides, "task_overrides": {}})


@dataclass(frozen=True)
class TaskSpec:
    """``configs/tasks/<task>.yaml`` (the Baseweight form plus Parity's dataset and task)."""

    task_id: str
    parity_dataset: str
    parity_task: str
    metric_id: str
    max_seq_length: int | None = None
    training_cap: int | None = None
    test_sample_size: int | None = None
    prompt: str | None = None  # the template adapters train on and are served with


def trained_prompt(task: str, root: Path) -> str | None:
    """The prompt template LoRA adapters of ``task`` are trained on (``prompt:`` in
    ``configs/tasks/<task>.yaml``), or None when the task has no config or names none."""
    path = _config_file(root, "tasks", task)
    if not path.is_file():
        return None
    return load_task_spec(task, root).prompt


def _read_yaml(path: Path, what: str) -> dict[str, Any]:
    if not path.is_file():
        raise ConfigError(str(path), f"no {what} config", fix=f"create {path}")
    data = load_yaml_file(path, f"{what} config") or {}
    if not isinstance(data, dict):
        raise ConfigError(str(path), f"the {what} config must be a mapping")
    return data


def _typed(cls: type, data: Mapping[str, Any], path: Path) -> Any:
    known = {f.name for f in fields(cls)}
    unknown = sorted(set(data) - known)
    if unknown:
        raise ConfigError(str(path), f"unknown key(s) {', '.join(unknown)}",
                          fix=f"valid keys: {', '.join(sorted(known))}")  # fmt: skip
    values = dict(data)
    if "target_modules" in values:
        values["target_modules"] = tuple(values["target_modules"])
    return cls(**values)


def _config_file(root: Path, kind: str, name: str) -> Path:
    """``<root>/configs/<kind>/<name>.yaml`` when the project has one, else the shipped one."""
    own = root / "configs" / kind / f"{name}.yaml"
    if own.is_file():
        return own
    return Path(str(resources.files("parity.configs") / kind / f"{name}.yaml"))


def load_training_config(model: str, root: Path, path: Path | None = None) -> TrainingConfig:
    """The training settings of ``model`` (or of the file at ``path``)."""
    path = path or _config_file(root, "training", model)
    return _typed(TrainingConfig, _read_yaml(path, f"training ({model})"), path)


def load_task_spec(task: str, root: Path) -> TaskSpec:
    """The Baseweight task config of ``task``."""
    path = _config_file(root, "tasks", task)
    return _typed(TaskSpec, _read_yaml(path, f"task ({task})"), path)


def adapter_dir(root: Path, model: str, task: str, condition: str, smoke: bool = False) -> Path:
    """Where the adapter of (model, task, condition) lives."""
    base = root / "smoke" if smoke else root
    return base / "adapters" / model / task / condition


def train_command(model: str, task: str, condition: str, smoke: bool = False) -> str:
    """The exact command that trains the adapter."""
    command = f"python -m parity.train --model {model} --task {task} --condition {condition}"
    return command + (" --smoke" if smoke else "")
