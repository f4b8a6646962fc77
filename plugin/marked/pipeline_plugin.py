"""The pytest side of ``@pytest.mark.parity``: parametrize a marked test with its examples,
run it, score what it returns, and hand the record to the same aggregation, gates and
reports as a config experiment.

Registered by :mod:`parity.pytest_plugin` next to its state; inert in a project whose tests
carry no ``parity`` marker.
"""

from __future__ import annotations

import functools
import inspect
import time
from collections.abc import Callable, Generator, Iterable
from dataclasses import dataclass
from typing import Any

import pytest

from parity.cases.cases import example_keys
from parity.config.config import Experiment, ModelConfig, parse_model
from parity.config.errors import ParityError
from parity.config.schema import Context
from parity.evals.datasets import Example
from parity.fixtures.pipeline_model import CallMeter
from parity.marked.pipeline import (
    DEFAULT_MODEL,
    MARKER,
    MARKER_SOURCE,
    PipelineDef,
    experiment_to_data,
    merged_kwargs,
    pipeline_record,
    prediction_text,
    resolve_baselines,
)
from parity.record.raw_writer import RawResultWriter
from parity.record.record import EvalRecord, raw_row
from parity.record.scoring import NonFiniteScore

EXAMPLE_ARG = "example"
MODEL_FIXTURE = "parity_model"
# A pipeline item's reports carry its experiment (as data: xdist sends it to the controller).
EXPERIMENT_ATTRIBUTE = "parity_experiment"
# And, from an xdist worker, how many items of it the run selected and (once per experiment
# and worker) the ids of all its examples: the controller collects nothing, and needs both to
# tell a narrowed run (``-k``) from a whole one, as a serial run does.
SELECTION_ATTRIBUTE = "parity_selection"
_ITEM = pytest.StashKey["PipelineItem"]()
_RETURNED = pytest.StashKey[Any]()  # what the test function returned
_RECORDED = pytest.StashKey[Any]()  # what it recorded through parity_result


@dataclass(frozen=True)
class PipelineItem:
    """What a collected pipeline item evaluates."""

    definition: PipelineDef
    experiment: Experiment
    example: Example
    index: int

    def keywords(self) -> list[str]:
        """``-k`` words, as a config item has: dataset, task, model, provider, mode, tags."""
        model = self.experiment.model
        words = [self.experiment.dataset.name, self.experiment.task, model.short_name,
                 model.provider, model.mode, *self.experiment.tags]  # fmt: skip
        return list(dict.fromkeys(word for word in words if word))


def pipeline_item(item: pytest.Item) -> PipelineItem | None:
    """The pipeline item ``item`` is, or None for any other test."""
    return item.stash.get(_ITEM, None)


def record_prediction(item: pytest.Item, prediction: Any) -> None:
    """Record ``prediction`` for ``item`` (what the ``parity_result`` fixture calls)."""
    item.stash[_RECORDED] = prediction


class PipelinePlugin:
    """Hooks for marked tests. ``attach`` hands a finished record to the plugin state;
    ``writer`` is the run's raw-row writer; ``default_model`` is ``--parity-model``."""

    def __init__(
        self,
        attach: Callable[[pytest.Item, EvalRecord], None],
        writer: Callable[[], RawResultWriter],
        default_model: str | None,
        meter: CallMeter,
    ) -> None:
        self._attach = attach
        self._writer = writer
        self.default_model = default_model
        self.meter = meter
        self.definitions: dict[str, PipelineDef] = {}  # by the test function's node id
        self.keys: dict[str, list[str]] = {}  # each function's example keys, in example order
        self.example_ids: dict[str, list[str]] = {}  # and its examples' ids
        self.positions: dict[str, dict[str, int]] = {}  # example id -> position, per function
        self.notes: list[str] = []
        self.current: PipelineItem | None = None
        self.selected: dict[str, int] = {}  # items the run selected, per experiment id
        self._examples_sent: set[str] = set()  # experiments whose example ids a report carried

    # -- collection ----------------------------------------------------------------------------
    def pytest_generate_tests(self, metafunc: pytest.Metafunc) -> None:
        marks = [m for node in metafunc.definition.listchain() for m in node.own_markers
                 if m.name == MARKER]  # fmt: skip
        if not marks:
            return
        path = str(metafunc.definition.path)
        try:
            definition = PipelineDef(
                path, metafunc.function.__name__, merged_kwargs(marks, path),
                metafunc.definition.nodeid, MODEL_FIXTURE in metafunc.fixturenames,
            )  # fmt: skip
            if EXAMPLE_ARG not in metafunc.fixturenames:
                raise Context(path, definition.function, source=MARKER_SOURCE).error(
                    f"a @pytest.mark.parity test receives one example per item, but "
                    f"{definition.function} has no '{EXAMPLE_ARG}' argument",
                    fix=f"def {definition.function}({EXAMPLE_ARG}, ...): return my_pipeline("
                    f"{EXAMPLE_ARG}.question)",
                )
            definition.check()
            examples, note = definition.examples()
        except ParityError as exc:
            raise pytest.Collector.CollectError(str(exc)) from None
        if note and note not in self.notes:
            self.notes.append(note)
        nodeid = metafunc.definition.nodeid
        ids = [example.id for example in examples]
        self.definitions[nodeid] = definition
        self.example_ids[nodeid] = ids
        self.positions[nodeid] = {example_id: i for i, example_id in enumerate(ids)}
        self.keys[nodeid] = example_keys(ids)
        metafunc.parametrize(EXAMPLE_ARG, examples, ids=self.keys[nodeid])

    def items_from(self, items: Iterable[pytest.Item]) -> list[tuple[pytest.Item, PipelineItem]]:
        """Give every marked item its experiment (checking ids and baselines across tests)
        and wrap its function so that its return value is kept. Raises ParityError."""
        found: list[tuple[pytest.Function, PipelineDef, str]] = []
        experiments: dict[str, Experiment] = {}
        owners: dict[str, PipelineDef] = {}
        ids: dict[tuple[str, str | None], str] = {}  # (function, variant) -> experiment id
        for item in items:
            if not isinstance(item, pytest.Function):
                continue
            definition = self._definition_of(item)
            if definition is None:
                continue
            index = self._index_of(item, definition)
            variant = _variant(item, self.keys[definition.nodeid][index])
            if (definition.nodeid, variant) not in ids:
                marks = [m for n in item.listchain() for m in n.own_markers if m.name == MARKER]
                kwargs = merged_kwargs(marks, definition.path)
                experiment = definition.experiment(kwargs, variant, self.default_model)
                owner = owners.setdefault(experiment.id, definition)
                if owner is not definition or experiment.id in experiments:
                    raise definition.context(experiment.id).error(
                        f"{owner.path}::{owner.function} is also named {experiment.id!r}",
                        key="name",
                        fix="give one of the tests name='...' in its parity marker",
                    )
                experiments[experiment.id] = experiment
                ids[(definition.nodeid, variant)] = experiment.id
            found.append((item, definition, ids[(definition.nodeid, variant)]))
        experiments = resolve_baselines(experiments, owners)
        marked: list[tuple[pytest.Item, PipelineItem]] = []
        for item, definition, experiment_id in found:
            own = PipelineItem(
                definition, experiments[experiment_id], _example(item),
                self._index_of(item, definition),
            )  # fmt: skip
            item.stash[_ITEM] = own
            _keep_return_value(item)
            marked.append((item, own))
        return marked

    def _index_of(self, item: pytest.Function, definition: PipelineDef) -> int:
        """The item's position in its test's sampled examples."""
        return self.positions[definition.nodeid][_example(item).id]

    def _definition_of(self, item: pytest.Function) -> PipelineDef | None:
        callspec = getattr(item, "callspec", None)
        if callspec is None or EXAMPLE_ARG not in callspec.params:
            return None
        function_id = item.nodeid.split("[", 1)[0]
        return self.definitions.get(function_id)

    def current_model(self, explicit: str | None) -> ModelConfig:
        """The model a ``parity_model`` call uses: ``model=`` on the call, else the running
        test's, else ``--parity-model``, else the shipped local model."""
        if explicit is not None or self.current is None:
            name = explicit or self.default_model or DEFAULT_MODEL
            return parse_model({"name": name}, Context("parity_model", source=MARKER_SOURCE))
        return self.current.experiment.model

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        """Count the items the run selected (after ``-k``/``-m``) of each marked test."""
        self.selected = {}
        for item in session.items:
            own = pipeline_item(item)
            if own is not None:
                self.selected[own.experiment.id] = self.selected.get(own.experiment.id, 0) + 1

    def selection(self, own: PipelineItem) -> dict[str, Any]:
        """What an xdist worker's report tells the controller of ``own``'s experiment: the
        items selected and, on its first report, the ids of all its examples."""
        data: dict[str, Any] = {"selected": self.selected.get(own.experiment.id)}
        if own.experiment.id not in self._examples_sent:
            self._examples_sent.add(own.experiment.id)
            data["examples"] = self.example_ids[own.definition.nodeid]
        return data

    # -- running -------------------------------------------------------------------------------
    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_call(self, item: pytest.Item) -> Generator[None, Any, Any]:
        own = pipeline_item(item)
        if own is None:
            return (yield)
        self.current = own
        self.meter.start()
        started = time.perf_counter()
        try:
            result = yield
        except pytest.skip.Exception as skip:  # a budget cap, a model not here: named, unscored
            self._finish(item, own, started, skip_reason=skip.msg or "skipped")
            raise
        except Exception as exc:  # the pipeline raised, or the test's own assert failed
            self._finish(item, own, started, error=f"{type(exc).__name__}: {exc}")
            raise
        finally:
            self.current = None
        try:
            returned = item.stash.get(_RETURNED, None)
            if returned is None:
                returned = item.stash.get(_RECORDED, None)
            prediction = prediction_text(returned, own.definition.function)
        except TypeError as exc:
            self._finish(item, own, started, error=str(exc))
            pytest.fail(str(exc), pytrace=False)
        record = self._finish(item, own, started, prediction=prediction)
        failure = record.failure(own.experiment.item_thresholds)
        if failure:
            pytest.fail(failure, pytrace=False)
        return result

    def _finish(
        self,
        item: pytest.Item,
        own: PipelineItem,
        started: float,
        skip_reason: str | None = None,
        **outcome: Any,
    ) -> EvalRecord:
        """The item's record, attached to its report: a skipped one (no raw row, as a config
        item's skip has none) names its example, so a verdict counts it as skipped."""
        wall_ms = (time.perf_counter() - started) * 1000
        made = functools.partial(
            pipeline_record, own.experiment, own.example, own.index, self.meter.take(), wall_ms
        )
        try:
            record = made(**outcome)
        except NonFiniteScore as exc:  # the item fails with a raw row, as a config item does
            record = made(**{**outcome, "error": f"{type(exc).__name__}: {exc}"})
        record.skip_reason = skip_reason
        if skip_reason is None:
            self._writer().append(own.experiment.id, raw_row(record))
        self._attach(item, record)
        return record

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
        """A pipeline item's call report (and a skipped setup's) carries its experiment."""
        outcome = yield
        own = pipeline_item(item)
        report = outcome.get_result()
        if own is not None and (call.when == "call" or (call.when == "setup" and report.skipped)):
            setattr(report, EXPERIMENT_ATTRIBUTE, experiment_to_data(own.experiment))
            if hasattr(item.config, "workerinput"):  # an xdist worker
                setattr(report, SELECTION_ATTRIBUTE, self.selection(own))


def _example(item: pytest.Function) -> Example:
    example = item.callspec.params[EXAMPLE_ARG]
    assert isinstance(example, Example)
    return example


def _variant(item: pytest.Function, key: str) -> str | None:
    """The id of the item's other parameters (``v2`` in ``test_rag[v2-5a8c]``), if any:
    its id without ``key``, the example's part (example keys hold no '-')."""
    callspec = item.callspec
    if len(callspec.params) == 1:
        return None
    parts = callspec.id.split("-")
    if key in parts:
        parts.remove(key)
    return "-".join(parts) or None


def _keep_return_value(item: pytest.Item) -> None:
    """Wrap the test function so that its return value (the prediction) is kept; the
    wrapper returns None, as pytest expects. Async tests stay async (pytest-asyncio, anyio)."""
    function = item.obj  # type: ignore[attr-defined]
    if inspect.iscoroutinefunction(function):

        @functools.wraps(function)
        async def keep_async(*args: Any, **kwargs: Any) -> None:
            item.stash[_RETURNED] = await function(*args, **kwargs)

        item.obj = keep_async  # type: ignore[attr-defined]
        return

    @functools.wraps(function)
    def keep(*args: Any, **kwargs: Any) -> None:
        item.stash[_RETURNED] = function(*args, **kwargs)

    item.obj = keep  # type: ignore[attr-defined]
