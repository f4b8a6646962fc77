"""Parts of the pytest plugin that a run cannot show cheaply."""

from __future__ import annotations

import gc
import os
import subprocess
import sys

from parity.pytest_plugin import FREEZE_FROM_ITEMS, freeze_collected_objects


def test_only_a_large_run_freezes_the_objects_collection_made():
    gc.unfreeze()
    assert not freeze_collected_objects(FREEZE_FROM_ITEMS - 1)
    assert gc.get_freeze_count() == 0
    try:
        assert freeze_collected_objects(FREEZE_FROM_ITEMS)
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()


def test_loading_the_plugin_imports_no_numerics_or_sdk():
    """Every pytest run with Parity installed loads the plugin: numpy, scipy and the SDKs
    (together over a second) wait until a run needs them."""
    heavy = ("numpy", "scipy", "openai", "anthropic", "google.genai", "torch", "sklearn")
    probe = f"import sys, parity.pytest_plugin; print([m for m in {heavy!r} if m in sys.modules])"
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


PROBE = """
from pathlib import Path

import parity.pytest_plugin.planning as planning
import parity.pytest_plugin.training as training

EVENTS = []
_build_plan = planning.build_plan


def counting_build_plan(*args, **kwargs):
    EVENTS.append("plan")
    return _build_plan(*args, **kwargs)


def fake_ensure_adapter(model, task, condition, root, smoke=False):
    EVENTS.append(f"train {model}/{task}/{condition}")
    folder = Path(root) / "adapters" / model / task / condition
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "adapter_config.json").write_text("{}")
    return folder


planning.build_plan = counting_build_plan
training.ensure_adapter = fake_ensure_adapter


def pytest_collection_finish(session):
    print("EVENTS", EVENTS)
"""


def test_eval_train_trains_first_and_builds_the_plan_once(tmp_path):
    """``--eval-train`` is a step before the plan: the missing adapter is trained, then the
    plan is built once (with its LoRA items runnable), not built, trained for and rebuilt."""
    (tmp_path / "train_probe.py").write_text(PROBE)
    (tmp_path / "conditions.yaml").write_text(
        "experiments:\n"
        "  - id: b77\n"
        "    model: {name: 'hf:smollm2', max_tokens: 4}\n"
        "    dataset: {name: banking77, source: shipped, num_examples: 2}\n"
        "    task: {name: classification}\n"
        "    metrics: [accuracy]\n"
        "    conditions: [zero-shot, lora-500]\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    env["PYTHONPATH"] = str(tmp_path)
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "--pyargs", "parity.evals", "-p", "no:cacheprovider",
         "-p", "train_probe", "--collect-only", "-q", "--eval-config=conditions.yaml",
         "--eval-train"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "EVENTS ['train smollm2/banking77/lora-500', 'plan']" in result.stdout
