"""One scheduler for the whole run: every selected case is queued at collection end.

Cases are grouped by the endpoint lane they reach (:class:`parity.pacing.LaneKey`). Each lane
has a feeder thread, which walks its cases in pytest order, builds their requests once and
answers cached cases at once, and a pool of daemon threads as large as the lane's in-flight
limit, which send the rest. Lanes run side by side, so experiments on different endpoints
overlap, and experiments sharing one endpoint share its limits. Each pytest item waits only
for its own result. A lane runs at most ``window`` results ahead of the items that consume
them, so memory stays bounded however many items a run has.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from parity.cases import EvalCase
from parity.execution import Engine, build_requests
from parity.fixtures.clients import ClientPool
from parity.fixtures.providers import ChatRequest, ModelClient
from parity.pacing import Lane
from parity.redaction import redact
from parity.results import ExampleResult

DEFAULT_WINDOW = 8192
ResultSink = Callable[[ExampleResult], None]


@dataclass
class ExperimentProgress:
    """How far one experiment has come in this process."""

    total: int = 0
    done: int = 0
    cached: int = 0
    failed: int = 0


class _Slot:
    """Where one case's result lands; the item waiting on it blocks on ``ready``."""

    __slots__ = ("ready", "result", "runner")

    def __init__(self, runner: _LaneRunner | None) -> None:
        self.ready = threading.Event()
        self.result: ExampleResult | None = None
        self.runner = runner


@dataclass
class _Work:
    client: ModelClient
    case: EvalCase
    requests: Sequence[ChatRequest] = field(default_factory=tuple)


class _LaneRunner:
    """The feeder and sender threads of one endpoint lane."""

    def __init__(self, scheduler: RunScheduler, lane: Lane, work: list[_Work], window: int) -> None:
        self.scheduler = scheduler
        self.lane = lane
        self.work = work
        self.window = threading.Semaphore(window)
        self.queue: queue.Queue[_Work | None] = queue.Queue()
        self.senders = lane.flow.maximum

    def start(self) -> None:
        name = self.lane.key.label()
        threading.Thread(target=self._feed, name=f"parity-feed {name}", daemon=True).start()
        for number in range(self.senders):
            threading.Thread(
                target=self._send, name=f"parity-send-{number} {name}", daemon=True
            ).start()

    def _feed(self) -> None:
        engine = self.scheduler.engine
        for item in self.work:
            self.window.acquire()
            if self.scheduler.cancelled.is_set():
                break
            try:
                item.requests = build_requests(item.case.experiment, item.case)
                cached = engine.cached_result(item.client, item.case, item.requests)
            except Exception as exc:
                message = redact(f"{type(exc).__name__}: {exc}", item.client.secrets())
                self.scheduler.deliver(ExampleResult(case=item.case, error=message))
                continue
            if cached is None:
                self.queue.put(item)
            else:
                self.scheduler.deliver(cached)
        self.work = []
        for _ in range(self.senders):
            self.queue.put(None)

    def _send(self) -> None:
        engine = self.scheduler.engine
        while (item := self.queue.get()) is not None:
            if self.scheduler.cancelled.is_set():
                continue
            self.scheduler.deliver(engine.run_case(item.client, item.case, item.requests))


class RunScheduler:
    """Runs submitted cases in the background, lane by lane; items collect their own result."""

    def __init__(
        self, engine: Engine, clients: ClientPool, sink: ResultSink, window: int = DEFAULT_WINDOW
    ) -> None:
        self.engine = engine
        self.clients = clients
        self.sink = sink
        self.window = window
        self.cancelled = threading.Event()
        self.progress: dict[str, ExperimentProgress] = {}
        self._slots: dict[str, _Slot] = {}
        self._lock = threading.Lock()

    def submit(self, cases: Sequence[EvalCase]) -> None:
        """Queue ``cases`` (in pytest order) on their endpoint lanes and start computing."""
        by_lane: dict[object, tuple[Lane, list[_Work]]] = {}
        failed: list[ExampleResult] = []
        for case in cases:
            progress = self.progress.setdefault(case.experiment.id, ExperimentProgress())
            progress.total += 1
            try:
                client = self.clients.get(case.experiment)
            except Exception as exc:
                self._slots[case.id] = _Slot(None)
                failed.append(ExampleResult(case=case, error=f"{type(exc).__name__}: {exc}"))
                continue
            lane = self.engine.lane_for(client)
            by_lane.setdefault(lane.key, (lane, []))[1].append(_Work(client, case))
        runners = [_LaneRunner(self, lane, work, self.window) for lane, work in by_lane.values()]
        for runner in runners:
            for item in runner.work:
                self._slots[item.case.id] = _Slot(runner)
        for result in failed:
            self.deliver(result)
        for runner in runners:
            runner.start()

    def submitted(self, case: EvalCase) -> bool:
        """Whether ``case`` was handed to this scheduler (and not collected yet)."""
        return case.id in self._slots

    def deliver(self, result: ExampleResult) -> None:
        """Record a finished result: hand it to the sink, count it, wake its item."""
        try:
            self.sink(result)
        finally:
            with self._lock:
                progress = self.progress[result.case.experiment.id]
                progress.done += 1
                progress.cached += result.cached
                progress.failed += result.error is not None
            slot = self._slots[result.case.id]
            slot.result = result
            slot.ready.set()

    def wait(self, case: EvalCase, on_wait: Callable[[], None] | None = None) -> ExampleResult:
        """Block until ``case``'s result exists and return it (the slot is released).

        ``on_wait`` is called about every second while the item waits (progress display).
        """
        slot = self._slots[case.id]
        while not slot.ready.wait(1.0):
            if on_wait is not None:
                on_wait()
        del self._slots[case.id]
        if slot.runner is not None:
            slot.runner.window.release()
        assert slot.result is not None
        return slot.result

    def cancel(self) -> None:
        """Stop starting new cases (Ctrl-C, ``-x``); requests in flight finish on their own."""
        self.cancelled.set()
        with self._lock:
            runners = {slot.runner for slot in self._slots.values() if slot.runner}
        for runner in runners:
            runner.window.release(len(runner.work) + 1)

    def in_flight(self) -> int:
        """Requests on the wire right now, over every lane."""
        return sum(lane.flow.in_flight for lane in self.engine.lanes())
