"""One scheduler for the whole run: every selected case is queued at collection end.

Cases are grouped by the endpoint lane they reach (:class:`parity.engine.pacing.LaneKey`). Each lane
has a pool of daemon threads, as many as its in-flight limit, which send the requests its
queue holds. A case waiting out a ``Retry-After`` or a backoff sleeps on its thread but holds
no slot: each such wait adds a sender (up to ``SENDERS_PER_SLOT`` times the limit), so another
case's request goes out in its place. The lane's :class:`parity.engine.pacing.AdaptiveLimit`, not
the thread count, bounds what is in flight. Lanes run side by side, so experiments on
different endpoints overlap, and experiments sharing one endpoint share its limits. Each
pytest item waits only for its own result. A lane sends its cases in collection order (a case
compressed first, on its sender thread, keeps its place), so pytest's first items report
after about the first cases' time, not after the whole run.

Feeding a lane — building a case's requests once and looking them up in the cache — happens
on the main thread, at most ``window`` cases ahead of the items that consume them: at
submission each lane is fed its first ``window`` cases, and once consumed items have made
room for a batch, the next batch is fed (its cache lookups made in one query). A cached case
costs no thread hand-off (a feeder thread would fight the main thread for the GIL on every
item), memory stays bounded however many items a run has, and a lane holds at most
``window`` results or built requests at a time.

No error leaves a case without a result. An exception while a case is built, sent, scored
or handed to the sink fails that case, with the error, and the run goes on; a sink that
raises :class:`RunStopped` (its rows cannot be written) stops the run: every case still
waiting fails with its message. A watchdog fails the run loudly when a case is pending but
no sender has worked on anything for ``stall_s`` seconds (a sender thread that died), so a
run never hangs silently.
"""

from __future__ import annotations

import queue
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

from parity.cases.cases import EvalCase
from parity.config.config import Experiment
from parity.engine.execution import (
    Engine,
    build_requests,
    record_for,
    score_completions,
    with_context,
)
from parity.engine.pacing import Lane
from parity.engine.redaction import redact
from parity.fixtures.clients import ClientPool
from parity.fixtures.compressors import Compression, Compressor, CompressorPool
from parity.fixtures.providers import ChatRequest, Completion, ModelClient
from parity.record.record import EvalRecord

DEFAULT_WINDOW = 4096
# Most sender threads per in-flight slot: as many cases may wait out a retry as are in flight.
SENDERS_PER_SLOT = 2
LOOKUP_BATCH = 256  # cases fed, and looked up in the cache, at a time
DEFAULT_STALL_S = 120.0  # the watchdog: nothing worked on for this long while a case waits
STALL_CHECK_S = 1.0  # how often a waiting item looks at the watchdog (at most)
ResultSink = Callable[[EvalCase, EvalRecord], None]


class RunStopped(Exception):
    """Raised by a result sink when no result can be kept any more (the raw rows cannot be
    written): the scheduler fails the case and stops the run with this message."""


@dataclass(frozen=True)
class OnWait:
    """``call`` runs every ``every_s`` seconds while an item waits for its result (the
    progress line). The waiting main thread wakes at most once a second (``STALL_CHECK_S``,
    for the watchdog): a local model's compute threads spin-wait on each other, and a thread
    waking every few milliseconds slows them."""

    every_s: float
    call: Callable[[], None]


@dataclass
class ExperimentProgress:
    """How far one experiment has come in this process."""

    total: int = 0
    done: int = 0
    cached: int = 0
    failed: int = 0


class _Slot:
    """Where one case's outcome lands; the item waiting on it blocks on ``ready``."""

    __slots__ = ("cached", "compression", "ready", "record", "requests")

    def __init__(self) -> None:
        self.ready = threading.Event()
        self.record: EvalRecord | None = None
        self.cached: list[Completion] | None = None
        self.requests: Sequence[ChatRequest] = ()
        self.compression: Compression | None = None


@dataclass
class _Work:
    client: ModelClient
    case: EvalCase
    requests: Sequence[ChatRequest] | None = field(default_factory=tuple)  # None: compress first
    compressor: Compressor | None = None
    compression: Compression | None = None


def _looked_up(work: _Work) -> bool:
    """Whether ``work``'s answers are looked up when it is fed: its requests are built, and
    no judge grades it (a judged case runs on a sender thread, cache hits and all)."""
    return work.requests is not None and not work.case.experiment.judges


class _LaneRunner:
    """The cases of one endpoint lane and the threads that send them. A case gets its slot
    when it is fed, so a run holds at most ``window`` slots per lane."""

    def __init__(
        self,
        scheduler: RunScheduler,
        lane: Lane,
        cases: list[EvalCase],
        clients: dict[str, ModelClient],
    ) -> None:
        self.scheduler = scheduler
        self.lane = lane
        self.clients = clients  # by experiment id
        self.unfed: deque[EvalCase] = deque(cases)
        self.outstanding = 0  # fed, not yet consumed
        self.queue: queue.Queue[_Work | None] = queue.Queue()
        self.senders = 0  # running senders still to be told to stop
        self.started = 0
        self.fed_all = False
        self._senders_lock = threading.Lock()

    def start(self) -> None:
        """Start one sender thread per in-flight slot; each retry wait adds one more."""
        for _ in range(self.lane.flow.maximum):
            self.add_sender()
        self.lane.on_retry_wait = self.add_sender

    def add_sender(self) -> None:
        """One more sender thread, up to ``SENDERS_PER_SLOT`` per slot: a case about to wait
        out a retry holds its thread but not its slot."""
        with self._senders_lock:
            if self.started >= SENDERS_PER_SLOT * self.lane.flow.maximum:
                return
            number, self.started = self.started, self.started + 1
            if self.fed_all:
                self.queue.put(None)  # behind the queued work: it stops once that is sent
            else:
                self.senders += 1
        name = f"parity-send-{number} {self.lane.key.label()}"
        threading.Thread(target=self._send, name=name, daemon=True).start()

    def feed(self, window: int) -> None:
        """Build, look up and queue cases until ``window`` are outstanding (main thread),
        ``LOOKUP_BATCH`` cases to a cache query."""
        while self.unfed and self.outstanding < window:
            batch: list[_Work] = []
            while self.unfed and self.outstanding < window and len(batch) < LOOKUP_BATCH:
                work = self._prepare(self.unfed.popleft())
                if work is not None:
                    batch.append(work)
            self._look_up(batch)
        if not self.unfed:
            with self._senders_lock:
                for _ in range(self.senders):
                    self.queue.put(None)
                self.senders, self.fed_all = 0, True

    def _prepare(self, case: EvalCase) -> _Work | None:
        """Open a fed case's slot and build its requests (left None when the case is to be
        compressed first, on a sender thread); None when its requests failed."""
        engine = self.scheduler.engine
        work = _Work(self.clients[case.experiment.id], case)
        self.outstanding += 1
        self.scheduler.open_slot(case)
        try:
            work.compressor = self.scheduler.compressor_for(case)
            if work.compressor is not None:
                work.compression = engine.cached_compression(work.compressor, case, work.client)
                if work.compression is None:
                    work.requests = None
                    return work
            work.requests = build_requests(case.experiment, with_context(case, work.compression))
        except Exception as exc:
            self._fail(work, exc)
            return None
        return work

    def _look_up(self, batch: list[_Work]) -> None:
        """Keep the cached cases' answers for their items to score; queue the others in
        the batch's order, which is pytest's (a case to be compressed first, on a sender
        thread, needs no lookup but keeps its place, so the first items' requests go
        first); one cache query for the batch. A judged case is always queued: its judges'
        requests are sent (or found in the cache) on a sender thread, after its prediction."""
        built = [w for w in batch if _looked_up(w)]
        engine = self.scheduler.engine
        try:
            wanted = [(w.client, w.case, w.requests or ()) for w in built]
            answers = iter(engine.cached_completions(wanted) if built else [])
        except Exception as exc:
            if len(batch) == 1:
                self._fail(batch[0], exc)
            else:  # find the case whose lookup fails: each one alone
                for work in batch:
                    self._look_up([work])
            return
        for work in batch:
            cached = next(answers) if _looked_up(work) else None
            if cached is None:
                self.queue.put(work)
            else:  # scored when its item asks for it
                slot = self.scheduler.slot(work.case)
                slot.cached, slot.requests = cached, work.requests or ()
                slot.compression = work.compression

    def _fail(self, work: _Work, error: Exception) -> None:
        message = redact(f"{type(error).__name__}: {error}", work.client.secrets())
        self.scheduler.deliver(work.case, record_for(work.case, error=message))

    def _send(self) -> None:
        """Send queued cases until told to stop; an exception fails its case, never the
        thread (the watchdog covers a thread that dies of anything else)."""
        scheduler = self.scheduler
        while (item := self.queue.get()) is not None:
            if scheduler.cancelled.is_set():
                continue
            with scheduler.working():
                try:
                    record = scheduler.engine.run_case(
                        item.client, item.case, item.requests, item.compressor, item.compression,
                        scheduler.clients.for_model,
                    )  # fmt: skip
                except Exception as exc:
                    self._fail(item, exc)
                else:
                    scheduler.deliver(item.case, record)


class RunScheduler:
    """Runs submitted cases lane by lane; each item collects its own result."""

    def __init__(
        self,
        engine: Engine,
        clients: ClientPool,
        sink: ResultSink,
        window: int = DEFAULT_WINDOW,
        compressors: CompressorPool | None = None,
        stall_s: float = DEFAULT_STALL_S,
    ) -> None:
        self.engine = engine
        self.clients = clients
        self.compressors = compressors if compressors is not None else CompressorPool()
        self.sink = sink
        self.window = window
        self.stall_s = stall_s
        self.cancelled = threading.Event()
        self.stopped: str | None = None  # why the run stopped (rows not written, a stall)
        self._busy = 0  # sender threads working on a case now
        self._last_activity = time.monotonic()
        self.progress: dict[str, ExperimentProgress] = {}
        self._runner_of: dict[str, _LaneRunner | None] = {}  # every submitted case
        self._slots: dict[str, _Slot] = {}  # fed cases not collected yet
        self._runners: list[_LaneRunner] = []
        self._lock = threading.Lock()

    def submit(self, cases: Sequence[EvalCase]) -> None:
        """Queue ``cases`` (in pytest order) on their endpoint lanes and start sending."""
        self.engine.start_call_process(case.experiment for case in cases)
        by_lane: dict[object, tuple[Lane, list[EvalCase], dict[str, ModelClient]]] = {}
        failed: list[tuple[EvalCase, EvalRecord]] = []
        lane_of: dict[str, tuple[Lane, ModelClient] | str] = {}  # by experiment id, or an error
        for case in cases:
            experiment = case.experiment
            progress = self.progress.setdefault(experiment.id, ExperimentProgress())
            progress.total += 1
            found = lane_of.get(experiment.id)
            if found is None:
                found = lane_of[experiment.id] = self._lane_of(experiment)
            if isinstance(found, str):
                self._runner_of[case.id] = None
                self.open_slot(case)
                failed.append((case, record_for(case, error=found)))
                continue
            lane, client = found
            entry = by_lane.setdefault(lane.key, (lane, [], {}))
            entry[1].append(case)
            entry[2][experiment.id] = client
        runners = [
            _LaneRunner(self, lane, members, clients) for lane, members, clients in by_lane.values()
        ]
        for runner in runners:
            for case in runner.unfed:
                self._runner_of[case.id] = runner
        self._runners += runners
        for case, record in failed:
            self.deliver(case, record)
        for runner in runners:
            runner.start()
            runner.feed(self.window)

    def _lane_of(self, experiment: Experiment) -> tuple[Lane, ModelClient] | str:
        """The endpoint lane and client of ``experiment``, or why its client cannot be made."""
        try:
            client = self.clients.get(experiment)
            return self.engine.lane_for(client), client
        except Exception as exc:
            return f"{type(exc).__name__}: {exc}"

    def compressor_for(self, case: EvalCase) -> Compressor | None:
        """The session's compressor of a compressed experiment (None for the others)."""
        compression = case.experiment.model.compression
        return None if compression is None else self.compressors.get(compression)

    def submitted(self, case: EvalCase) -> bool:
        """Whether ``case`` was handed to this scheduler (and not collected yet)."""
        return case.id in self._runner_of

    def open_slot(self, case: EvalCase) -> None:
        """Make the slot a fed case's result will land in."""
        self._slots[case.id] = _Slot()

    def slot(self, case: EvalCase) -> _Slot:
        """The slot of a fed case."""
        return self._slots[case.id]

    def deliver(self, case: EvalCase, record: EvalRecord) -> None:
        """Take a finished record: hand it to the sink, count it, wake its item. Never
        raises: a sink that fails fails the case instead, with its error, and one that
        raises :class:`RunStopped` also stops the run."""
        try:
            self.sink(case, record)
        except RunStopped as stop:
            record = record_for(case, error=str(stop))
            self.stop(str(stop))
        except Exception as exc:
            record = record_for(
                case, error=f"the result could not be recorded: {type(exc).__name__}: {exc}"
            )
        with self._lock:
            self._last_activity = time.monotonic()
            progress = self.progress[case.experiment.id]
            progress.done += 1
            progress.cached += record.cached
            progress.failed += record.error is not None
            slot = self._slots.get(case.id)
            if slot is not None and not slot.ready.is_set():
                slot.record = record
                slot.ready.set()

    @contextmanager
    def working(self) -> Iterator[None]:
        """Held by a sender thread while it works on a case (what the watchdog sees)."""
        with self._lock:
            self._busy += 1
            self._last_activity = time.monotonic()
        try:
            yield
        finally:
            with self._lock:
                self._busy -= 1
                self._last_activity = time.monotonic()

    def stop(self, message: str) -> None:
        """Stop the run (any thread): nothing more is sent, and every case still waiting,
        or waited for later, fails with ``message``."""
        with self._lock:
            if self.stopped is not None:
                return
            self.stopped = message
            self.cancelled.set()  # senders skip what is queued
            pending = list(self._slots.values())
        for slot in pending:
            slot.ready.set()  # its item wakes and finds no record

    def wait(self, case: EvalCase, on_wait: OnWait | None = None) -> EvalRecord:
        """Block until ``case``'s result exists and return it (its slot is released)."""
        runner = self._runner_of.pop(case.id)
        while (
            self.stopped is None
            and runner is not None
            and case.id not in self._slots
            and runner.unfed
        ):
            runner.feed(runner.outstanding + 1)  # items ran ahead of the window
        slot = self._slots.get(case.id)
        if slot is None:  # the run stopped before the case was fed
            return self._stopped_record(case)
        if slot.cached is not None:
            try:
                record = score_completions(case, slot.requests, slot.cached, slot.compression)
            except Exception as exc:
                record = record_for(case, error=f"{type(exc).__name__}: {exc}")
            self.deliver(case, record)
            slot.cached, slot.requests, slot.compression = None, (), None
        record = self._await(case, slot, on_wait)
        del self._slots[case.id]
        if runner is not None:
            runner.outstanding -= 1
            if self.stopped is None and (
                runner.outstanding <= self.window - min(LOOKUP_BATCH, self.window // 2)
            ):
                runner.feed(self.window)  # a batch at a time, not one case per item
        return record

    def _await(self, case: EvalCase, slot: _Slot, on_wait: OnWait | None) -> EvalRecord:
        """Wait for ``slot``'s record, running ``on_wait`` and the watchdog meanwhile; once
        the run has stopped, the case's failure instead."""
        every = on_wait.every_s if on_wait is not None and on_wait.every_s > 0 else None
        due = time.monotonic() + (every or 0.0)
        check_s = min(STALL_CHECK_S, self.stall_s, every or STALL_CHECK_S)
        while not slot.ready.wait(check_s):
            if on_wait is not None and every is not None and time.monotonic() >= due:
                on_wait.call()
                due = time.monotonic() + every
            if self._stalled():
                self.stop(
                    f"parity: no progress for {self.stall_s:g} s: {case.id} waits for its "
                    "result, but no request is in flight and nothing is being computed (a "
                    "sender thread stopped). The run stops instead of hanging; please report "
                    "this as a bug, with the log above.\n  Fix: --parity-resume continues "
                    "the run from the rows it kept."
                )
        with self._lock:
            if slot.record is None:
                slot.record = self._stopped_record(case)
            return slot.record

    def _stopped_record(self, case: EvalCase) -> EvalRecord:
        """The failure of a case the stopped run left without a result."""
        return record_for(case, error=self.stopped or "the run stopped before this case ran")

    def _stalled(self) -> bool:
        """Whether the watchdog fires: no sender busy, and none was for ``stall_s``."""
        with self._lock:
            idle = time.monotonic() - self._last_activity
            return self._busy == 0 and idle >= self.stall_s and self.stopped is None

    def cancel(self) -> None:
        """Stop sending new requests (Ctrl-C, ``-x``); requests in flight finish on their own."""
        self.cancelled.set()
        for runner in self._runners:
            runner.unfed.clear()
            runner.feed(0)

    def in_flight(self) -> int:
        """Requests on the wire right now, over every lane."""
        return sum(lane.flow.in_flight for lane in self.engine.lanes())
