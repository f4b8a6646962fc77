"""Parity's pytest plugin: options, parametrization, aggregation, gates and reports.

Registered through the ``pytest11`` entry point ``parity``. It stays inert unless a test
requests the ``eval_case`` fixture (``parity/evals/test_experiments.py`` does).
"""

from __future__ import annotations

import datetime as _dt
import gc
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from parity.aggregation import Aggregator
from parity.baselines import BaselineSource, baseline_sources, experiment_setup
from parity.budget import Budget
from parity.cache import CACHE_MODES, ResponseCache
from parity.call_process import CallProcess
from parity.cases import EvalCase, EvalPlan, build_plan, marker_name, missing_adapter
from parity.config import MODES, Experiment, adapter_task, load_config
from parity.errors import ParityError
from parity.evals.datasets import DATASETS
from parity.evals.sandbox import allow_unconfined
from parity.evals.tasks import TASKS
from parity.execution import Engine
from parity.extensions import hook_implementers
from parity.fixtures.clients import ClientPool
from parity.fixtures.pipeline_model import CallMeter, ParityModel
from parity.fixtures.providers import PROVIDERS
from parity.fixtures.session import eval_runtime, model_clients, parity_model, parity_result
from parity.gates import GateResult, evaluate_gates
from parity.gc_pause import paused_gc
from parity.nodeids import EVAL_TEST, case_param
from parity.paired import PairedComparison
from parity.pipeline import experiment_from_data
from parity.pipeline_plugin import (
    EXPERIMENT_ATTRIBUTE,
    PipelineItem,
    PipelinePlugin,
    pipeline_item,
)
from parity.pricing import price_for
from parity.progress import DEFAULT_INTERVAL_S, ProgressDisplay
from parity.raw_writer import RawResultWriter
from parity.record import BULKY_FIELDS, EvalRecord, junit_properties
from parity.reporters import builtin_reporters
from parity.reports import run_document
from parity.run_dirs import RunDirInUse, RunDirLock, reserve_run_dir
from parity.run_setup import check_resume
from parity.runtime import EvalRuntime, raw_file_stem
from parity.scheduler import DEFAULT_STALL_S, OnWait
from parity.smoke import SMOKE_DIR, smoke_config
from parity.stats import import_ahead
from parity.tco import TcoSettings, render_tco, tco_block, training_block
from parity.terminal import render_experiment, render_gates, render_verdicts
from parity.verdicts import compare_all, holm_table, verdict_line
from parity.writable import cannot_write, check_writable

__all__ = [
    "eval_runtime",
    "model_clients",
    "parity_model",
    "parity_model_for",
    "parity_result",
    "progress_waiter",
    "record_result",
    "runtime_for",
]

EVAL_MARK = "parity_eval"
EVAL_CLASSNAME = "parity.evals.test_experiments"
GATES_PATH = "parity-gates"
DEFAULT_CONFIG = Path("configs") / "experiments.yaml"
FREEZE_FROM_ITEMS = 10_000  # runs this large freeze their collected objects (gc.freeze)
# In an xdist worker the call report of an eval item carries its record (as data, so xdist
# sends it along); a serial run hands the record object itself to its aggregator.
RECORD_ATTRIBUTE = "parity_record"
_RECORD = pytest.StashKey[EvalRecord]()
_KEYWORDS = pytest.StashKey[Mapping[str, Any]]()


class ParityState:
    """Everything the plugin keeps for one pytest process."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self._plan: EvalPlan | None = None
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
        workerinput = getattr(config, "workerinput", None)
        self.is_worker = workerinput is not None
        if workerinput is not None:
            self.run_dir = Path(workerinput["parity_run_dir"])
            self.workers = int(workerinput.get("workercount", 1))
            self.partitioned = bool(workerinput.get("parity_partitioned"))
        else:
            self.run_dir = _run_dir(config)
            self.workers = _controller_workers(config)
            self.partitioned = False
            _refuse_earlier_rows(config, self.run_dir)
        self.run_dir_ready = self.is_worker  # a worker writes where its controller decided
        self.run_dir_lock: RunDirLock | None = None
        self.made_run_dir = False
        self.made_reports_dir = False
        self.report_error: str | None = None  # why the summaries could not be written
        self.progress = ProgressDisplay(config, config.getoption("eval_progress_interval"))
        self.cache: ResponseCache | None = None
        self.markers: dict[str, pytest.MarkDecorator] = {}
        self.expected_known = False  # the aggregator knows how many items were selected
        self.junit_family_set = False
        self.tco = TcoSettings()
        self.meter = CallMeter()
        self.pipelines = PipelinePlugin(
            record_result, self.pipeline_writer, config.getoption("eval_model"), self.meter
        )
        self.parity_model = ParityModel(
            self.get_engine, self.clients, self.pipelines.current_model, self.meter
        )

    def config_path(self) -> Path:
        """The eval config: ``--eval-config``, else ./configs/experiments.yaml, else the shipped one."""
        option = self.config.getoption("eval_config")
        if option:
            return Path(option)
        local = self.config.rootpath / DEFAULT_CONFIG
        if local.exists():
            return local
        return Path(__file__).resolve().parent.parent / "configs" / "experiments.yaml"

    def plan(self) -> EvalPlan:
        """Load, validate and expand the eval config once per process."""
        if self._plan is None:
            _load_dotenv(self.config.rootpath / ".env")
            config = load_config(self.config_path())
            if self.config.getoption("eval_smoke"):
                config = smoke_config(config)
            plan = build_plan(config, self._start_call_process_early)
            if self.config.getoption("eval_train") and _train_missing_adapters(self.config, plan):
                plan = build_plan(config)  # the trained adapters' items now run
            experiments = plan.config.experiments
            self.setups = {
                e.id: experiment_setup(e, plan.example_ids(e.id), plan.content_sha256(e.id))
                for e in experiments
            }
            if self.config.getoption("eval_resume") is not None:
                runnable = {c.experiment.id: c.experiment for c in plan.cases if not c.skip_reason}
                check_resume(
                    plan.config.path, self.run_dir, self.setups, _raw_stems(plan),
                    lambda i: self.endpoint(runnable[i]) if i in runnable else None,
                )  # fmt: skip
            option = self.config.getoption("eval_baseline_run")
            self.sources = baseline_sources(
                plan.config.path, experiments, self.setups, Path(option) if option else None
            )
            plan.notes += [w for source in self.sources.values() for w in source.warnings]
            self._plan = plan
            self.aggregator.add(experiments)
        return self._plan

    def endpoint(self, experiment: Experiment) -> str:
        """Where ``experiment``'s requests go (its client's endpoint, as in cache keys)."""
        return self.get_engine().endpoint_of(self.clients.get(experiment))

    def _start_call_process_early(self, runnable: list[Experiment]) -> None:
        """Start the call process while the data loads (its SDK import overlaps the loading
        and the rest of collection) in a serial run whose items are all selected; a run
        narrowed by ``-k``, ``-m`` or node ids starts it once collection has selected them."""
        option = self.config.option
        narrowed = (
            option.keyword
            or option.markexpr
            or option.deselect
            or self.config.getoption("lf", False)
        )
        named = any("::" in arg for arg in self.config.args)
        xdist_controller = not self.is_worker and _runs_xdist(self.config)
        if option.collectonly or narrowed or named or xdist_controller:
            return
        if self._uses_call_process():
            self.get_engine().start_call_process(runnable)

    def plan_loaded(self) -> bool:
        """Whether this process read the eval config (a run of marked tests alone does not)."""
        return self._plan is not None

    def notes(self) -> list[str]:
        """Where the data came from and what was adjusted: the config's and the marked tests'."""
        return [*(self._plan.notes if self._plan is not None else ()), *self.pipelines.notes]

    def get_engine(self) -> Engine:
        """The engine of this process (cache, budget, endpoint lanes), created on first use."""
        if self.engine is None:
            cap = self.config.getoption("eval_max_cost")
            self.cache = ResponseCache(self.cache_dir(), self.config.getoption("eval_cache"))
            self.engine = Engine(
                self.cache,
                Budget(None if cap is None else cap / self.workers),
                self.workers,
                calls=CallProcess() if self._uses_call_process() else None,
            )
        return self.engine

    def _uses_call_process(self) -> bool:
        """``--eval-call-process``: ``auto`` uses the helper process in a serial run (xdist
        workers already spread the SDKs' CPU work over the cores)."""
        choice = self.config.getoption("eval_call_process")
        return choice == "on" or (choice == "auto" and not self.is_worker)

    def pipeline_writer(self) -> RawResultWriter:
        """The raw-row writer of marked tests (config items write through the runtime's)."""
        if self._pipeline_writer is None:
            self._pipeline_writer = RawResultWriter(self.run_dir)
        return self._pipeline_writer

    def get_runtime(self) -> EvalRuntime:
        """The runtime of this process, created on first use."""
        if self.runtime is None:
            self.runtime = EvalRuntime(
                self.plan(),
                self.run_dir,
                self.workers,
                self.get_engine(),
                self.clients,
                resume=self.config.getoption("eval_resume") is not None,
                partitioned=self.partitioned,
                setups=self.setups,
                stall_s=self.config.getoption("eval_stall_timeout"),
            )
        return self.runtime

    def add_pipeline_experiment(
        self, experiment: Experiment, example_ids: list[str] | None
    ) -> None:
        """Aggregate a marked test's experiment (with its baseline, if it names one)."""
        if experiment.id in self.aggregator.outcomes:
            return
        self.aggregator.add([experiment])
        if experiment.baseline is not None:
            self.sources[experiment.id] = BaselineSource(experiment.baseline)
        if example_ids is not None:
            self.setups[experiment.id] = experiment_setup(experiment, example_ids)

    def config_label(self) -> str:
        """What the run evaluated: the config file, and/or the marked tests."""
        labels = [self._plan.config.path] if self._plan is not None else []
        if self.pipelines.definitions:
            labels.append("@pytest.mark.parity tests")
        return " + ".join(labels)

    def cache_dir(self) -> Path:
        """``--eval-cache-dir``, else ``.parity-cache`` in the rootdir."""
        option = self.config.getoption("eval_cache_dir")
        return Path(option) if option else self.config.rootpath / ".parity-cache"

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        """Feed finished eval items to the aggregator (serial process or xdist controller)."""
        if self.is_worker or report.nodeid.startswith(GATES_PATH):
            return
        if not self.junit_family_set and EVAL_MARK in report.keywords:
            # Before pytest's JUnit writer sees the first eval item (under xdist the
            # controller collects nothing, so this is where it learns of marked tests).
            self.junit_family_set = True
            _prefer_xunit1(self.config)
        _name_junit_class(self.config, report)
        if EVAL_MARK in report.keywords and not _junit_takes_properties(self.config):
            report.user_properties = []  # kept in the record; the schema has no place for them
        if report.when != "call" and not (report.when == "setup" and report.skipped):
            return
        experiment_data = report.__dict__.pop(EXPERIMENT_ATTRIBUTE, None)
        if experiment_data is not None:  # a marked test's item
            experiment = experiment_from_data(experiment_data)
            self.add_pipeline_experiment(experiment, None)
            experiment_id = experiment.id
        else:
            case = _case_for_report(self, report)
            if case is None:
                return
            experiment_id = case.experiment.id
        reason = ""
        if report.skipped and isinstance(report.longrepr, tuple):
            reason = report.longrepr[2].removeprefix("Skipped: ")
        data = report.__dict__.pop(RECORD_ATTRIBUTE, None)  # kept once, in the aggregator
        if data is not None:
            record: EvalRecord | None = EvalRecord.from_dict(data)
        else:
            record = self.unreported.pop(report.nodeid, None)
        self.aggregator.add_report(experiment_id, report.outcome, record, reason)


_STATE = pytest.StashKey[ParityState]()
_STATES: set[ParityState] = set()  # for hooks that get no config (pytest_keyboard_interrupt)


def _train_missing_adapters(config: pytest.Config, plan: EvalPlan) -> bool:
    """``--eval-train``: train every adapter a selected LoRA condition lacks (its progress
    shown, not captured); True if any."""
    from parity.train import ensure_adapter

    capture = config.pluginmanager.getplugin("capturemanager")

    smoke = bool(config.getoption("eval_smoke"))
    wanted = {
        (e.model.short_name, adapter_task(e.dataset.name), e.condition)
        for e in plan.config.experiments
        if e.condition and (missing_adapter(e) or "").startswith("no adapter at")
    }
    for model, task, condition in sorted(wanted):
        if capture is None:
            ensure_adapter(model, task, str(condition), Path.cwd(), smoke)
            continue
        with capture.global_and_fixture_disabled():
            ensure_adapter(model, task, str(condition), Path.cwd(), smoke)
    return bool(wanted)


def _load_dotenv(path: Path) -> None:
    """Read API keys from ``.env`` (never overriding the environment)."""
    if path.is_file():
        from dotenv import load_dotenv

        load_dotenv(path, override=False)


def _junit_xml(config: pytest.Config) -> Any:
    """pytest's JUnit writer for this run (None without ``--junitxml``)."""
    from _pytest.junitxml import xml_key

    return config.stash.get(xml_key, None)


def _name_junit_class(config: pytest.Config, report: pytest.TestReport) -> None:
    """Eval items' JUnit classname is their module, ``parity.evals.test_experiments``, not
    the path pytest collected it from (``.venv.lib.python3.11.site-packages.parity…``)."""
    xml = _junit_xml(config)
    if xml is not None and EVAL_MARK in report.keywords and EVAL_TEST in report.nodeid:
        xml.node_reporter(report).add_attribute("classname", EVAL_CLASSNAME)


def _junit_takes_properties(config: pytest.Config) -> bool:
    """False when the JUnit file is xunit2 (the user's choice): its schema, like Jenkins'
    junit-10.xsd, has no per-testcase ``<properties>``, so Parity writes none there."""
    xml = _junit_xml(config)
    return xml is None or xml.family != "xunit2"


def _state(config: pytest.Config) -> ParityState:
    return config.stash[_STATE]


def runtime_for(config: pytest.Config) -> EvalRuntime:
    """The :class:`EvalRuntime` of this pytest process (used by the ``eval_runtime`` fixture)."""
    return _state(config).get_runtime()


def parity_model_for(config: pytest.Config) -> ParityModel:
    """The ``parity_model`` client of this pytest process."""
    return _state(config).parity_model


def progress_waiter(config: pytest.Config) -> OnWait:
    """What an item runs while it waits for its result (writes the progress line)."""
    state = _state(config)
    return state.progress.waiter(state.get_runtime())


def record_result(item: pytest.Item, record: EvalRecord) -> None:
    """Attach ``record`` to ``item``: its JUnit properties, and the data its call report
    carries to the aggregator (in this process or the xdist controller)."""
    item.user_properties.extend(junit_properties(record))
    item.stash[_RECORD] = record
    runtime = _state(item.config).runtime
    if runtime is not None and runtime.scheduler.stopped:
        item.session.shouldstop = runtime.scheduler.stopped  # pytest stops after this item


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """Give an eval item's call report its record (in a worker, as data on the report), and
    let its setup, call and teardown reports share one keywords dict: pytest keeps every
    report until the session ends, and three equal copies cost about 1 KB per item."""
    outcome = yield
    report: pytest.TestReport = outcome.get_result()
    if EVAL_MARK in item.keywords:
        shared = item.stash.setdefault(_KEYWORDS, report.keywords)
        if shared == report.keywords:
            report.keywords = shared
    if call.when == "call":
        record = item.stash.get(_RECORD, None)
        if record is not None:
            del item.stash[_RECORD]
            state = _state(item.config)
            if state.is_worker:
                setattr(report, RECORD_ATTRIBUTE, record.to_dict(exclude=BULKY_FIELDS))
            else:
                state.unreported[report.nodeid] = record


def _run_dir(config: pytest.Config) -> Path:
    option = config.getoption("eval_report_dir")
    base = config.rootpath / "reports"
    if config.getoption("eval_smoke"):
        base = base / SMOKE_DIR
    resume = config.getoption("eval_resume")
    if resume and resume != "latest":
        return Path(resume)
    if option:
        return Path(option)
    if resume == "latest":
        runs = sorted(p for p in base.glob("[0-9]*-[0-9]*") if p.is_dir()) if base.is_dir() else []
        if not runs:
            raise pytest.UsageError(f"--eval-resume: no earlier run under {base} to resume")
        return runs[-1]
    # A name only: _prepare_run_dir creates it (or the first free ``-N`` after it).
    return base / _dt.datetime.now().strftime("%Y%m%d-%H%M%S")


def _prepare_run_dir(state: ParityState) -> None:
    """Start-up, once per run, in the serial process or the xdist controller, before any
    request: make the run directory (a new one atomically, never one another run has), hold
    its lock for the session, and check that it and the cache directory take files. Each
    failure is one usage error naming the directory and the fix."""
    if state.run_dir_ready:
        return
    state.run_dir_ready = True
    config = state.config
    what, elsewhere = "raw rows and summaries", "--eval-report-dir DIR"
    try:
        if config.getoption("eval_resume") is None and not config.getoption("eval_report_dir"):
            base = state.run_dir.parent
            state.made_reports_dir = not base.exists()
            state.run_dir = reserve_run_dir(base, state.run_dir.name)
            state.made_run_dir = True
        else:
            state.run_dir.mkdir(parents=True, exist_ok=True)
        state.run_dir_lock = RunDirLock(state.run_dir)
    except RunDirInUse as held:
        raise pytest.UsageError(
            f"parity: {state.run_dir} is in use by another Parity run (pid {held}); two runs "
            "never share a report directory.\n"
            "  Fix: wait for that run to end, or give this one another --eval-report-dir."
        ) from None
    except OSError as exc:
        raise pytest.UsageError(cannot_write(state.run_dir, what, elsewhere, exc)) from None
    problems = [check_writable(state.run_dir, what, elsewhere)]
    if config.getoption("eval_cache") != "off":
        off = "run without the cache: --eval-cache=off"
        cache = check_writable(state.cache_dir(), "response cache", "--eval-cache-dir DIR", off)
        problems.append(cache)
    found = [problem for problem in problems if problem]
    if found:
        raise pytest.UsageError("\n".join(found))


def _release_run_dir(state: ParityState) -> None:
    """Drop the run directory's lock; remove the directory (and ``reports/``) if this run
    made it and wrote nothing there (an xdist run without eval items)."""
    if state.run_dir_lock is None:
        return
    state.run_dir_lock.release()
    state.run_dir_lock = None
    made = [state.run_dir] if state.made_run_dir else []
    made += [state.run_dir.parent] if state.made_reports_dir else []
    for directory in made:
        if any(directory.iterdir()):
            return
        directory.rmdir()


def _raw_stems(plan: EvalPlan) -> dict[str, set[str]]:
    """Each experiment's raw row files (``{stem}.jsonl``), as :func:`raw_file_stem` names them."""
    stems: dict[str, set[str]] = {}
    for case in plan.cases:
        stems.setdefault(case.experiment.id, set()).add(raw_file_stem(case))
    return stems


def _refuse_earlier_rows(config: pytest.Config, run_dir: Path) -> None:
    """A new run's directory must not hold an earlier run's raw rows: a serial run would
    append to them and xdist workers would take them as this run's results."""
    if config.getoption("eval_resume") is not None or config.option.collectonly:
        return
    earlier = sorted(run_dir.glob("*.jsonl")) if run_dir.is_dir() else []
    if earlier:
        raise pytest.UsageError(
            f"--eval-report-dir {run_dir} already holds an earlier run's raw rows "
            f"({earlier[0].name}).\n"
            f"  Fix: --eval-resume={run_dir} continues that run, keeping its finished rows; "
            "or give a new directory (or remove this one)."
        )


def _runs_xdist(config: pytest.Config) -> bool:
    """Whether this session hands its items to xdist workers (``-n N`` with a distribution)."""
    return bool(config.getoption("numprocesses", None)) and (config.getoption("dist", "no") != "no")


def _controller_workers(config: pytest.Config) -> int:
    return int(config.getoption("numprocesses")) if _runs_xdist(config) else 1


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("parity", "Parity LLM evaluations")
    group.addoption(
        "--eval-config",
        metavar="PATH",
        help="experiments YAML to evaluate (default: ./configs/experiments.yaml, else the shipped one)",
    )
    group.addoption(
        "--eval-model",
        metavar="PROVIDER:MODEL",
        help="the model parity_model calls in @pytest.mark.parity tests that name none "
        "(default: local:smollm2, the shipped offline model), e.g. openai:gpt-4o-mini",
    )
    group.addoption(
        "--eval-report-dir",
        metavar="DIR",
        help="directory for raw JSONL and summary files (default: reports/<run timestamp>/)",
    )
    group.addoption(
        "--eval-cache",
        choices=CACHE_MODES,
        default="use",
        help="response cache: use (read and write, default), refresh (ignore hits, overwrite), off",
    )
    group.addoption(
        "--eval-cache-dir",
        metavar="DIR",
        help="where the SQLite response cache lives (default: .parity-cache/ in the rootdir)",
    )
    group.addoption(
        "--eval-call-process",
        choices=("auto", "on", "off"),
        default="auto",
        help="send the built-in API providers' requests from a helper process, so that their "
        "SDK's CPU work runs beside pytest's: auto (default: in a serial run, not in xdist "
        "workers), on, off",
    )
    group.addoption(
        "--eval-resume",
        metavar="RUN_DIR",
        nargs="?",
        const="latest",
        help="continue an interrupted run: reuse the finished rows in RUN_DIR (default: the latest "
        "reports/<timestamp>/) and append the rest there",
    )
    group.addoption(
        "--eval-max-cost",
        metavar="USD",
        type=float,
        help="stop issuing requests once the projected spend would pass USD (split evenly across "
        "xdist workers); items left out are skipped with the reason",
    )
    group.addoption(
        "--eval-progress-interval",
        metavar="SECONDS",
        type=float,
        default=DEFAULT_INTERVAL_S,
        help="while an item waits, write a progress line at most this often "
        f"(default {DEFAULT_INTERVAL_S:.0f}; 0 = never)",
    )
    group.addoption(
        "--eval-stall-timeout",
        metavar="SECONDS",
        type=float,
        default=DEFAULT_STALL_S,
        help="fail the run loudly, instead of hanging, when an item waits but no request has "
        f"been in flight and nothing computed for this long (default {DEFAULT_STALL_S:.0f})",
    )
    group.addoption(
        "--eval-baseline-run",
        metavar="RUN_DIR",
        help="compare every experiment with the experiment of the same id stored in RUN_DIR "
        "(an earlier run's report directory, e.g. main's CI artifact) instead of its configured "
        "baseline; its model is not called again",
    )
    group.addoption(
        "--eval-allow-skipped-gates",
        action="store_true",
        help="let a gate that cannot be evaluated (no scored items, no baseline scores) be "
        "skipped instead of failing the run",
    )
    group.addoption(
        "--eval-train",
        action="store_true",
        help="train every LoRA adapter a selected lora-500/lora-full condition lacks before "
        "running (python -m parity.train; once across xdist workers)",
    )
    group.addoption(
        "--eval-smoke",
        action="store_true",
        help="the whole path tiny: every experiment on the shipped small model (hf:smollm2) over "
        "at most 12 examples, LoRA adapters trained 1 epoch on 12 rows, every output under "
        "reports/smoke/ and smoke/adapters/",
    )
    group.addoption(
        "--eval-unsafe-exec",
        action="store_true",
        help="run generated code (MBPP) even where it cannot be confined (no bubblewrap); "
        "only on a throwaway machine",
    )


def pytest_addhooks(pluginmanager: pytest.PytestPluginManager) -> None:
    from parity import hookspecs

    pluginmanager.add_hookspecs(hookspecs)


def _register_reporters(config: pytest.Config) -> None:
    """The built-in reporters and every installed extension that implements Parity hooks."""
    try:
        extensions = hook_implementers()
    except ParityError as exc:
        raise pytest.UsageError(str(exc)) from None
    reporters = {**builtin_reporters(), **extensions}
    for name, module in reporters.items():
        label = f"parity-reporter-{name}"
        if not config.pluginmanager.has_plugin(label):
            config.pluginmanager.register(module, label)


def _check_config_argument(config: pytest.Config) -> None:
    """``--eval-config PATH`` (with a space) outside the working directory: pytest took PATH
    for a test path while choosing the rootdir, before Parity's options were known, so the
    project's ini file, ``reports/`` and ``.parity-cache/`` would move to a common ancestor."""
    params = config.invocation_params
    tokens = list(params.args)
    if "--eval-config" not in tokens[:-1]:
        return
    value = tokens[tokens.index("--eval-config") + 1]
    path = (params.dir / value).resolve()
    if not path.is_relative_to(params.dir.resolve()):
        raise pytest.UsageError(
            f"--eval-config {value}: with a space, pytest reads a path outside this directory "
            f"as a test path and moves the rootdir (now {config.rootpath}).\n"
            f"  Fix: write --eval-config={value}"
        )


def pytest_configure(config: pytest.Config) -> None:
    _check_config_argument(config)
    _register_reporters(config)
    state = ParityState(config)
    config.stash[_STATE] = state
    _STATES.add(state)
    allow_unconfined(bool(config.getoption("eval_unsafe_exec")))
    config.pluginmanager.register(state, "parity-state")
    config.pluginmanager.register(state.pipelines, "parity-pipelines")


def _register_markers(config: pytest.Config) -> None:
    """Parity's markers, registered only once eval items are generated (an inert plugin
    adds nothing to ``pytest --markers`` in a project without them)."""
    config.addinivalue_line(
        "markers", f"{EVAL_MARK}: an item generated by Parity from the eval config"
    )
    for kind, names in (
        ("dataset", DATASETS.names()),
        ("task", TASKS.names()),
        ("provider", PROVIDERS.names()),
        ("mode", list(MODES)),
    ):
        for name in names:
            config.addinivalue_line("markers", f"{marker_name(name)}: Parity {kind} '{name}'")


def _prefer_xunit1(config: pytest.Config) -> None:
    """Write per-item properties in JUnit output: use the xunit1 family unless the user set one.

    pytest's default family (xunit2) has no per-testcase ``<properties>``, and every item
    records its scores with ``record_property``.
    """
    xml = _junit_xml(config)
    overrides = config.getoption("override_ini", None) or []
    inifile = config.inipath
    explicit = any(o.startswith("junit_family=") for o in overrides) or bool(
        inifile and "junit_family" in inifile.read_text(encoding="utf-8")
    )
    if xml is not None and not explicit:
        xml.family = "xunit1"


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_node_collection_finished(node: Any, ids: list[str]) -> None:
    """Under xdist the controller writes JUnit: switch its family once eval items exist."""
    params = [param for nodeid in ids if EVAL_TEST in nodeid and (param := case_param(nodeid))]
    if not params:
        return
    _prefer_xunit1(node.config)
    state = _state(node.config)
    if not state.expected_known and not node.config.option.collectonly:
        state.expected_known = True
        by_id = state.plan().by_id
        state.aggregator.expect(
            case.experiment.id for param in params if (case := by_id.get(param)) is not None
        )
        import_ahead()


def _register_marker(config: pytest.Config, name: str) -> pytest.MarkDecorator:
    state = _state(config)
    safe = marker_name(name)
    if safe not in state.markers:
        registered = {line.split(":")[0].split("(")[0].strip() for line in config.getini("markers")}
        if safe not in registered:
            config.addinivalue_line("markers", f"{safe}: Parity keyword '{name}'")
        state.markers[safe] = getattr(pytest.mark, safe)
    return state.markers[safe]


def _params(config: pytest.Config, cases: list[EvalCase]) -> list[Any]:
    """One ``pytest.param`` per case, marked with its experiment's keywords (made once per
    experiment: a run may hold 100,000 cases)."""
    marks_of: dict[str, list[pytest.MarkDecorator]] = {}
    params = []
    for case in cases:
        marks = marks_of.get(case.experiment.id)
        if marks is None:
            marks = [getattr(pytest.mark, EVAL_MARK)]
            marks += [_register_marker(config, word) for word in case.keywords()]
            marks_of[case.experiment.id] = marks
        if case.skip_reason:
            marks = [*marks, pytest.mark.skip(reason=case.skip_reason)]
        params.append(pytest.param(case, id=case.id, marks=marks))
    return params


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "eval_case" not in metafunc.fixturenames:
        return
    try:
        plan = _state(metafunc.config).plan()
    except ParityError as exc:
        raise pytest.Collector.CollectError(str(exc)) from None
    _register_markers(metafunc.config)
    metafunc.parametrize("eval_case", _params(metafunc.config, plan.cases))


def _eval_case(item: pytest.Item) -> EvalCase | None:
    callspec = getattr(item, "callspec", None)
    return callspec.params.get("eval_case") if callspec is not None else None


@pytest.hookimpl(hookwrapper=True)
def pytest_collection(session: pytest.Session) -> Any:
    """Collect without the garbage collector's full passes: a config of 100,000
    experiments makes millions of objects and no cycles (about a sixth of its collection)."""
    with paused_gc():
        yield


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Make dataset, task, model, provider, mode and tags ``-k`` keywords (``-k gpt-4o``),
    and give marked tests' items their experiments, keywords and markers."""
    keywords_of: dict[str, list[str]] = {}  # by experiment id
    for item in items:
        case = _eval_case(item)
        if case is not None:
            words = keywords_of.get(case.experiment.id)
            if words is None:
                words = keywords_of[case.experiment.id] = case.keywords()
            item.extra_keyword_matches.update(words)
    try:
        marked = _state(config).pipelines.items_from(items)
    except ParityError as exc:
        raise pytest.UsageError(str(exc)) from None
    if marked:
        _register_markers(config)
    for item, own in marked:
        words = own.keywords()
        item.extra_keyword_matches.update(words)
        item.add_marker(getattr(pytest.mark, EVAL_MARK))
        for word in words:
            item.add_marker(_register_marker(config, word))


@pytest.hookimpl(trylast=True)
def pytest_collection_finish(session: pytest.Session) -> None:
    """Hand the selected cases (after ``-k``/``-m``) to the runtime, which starts them all."""
    cases = [case for item in session.items if (case := _eval_case(item)) is not None]
    marked = [own for item in session.items if (own := pipeline_item(item)) is not None]
    state = _state(session.config)
    if cases or marked:
        _prefer_xunit1(session.config)
        running = not session.config.option.collectonly
        if running and not state.is_worker:
            _prepare_run_dir(state)
            for experiment, ids in _pipeline_experiments(marked, state.pipelines):
                state.add_pipeline_experiment(experiment, ids)
            expected = [case.experiment.id for case in cases]
            state.aggregator.expect(expected + [own.experiment.id for own in marked])
            state.expected_known = True
            import_ahead()
    if cases and not session.config.option.collectonly:
        _state(session.config).get_runtime().select(cases)
        freeze_collected_objects(len(cases))


def freeze_collected_objects(items: int) -> bool:
    """For a run of at least ``FREEZE_FROM_ITEMS`` items: collect garbage once, then move
    every object that exists now (the collected items, imported modules, the plan) out of
    the garbage collector's sight (``gc.freeze``). They live until the session ends anyway,
    and each full collection would otherwise scan all of them again: about 4 s of a
    100,000-item run. True if it froze."""
    if items < FREEZE_FROM_ITEMS:
        return False
    gc.collect()
    gc.freeze()
    return True


def _pipeline_experiments(
    marked: list[PipelineItem], pipelines: PipelinePlugin
) -> list[tuple[Experiment, list[str]]]:
    """Each selected marked test's experiment and the ids of every example it evaluates."""
    found: dict[str, tuple[Experiment, list[str]]] = {}
    for own in marked:
        ids = pipelines.example_ids[own.definition.nodeid]
        found.setdefault(own.experiment.id, (own.experiment, ids))
    return list(found.values())


def pytest_keyboard_interrupt() -> None:
    """Ctrl-C: stop starting new requests at once (those in flight are abandoned)."""
    for state in _STATES:
        if state.runtime is not None:
            state.runtime.scheduler.cancel()


def pytest_unconfigure(config: pytest.Config) -> None:
    allow_unconfined(False)
    state = config.stash.get(_STATE, None)
    if state is not None and state.runtime is not None:
        state.runtime.close()
    if state is not None:
        state.parity_model.close()
        state.clients.close()
        if state._pipeline_writer is not None:
            state._pipeline_writer.close()
    if state is not None and state.engine is not None:
        state.engine.close()
    if state is not None and state.cache is not None:
        state.cache.close()
    if state is not None:
        _release_run_dir(state)
    if state is not None:
        _STATES.discard(state)
    if state is not None and config.pluginmanager.is_registered(state):
        config.pluginmanager.unregister(state)
        config.pluginmanager.unregister(state.pipelines)


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    state = _state(node.config)
    if not node.config.option.collectonly:
        # The controller collects nothing, so it checks before any worker runs an item
        # (in a session without eval items too; what it made empty is removed at the end).
        _prepare_run_dir(state)
    node.workerinput["parity_run_dir"] = str(state.run_dir)
    node.workerinput["parity_partitioned"] = _partitioned(node.config)


def _partitioned(config: pytest.Config) -> bool:
    """Whether xdist runs with Parity's partition scheduler (``-n N`` = ``--dist load``)."""
    return config.getoption("dist", "no") == "load"


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    state = _state(config)
    if not _partitioned(config):
        return None
    from parity.xdist_scheduling import PartitionScheduling

    return PartitionScheduling(config, log, state.plan, state.workers)


def _case_for_report(state: ParityState, report: pytest.TestReport) -> EvalCase | None:
    param = case_param(report.nodeid) if EVAL_TEST in report.nodeid else None
    if param is None:
        return None
    try:
        return state.plan().by_id.get(param)
    except ParityError:
        return None


def _gate_reports(gate: GateResult, with_properties: bool) -> list[pytest.TestReport]:
    nodeid = f"{GATES_PATH}::{gate.test_name}"
    location = (GATES_PATH, 0, gate.test_name)
    values = [
        ("verdict", gate.verdict), ("observed", gate.observed), ("limit", gate.limit),
        ("ci95_low", gate.ci_low), ("ci95_high", gate.ci_high),
    ]  # fmt: skip
    properties = [(k, v) for k, v in values if v not in (None, "")] if with_properties else []
    if gate.status == "skipped":
        longrepr: Any = (GATES_PATH, 0, f"Skipped: {gate.message}")
    elif gate.status == "failed":
        longrepr = f"gate failed: {gate.message}"
    else:
        longrepr = None
    keywords: dict[str, Any] = {EVAL_MARK: 1}
    status: Any = gate.status
    call = pytest.TestReport(
        nodeid, location, keywords, status, longrepr, "call", user_properties=properties
    )
    teardown = pytest.TestReport(
        nodeid, location, keywords, "passed", None, "teardown", user_properties=properties
    )
    return [call, teardown]


def _record_gate_report(config: pytest.Config, report: pytest.TestReport) -> None:
    """Count a gate in pytest's totals and write it to JUnit, without touching the progress
    line (every item has already been reported at 100%)."""
    xml = _junit_xml(config)
    if xml is not None:
        xml.pytest_runtest_logreport(report)
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None and report.when == "call":
        category = report.outcome if report.outcome in ("passed", "failed", "skipped") else "failed"
        reporter.stats.setdefault(category, []).append(report)


@pytest.hookimpl(tryfirst=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Evaluate gates (as reports pytest counts and JUnit records) and write summary files."""
    state = _state(session.config)
    if state.is_worker or not state.aggregator.has_data():
        return
    if state.runtime is not None and state.runtime.rows_lost:
        return  # the run stopped: its summaries cannot be written where its rows could not
    outcomes = state.aggregator.outcomes
    summaries = {
        experiment_id: outcome.summary(state.setups.get(experiment_id))
        for experiment_id, outcome in outcomes.items()
        if outcome.reported or outcome.missing
    }
    settings = state.plan().config.tco if state.plan_loaded() else TcoSettings()
    for experiment_id, summary in summaries.items():
        model = outcomes[experiment_id].experiment.model
        price = price_for(model) if model.provider else None
        training = training_block(model.options.get("adapter"), (price or {}).get("gpu_hour_usd"))
        if training is not None:
            summary["training"] = training
        summary["tco"] = tco_block(summary, settings)
    state.tco = settings
    comparisons = compare_all(outcomes, state.sources)
    allow = bool(session.config.getoption("eval_allow_skipped_gates"))
    state.gates = evaluate_gates(outcomes, summaries, comparisons, allow)
    _add_verdicts(state, summaries, comparisons)
    for gate in state.gates:
        for report in _gate_reports(gate, _junit_takes_properties(session.config)):
            _record_gate_report(session.config, report)
    if any(g.status == "failed" for g in state.gates):
        session.testsfailed += 1
        if session.exitstatus == pytest.ExitCode.OK:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED
    try:
        _write_summaries(session, state, summaries)
    except OSError as exc:
        where = "--eval-report-dir DIR"
        state.report_error = cannot_write(state.run_dir, "summaries", where, exc)
        if session.exitstatus == pytest.ExitCode.OK:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED


def _write_summaries(
    session: pytest.Session, state: ParityState, summaries: dict[str, dict[str, Any]]
) -> None:
    """Hand each experiment's summary, and the run's, to the reporters (which write files)."""
    outcomes = state.aggregator.outcomes
    hook = session.config.hook
    for experiment_id, summary in summaries.items():
        outcome = outcomes[experiment_id]
        state.summaries.append(summary)
        state.skip_reasons[experiment_id] = sorted(outcome.skip_reasons)
        if outcome.records:
            hook.pytest_parity_experiment_finished(
                config=session.config,
                summary=summary,
                records=outcome.sorted_records(),
                run_dir=state.run_dir,
            )
    document = run_document(
        state.config_label(), state.summaries, state.gates, state.notes(), state.verdicts,
        state.holm,
    )  # fmt: skip
    hook.pytest_parity_run_finished(config=session.config, summary=document, run_dir=state.run_dir)


def _add_verdicts(
    state: ParityState,
    summaries: dict[str, dict[str, Any]],
    comparisons: dict[str, PairedComparison | str],
) -> None:
    """Each compared experiment's verdict: in its summary, and as one terminal line."""
    for experiment_id, comparison in comparisons.items():
        source = state.sources[experiment_id]
        gates = [g for g in state.gates if g.experiment_id == experiment_id]
        state.verdicts.append(verdict_line(comparison, experiment_id, source.label, gates))
        if isinstance(comparison, str):
            block: dict[str, Any] = {"baseline": source.label, "unavailable": comparison}
        else:
            block = comparison.to_dict()
        block["verdicts"] = {
            f"{g.kind}.{g.metric}": g.verdict for g in gates if g.kind in ("max_drop", "min_gain")
        }
        if experiment_id in summaries:
            summaries[experiment_id]["comparison"] = block
    state.holm = holm_table(comparisons, state.gates)


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    state = _state(config)
    if state.report_error:
        terminalreporter.write_line(state.report_error, red=True)
    if not state.summaries:
        return
    terminalreporter.write_sep("=", "parity summary")
    for summary in state.summaries:
        for line in render_experiment(
            summary, state.skip_reasons.get(summary["experiment_id"], [])
        ):
            terminalreporter.write_line(line)
    tco_lines = render_tco(state.summaries, state.tco)
    if tco_lines:
        terminalreporter.write_line("")
        for line in tco_lines:
            terminalreporter.write_line(line)
    verdict_lines = render_verdicts(state.verdicts, state.holm)
    if verdict_lines:
        terminalreporter.write_line("")
        for line in verdict_lines:
            terminalreporter.write_line(line)
    gate_lines = render_gates(state.gates)
    if gate_lines:
        terminalreporter.write_line("")
        for line in gate_lines:
            terminalreporter.write_line(line)
    for note in state.notes():
        terminalreporter.write_line(f"note: {note}")
    engine = state.engine
    if engine is not None and state.cache is not None:  # this process ran the items
        resumed = state.runtime.resumed if state.runtime is not None else 0
        line = (
            f"engine: {engine.requests_sent()} requests sent, {state.cache.hits} cache hits, "
            f"{resumed} resumed"
        )
        if engine.compressions:
            line += f", {engine.compressions} contexts compressed"
        if engine.budget.cap_usd is not None:
            line += (
                f", spent ${engine.budget.spent_usd:.6f} of ${engine.budget.cap_usd}"
                f" ({engine.budget.refused} requests refused by the cap)"
            )
        terminalreporter.write_line(line)
    terminalreporter.write_line(f"reports: {state.run_dir}")
