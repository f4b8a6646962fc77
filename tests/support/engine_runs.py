"""Run cases through the real scheduler and engine, the way a pytest run does."""

from __future__ import annotations

from collections.abc import Sequence

from parity.cases.cases import EvalCase
from parity.engine.execution import Engine
from parity.engine.scheduler import RunScheduler
from parity.fixtures.clients import ClientPool
from parity.record.record import EvalRecord


def run_cases(engine: Engine, cases: Sequence[EvalCase]) -> list[EvalRecord]:
    """Submit ``cases`` to a :class:`RunScheduler` and wait for each result in order."""
    clients = ClientPool()
    scheduler = RunScheduler(engine, clients, lambda case, record: None)
    try:
        scheduler.submit(cases)
        return [scheduler.wait(case) for case in cases]
    finally:
        scheduler.cancel()
        clients.close()
        scheduler.compressors.close()


def synthetic_cases(
    base_url: str, n: int, experiment_id: str = "synthetic", **model_options: object
) -> list[EvalCase]:
    """``n`` HotpotQA-shaped cases of one ``openai-compatible`` experiment at ``base_url``.

    The data is synthetic on purpose: these runs measure the machinery, not scores.
    """
    from parity.config.config import parse_config
    from parity.evals.datasets import Example

    model = {"name": "openai-compatible:synthetic", "base_url": base_url, **model_options}
    config = parse_config(
        [{"id": experiment_id, "model": model, "dataset": {"name": "hotpotqa"},
          "task": {"name": "rag_qa"}, "metrics": ["exact_match", "f1"]}],
        f"{experiment_id}.yaml",
    )  # fmt: skip
    experiment = config.experiments[0]
    return [
        EvalCase(
            experiment,
            Example(str(i), f"question {i}?", f"context {i}", ("Paris",)),
            i,
            f"{experiment_id}-{i}",
        )
        for i in range(n)
    ]
