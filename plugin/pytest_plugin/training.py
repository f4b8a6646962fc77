"""``--parity-train``: a step of its own before the plan is built, training every adapter a
LoRA condition of the config lacks, so that the plan, built once, runs them."""

from __future__ import annotations

from pathlib import Path

import pytest

from parity.cases.cases import missing_adapter
from parity.config.config import RunConfig, adapter_task
from parity.train.trainer import ensure_adapter


def adapters_to_train(run_config: RunConfig) -> list[tuple[str, str, str]]:
    """(model, task, condition) of every LoRA condition whose adapter is not trained yet."""
    wanted = {
        (e.model.short_name, adapter_task(e.dataset.name), str(e.condition))
        for e in run_config.experiments
        if e.condition and (missing_adapter(e) or "").startswith("no adapter at")
    }
    return sorted(wanted)


def train_missing_adapters(config: pytest.Config, run_config: RunConfig) -> None:
    """Train the adapters :func:`adapters_to_train` finds, their progress shown (not
    captured); once across xdist workers (a file lock)."""
    capture = config.pluginmanager.getplugin("capturemanager")
    smoke = bool(config.getoption("eval_smoke"))
    for model, task, condition in adapters_to_train(run_config):
        if capture is None:
            ensure_adapter(model, task, condition, Path.cwd(), smoke)
            continue
        with capture.global_and_fixture_disabled():
            ensure_adapter(model, task, condition, Path.cwd(), smoke)
