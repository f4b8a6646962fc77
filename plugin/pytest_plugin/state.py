"""What the plugin keeps for one pytest process (:class:`ParityState`), and where it is kept."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from parity.analysis.aggregation import Aggregator
from parity.analysis.baselines import BaselineSource, experiment_setup
from parity.analysis.gates import GateResult
from parity.analysis.tco import TcoSettings
from parity.cases.cases import EvalPlan
from parity.config.config import Experiment
from parity.engine.budget import Budget
from parity.engine.call_process import CallProcess
from parity.engine.execution import Engine
from parity.engine.load import LoadSampler
from parity.engine.runtime import EvalRuntime
from parity.fixtures.clients import ClientPool
from parity.fixtures.pipeline_model import CallMeter, ParityModel
from parity.marked.pipeline_plugin import PipelinePlugin
from parity.pytest_plugin.names import DEFAULT_CONFIG
from parity.record.caches import ResponseStore, open_cache
from parity.record.raw_writer import RawResultWriter
from parity.record.record import EvalRecord
from parity.record.run_dirs import RunDirLock
from parity.report.progress import ProgressDisplay


class ParityState:
    """Everything the plugin keeps for one pytest process. Its objects are made on first
    use; the plan and the runtime are built by :mod:`parity.pytest_plugin.planning`."""

    def __init__(
        self,
        config: pytest.Config,
        run_dir: Path,
        workers: int,
        record: Callable[[pytest.Item, EvalRecord], None],
        partitioned: bool = False,
    ) -> None:
        self.config = config
        self.plan: EvalPlan | None = None
        self.runtime: EvalRuntime | None = None
        self.engine: Engine | None = None
        self.clients = ClientPool()
        self._pipeline_writer: RawResultWriter | None = None
        self.aggregator = Aggregator(())
        self.gates: list[GateResult] = []
        self.summaries: list[dict[str, Any]] = []
        self.setups: dict[str, dict[str, Any]] = {}
        self.sources: dict[str, BaselineSource] = {}
        self.verdicts: list[str] = []
        self.holm: list[dict[str, Any]] = []
        self.skip_reasons: dict[str, list[str]] = {}
        self.unreported: dict[str, EvalRecord] = {}  # by node id: made, not yet aggregated
        self.is_worker = getattr(config, "workerinput", None) is not None
        self.run_dir = run_dir
        self.workers = workers
        self.partitioned = partitioned
        self.run_dir_ready = self.is_worker  # a worker writes where its controller decided
        self.run_dir_lock: RunDirLock | None = None
        self.made_run_dir = False
        self.made_reports_dir = False
        self.report_error: str | None = None  # why the summaries could not be written
        self.nothing_evaluated: str | None = None  # why no item was evaluated (all skipped)
        self.progress = ProgressDisplay(config, config.getoption("eval_progress_interval"))
        self.cache: ResponseStore | None = None
        self.markers: dict[str, pytest.MarkDecorator] = {}
        self.expected_known = False  # the aggregator knows how many items were selected
        self.junit_family_set = False
        self.tco = TcoSettings()
        self.meter = CallMeter()
        self.load = LoadSampler()  # started by the controller or serial process
        self.pipelines = PipelinePlugin(
            record, self.pipeline_writer, config.getoption("eval_model"), self.meter
        )
        self.parity_model = ParityModel(
            self.get_engine, self.clients, self.pipelines.current_model, self.meter
        )

    def config_path(self) -> Path:
        """The eval config: ``--parity-config``, else ./configs/experiments.yaml, else the shipped one."""
        option = self.config.getoption("eval_config")
        if option:
            return Path(option)
        local = self.config.rootpath / DEFAULT_CONFIG
        if local.exists():
            return local
        return Path(__file__).resolve().parents[2] / "configs" / "experiments.yaml"

    def endpoint(self, experiment: Experiment) -> str:
        """Where ``experiment``'s requests go (its client's endpoint, as in cache keys)."""
        return self.get_engine().endpoint_of(self.clients.get(experiment))

    def plan_loaded(self) -> bool:
        """Whether this process read the eval config (a run of marked tests alone does not)."""
        return self.plan is not None

    def notes(self) -> list[str]:
        """Where the data came from and what was adjusted: the config's and the marked tests'."""
        busy = self.load.busy_note()
        return [
            *(self.plan.notes if self.plan is not None else ()),
            *self.pipelines.notes,
            *([busy] if busy else []),
        ]

    def get_engine(self) -> Engine:
        """The engine of this process (cache, budget, endpoint lanes), created on first use."""
        if self.engine is None:
            cap = self.config.getoption("eval_max_cost")
            self.cache = open_cache(self.config.getoption("eval_cache"), self.cache_dir())
            self.engine = Engine(
                self.cache,
                Budget(None if cap is None else cap / self.workers),
                self.workers,
                calls=CallProcess() if self.uses_call_process() else None,
            )
        return self.engine

    def uses_call_process(self) -> bool:
        """``--parity-call-process``: ``auto`` uses the helper process in a serial run and in
        each xdist worker alike: started as the plan is made, it imports the SDK while the
        worker collects (about 2 s sooner to the first request under ``-n 2`` here), and a
        call costs it about 0.5 ms of CPU beside the worker's scoring."""
        return self.config.getoption("eval_call_process") != "off"

    def pipeline_writer(self) -> RawResultWriter:
        """The raw-row writer of marked tests (config items write through the runtime's)."""
        if self._pipeline_writer is None:
            self._pipeline_writer = RawResultWriter(self.run_dir)
        return self._pipeline_writer

    def close_pipeline_writer(self) -> None:
        """Close the marked tests' raw-row writer, if one was opened."""
        if self._pipeline_writer is not None:
            self._pipeline_writer.close()

    def add_pipeline_experiment(
        self, experiment: Experiment, example_ids: list[str] | None, selected: int | None = None
    ) -> None:
        """Aggregate a marked test's experiment (with its baseline, if it names one), of whose
        examples (``example_ids``) the run selected ``selected`` items (None: not known here)."""
        if experiment.id in self.aggregator.outcomes:
            return
        self.aggregator.add([experiment])
        if selected is not None:  # the xdist controller, which collects nothing, is told
            self.aggregator.outcomes[experiment.id].expected = selected
        if experiment.baseline is not None:
            self.sources[experiment.id] = BaselineSource(experiment.baseline)
        if example_ids is not None:
            self.setups[experiment.id] = experiment_setup(experiment, example_ids)

    def config_label(self) -> str:
        """What the run evaluated: the config file, and/or the marked tests."""
        labels = [self.plan.config.path] if self.plan is not None else []
        if self.pipelines.definitions:
            labels.append("@pytest.mark.parity tests")
        return " + ".join(labels)

    def cache_dir(self) -> Path:
        """``--parity-cache-dir``, else ``.parity-cache`` in the rootdir."""
        option = self.config.getoption("eval_cache_dir")
        return Path(option) if option else self.config.rootpath / ".parity-cache"


STATE = pytest.StashKey[ParityState]()
STATES: set[ParityState] = set()  # for hooks that get no config (pytest_keyboard_interrupt)


def state_of(config: pytest.Config) -> ParityState:
    """The :class:`ParityState` of ``config``'s process."""
    return config.stash[STATE]
