"""The per-process evaluation runtime: queues the selected cases and serves item results.

A serial run hands every selected case to the scheduler at collection end. Under xdist each
worker owns one *partition* of the cases (position modulo the worker count, the same split
:mod:`parity.pytest_plugin.xdist_scheduling` sends it), and queues the whole partition when its first item
arrives. A partition that arrives part-way through (a replacement for a crashed worker)
first takes the rows the crashed worker already wrote, so nothing is computed twice.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from parity.cases.cases import EvalCase, EvalPlan
from parity.config.file_names import raw_file_stem_of
from parity.engine.execution import Engine
from parity.engine.scheduler import DEFAULT_STALL_S, OnWait, RunScheduler, RunStopped
from parity.fixtures.clients import ClientPool
from parity.record.jsonl import read_jsonl
from parity.record.raw_writer import RawResultWriter
from parity.record.record import EvalRecord, from_raw_row, raw_row
from parity.record.run_setup import store_setups, with_endpoint
from parity.record.writable import rows_not_written


def raw_file_stem(case: EvalCase) -> str:
    """The raw file stem of ``case`` (see :func:`raw_file_stem_of`)."""
    return raw_file_stem_of(case.experiment.id, case.example.metadata.get("subset"))


def identity_of(case: EvalCase) -> dict[str, object]:
    """The record fields that name ``case`` (filled in for rows written by older versions)."""
    return {
        "experiment_id": case.experiment.id,
        "example_index": case.index,
        "model": case.experiment.model.name,
    }


def partition_of(position: int, workers: int) -> int:
    """The xdist partition (worker share) of the runnable case at ``position``."""
    return position % max(1, workers)


class EvalRuntime:
    """Holds the plan, the selected cases and their results for one pytest process."""

    def __init__(
        self,
        plan: EvalPlan,
        run_dir: Path,
        workers: int,
        engine: Engine,
        clients: ClientPool,
        resume: bool = False,
        partitioned: bool = False,
        setups: Mapping[str, Mapping[str, Any]] | None = None,
        stall_s: float = DEFAULT_STALL_S,
    ) -> None:
        self.plan = plan
        self.setups = setups or {}  # by experiment id: stored beside its rows (run_setup.py)
        self._stored_setups: set[str] = set()
        self.writer = RawResultWriter(run_dir)
        self.workers = workers
        self.engine = engine
        self.clients = clients
        self.resume = resume
        self.partitioned = partitioned
        self.resumed = 0
        self.scheduler = RunScheduler(engine, clients, self._record, stall_s=stall_s)
        self.rows_lost: str | None = None  # why rows can no longer be written
        self._partitions: list[list[EvalCase]] = []
        self._partition_of: dict[str, int] = {}
        self._finished: dict[str, EvalRecord] = {}

    def select(self, cases: Sequence[EvalCase]) -> None:
        """Take the cases this session will run (after ``-k``/``-m`` deselection).

        A serial process queues them all now; an xdist worker waits for its partition.
        """
        runnable = [case for case in cases if case.skip_reason is None]
        if not self.partitioned:
            self._start(runnable, self.resume)
            return
        self._partitions = [[] for _ in range(self.workers)]
        for position, case in enumerate(runnable):
            part = partition_of(position, self.workers)
            self._partitions[part].append(case)
            self._partition_of[case.id] = part

    def _start(self, cases: Sequence[EvalCase], take_finished: bool) -> None:
        if take_finished:
            self._load_finished(cases)
        self._store_setups(cases)
        self.scheduler.submit([case for case in cases if case.id not in self._finished])

    def _start_partition_of(self, case: EvalCase) -> None:
        part = self._partition_of.get(case.id)
        if part is None:  # not scheduled by Parity's xdist scheduler: compute it alone
            self.scheduler.submit([case])
            return
        members = self._partitions[part]
        self._partitions[part] = []
        start = next((i for i, member in enumerate(members) if member.id == case.id), 0)
        # Rows already in the run directory are taken, not recomputed: a crashed worker's
        # partition picked up by another worker, or --parity-resume.
        self._start(members[start:], True)

    def _store_setups(self, cases: Sequence[EvalCase]) -> None:
        """Store each experiment's setup, with the endpoint its requests go to, beside its
        rows before its first request is sent."""
        experiments = {case.experiment.id: case.experiment for case in cases}
        new = set(experiments) - self._stored_setups
        setups = {
            i: with_endpoint(
                self.setups[i], self.engine.endpoint_of(self.clients.get(experiments[i]))
            )
            for i in new
            if i in self.setups
        }
        store_setups(self.writer.run_dir, setups)
        self._stored_setups |= new

    def _load_finished(self, cases: Sequence[EvalCase]) -> None:
        """Take results that an earlier, interrupted run already wrote to this run directory."""
        wanted: dict[str, dict[tuple[str, int], EvalCase]] = {}
        for case in cases:
            wanted.setdefault(case.experiment.id, {})[(case.example.id, case.repeat)] = case
        for by_example in wanted.values():
            stems = {raw_file_stem(case) for case in by_example.values()}
            rows = [
                line.value
                for stem in sorted(stems)
                if (path := self.writer.path_for(stem)).exists()
                # a line cut short by the interruption is skipped
                for line in read_jsonl(path, skip_bad=True)
                if isinstance(line.value, dict)
            ]
            for row in rows:
                repeat = (row.get("metadata") or {}).get("repeat", 0)
                found = by_example.get((str(row.get("id")), repeat))
                if found is not None and found.id not in self._finished:
                    self._finished[found.id] = from_raw_row({**identity_of(found), **row})
                    self.resumed += 1

    def result_for(self, case: EvalCase, on_wait: OnWait | None = None) -> EvalRecord:
        """The case's result: taken from an earlier run, or waited for (queued if needed)."""
        finished = self._finished.pop(case.id, None)
        if finished is not None:
            return finished
        if not self.scheduler.submitted(case):
            self._start_partition_of(case)
            finished = self._finished.pop(case.id, None)
            if finished is not None:
                return finished
        return self.scheduler.wait(case, on_wait)

    def _record(self, case: EvalCase, record: EvalRecord) -> None:
        """Write a finished record's raw row; once a row could not be written (a full disk,
        a read-only directory), raise :class:`RunStopped` for this and every later one."""
        if not record.finished:
            return
        if self.rows_lost is not None:
            raise RunStopped(self.rows_lost)
        stem = raw_file_stem(case)
        try:
            self.writer.append(stem, raw_row(record))
        except OSError as exc:
            self.rows_lost = rows_not_written(self.writer.path_for(stem), exc)
            raise RunStopped(self.rows_lost) from exc

    def close(self) -> None:
        """Stop queuing new work, close the raw files, every model client and compressor."""
        self.scheduler.cancel()
        self.writer.close()
        self.clients.close()
        self.scheduler.compressors.close()
