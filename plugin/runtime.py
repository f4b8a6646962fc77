"""The per-process evaluation runtime: computes chunks on first use and serves item results."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from parity.cases import EvalCase, EvalPlan
from parity.chunking import assign_chunks
from parity.execution import Engine
from parity.fixtures.clients import ClientPool
from parity.raw_writer import RawResultWriter
from parity.results import ExampleResult


def raw_file_stem(case: EvalCase) -> str:
    """``{experiment_id}``, or ``{experiment_id}_{task}`` for multi-task datasets (LongBench)."""
    subset = case.example.metadata.get("subset")
    return f"{case.experiment.id}_{subset}" if subset else case.experiment.id


class EvalRuntime:
    """Holds the plan, the selected cases and their results for one pytest process."""

    def __init__(
        self,
        plan: EvalPlan,
        run_dir: Path,
        workers: int,
        batch_size: int,
        engine: Engine,
        resume: bool = False,
    ) -> None:
        self.plan = plan
        self.writer = RawResultWriter(run_dir)
        self.workers = workers
        self.batch_size = batch_size
        self.engine = engine
        self.resume = resume
        self.resumed = 0
        self._chunks: dict[str, str] = {}
        self._members: dict[str, list[EvalCase]] = {}
        self._results: dict[str, ExampleResult] = {}

    def select(self, cases: Sequence[EvalCase]) -> None:
        """Record the cases this session will run (after ``-k``/``-m`` deselection)."""
        runnable = [case for case in cases if case.skip_reason is None]
        self._chunks = assign_chunks(runnable, self.workers, self.batch_size)
        self._members = {}
        for case in runnable:
            self._members.setdefault(self._chunks[case.id], []).append(case)
        if self.resume:
            self._load_finished(runnable)

    def _load_finished(self, cases: Sequence[EvalCase]) -> None:
        """Take results that an earlier, interrupted run already wrote to this run directory."""
        wanted: dict[str, dict[str, EvalCase]] = {}
        for case in cases:
            wanted.setdefault(case.experiment.id, {})[case.example.id] = case
        for by_example in wanted.values():
            stems = {raw_file_stem(case) for case in by_example.values()}
            lines = [
                line
                for stem in sorted(stems)
                if (path := self.writer.path_for(stem)).exists()
                for line in path.read_text(encoding="utf-8").splitlines()
            ]
            for line in lines:
                try:
                    row = json.loads(line)
                except json.JSONDecodeError:
                    continue  # a line cut short by the interruption
                case = by_example.get(str(row.get("id")))
                if case is not None and case.id not in self._results:
                    self._results[case.id] = ExampleResult.from_raw_row(case, row)
                    self.resumed += 1

    def result_for(self, case: EvalCase, clients: ClientPool) -> ExampleResult:
        """Return the case's result, computing its whole chunk on first use."""
        if case.id not in self._results:
            chunk = self._chunks.get(case.id)
            members = self._members.get(chunk, [case]) if chunk else [case]
            self._compute([c for c in members if c.id not in self._results] or [case], clients)
        return self._results[case.id]

    def _compute(self, cases: list[EvalCase], clients: ClientPool) -> None:
        experiment = cases[0].experiment
        try:
            client = clients.get(experiment)
        except Exception as exc:
            for case in cases:
                self._results[case.id] = ExampleResult(
                    case=case, error=f"{type(exc).__name__}: {exc}"
                )
            return
        self.engine.run_batch(client, cases, self._record)

    def _record(self, result: ExampleResult) -> None:
        self._results[result.case.id] = result
        if result.error is None and result.skip_reason is None:
            self.writer.append(raw_file_stem(result.case), result.raw_row())
