"""``--parity-smoke``: the whole path, tiny — as the Baseweight benchmark's ``--smoke-test``.

Every experiment runs on the shipped small model (``hf:smollm2``, offline) over at most
``SMOKE_EXAMPLES`` examples; LoRA conditions train for one epoch on ``SMOKE_ROWS`` rows; every
output goes under a separate ``smoke/`` namespace (``reports/smoke/``, ``smoke/adapters/``), so
a smoke run can never overwrite real results.
"""

from __future__ import annotations

from dataclasses import replace

from parity.config.config import Experiment, RunConfig, adapter_task
from parity.train.spec import SMOKE_ROWS

SMOKE_MODEL = "smollm2"
SMOKE_EXAMPLES = SMOKE_ROWS
SMOKE_DIR = "smoke"


def smoke_experiment(experiment: Experiment) -> Experiment:
    """``experiment`` on the small stand-in model and a handful of examples."""
    model = experiment.model
    options = {k: v for k, v in model.options.items() if k in ("max_tokens", "temperature")}
    condition = experiment.condition or ""
    if condition.startswith("lora"):
        task = adapter_task(experiment.dataset.name)
        options["adapter"] = f"{SMOKE_DIR}/adapters/{SMOKE_MODEL}/{task}/{condition}"
    stand_in = replace(
        model, name=f"hf:{SMOKE_MODEL}", provider="hf", model=SMOKE_MODEL, options=options,
        pricing=None,
    )  # fmt: skip
    wanted = experiment.dataset.num_examples
    examples = SMOKE_EXAMPLES if wanted is None else min(wanted, SMOKE_EXAMPLES)
    return replace(
        experiment, model=stand_in, dataset=replace(experiment.dataset, num_examples=examples)
    )


def smoke_config(config: RunConfig) -> RunConfig:
    """Every experiment of ``config`` in smoke form (ids unchanged)."""
    return replace(config, experiments=tuple(smoke_experiment(e) for e in config.experiments))
