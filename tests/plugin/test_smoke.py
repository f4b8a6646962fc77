"""--eval-smoke: every experiment on the shipped small model, a handful of examples, and
every output (reports, adapters) under its own smoke/ namespace."""

from __future__ import annotations

from parity.cases.cases import build_plan
from parity.cases.smoke import smoke_config
from parity.config.config import load_config, parse_config
from tests.conftest import experiment
from tests.support.pytest_runs import run_pytest


def test_smoke_swaps_in_the_small_model_caps_examples_and_namespaces_adapters():
    raw = [
        experiment(id="api", model={"name": "openai:gpt-5.4-mini", "max_tokens": 8},
                   dataset={"name": "banking77", "source": "shipped", "num_examples": 300},
                   task={"name": "classification"}, metrics=["weighted_f1"], condition="5-shot"),
        experiment(id="open", model={"name": "hf:Qwen/Qwen3-8B", "enable_thinking": False},
                   dataset={"name": "banking77", "source": "shipped", "num_examples": 5},
                   task={"name": "classification"}, metrics=["weighted_f1"], condition="lora-full"),
    ]  # fmt: skip
    api, open_model = smoke_config(parse_config(raw, "t.yaml")).experiments
    assert (api.model.name, api.model.options, api.dataset.num_examples) == (
        "hf:smollm2",
        {"max_tokens": 8},
        12,
    )
    assert api.dataset.num_shots == 5 and api.condition == "5-shot"
    assert open_model.model.options == {"adapter": "smoke/adapters/smollm2/banking77/lora-full"}
    assert open_model.dataset.num_examples == 5
    (case, *_) = [c for c in build_plan(smoke_config(parse_config(raw, "t.yaml"))).cases
                  if c.experiment.id == "open"]  # fmt: skip
    assert (
        "`python -m parity.train --model smollm2 --task banking77 --condition lora-full --smoke`"
        in (case.skip_reason or "")
    )


def test_the_shipped_baseweight_config_collects_in_smoke_form(tmp_path):
    from importlib import resources

    config = resources.files("parity.configs") / "baseweight_cpu.yaml"
    assert len(load_config(str(config)).experiments) == 3
    result = run_pytest(tmp_path, f"--eval-config={config}", "--eval-smoke", "--collect-only", "-q")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "36 tests collected" in result.stdout  # 3 conditions x 12 examples
