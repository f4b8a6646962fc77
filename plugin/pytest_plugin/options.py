"""Parity's command-line options and hooks, and the one check of how an option was given."""

from __future__ import annotations

import argparse

import pytest

from parity.engine.scheduler import DEFAULT_STALL_S
from parity.record.cache import CACHE_MODES
from parity.report import hookspecs
from parity.report.progress import DEFAULT_INTERVAL_S

# Run folders kept under reports/ by default: a day or two of runs to compare or resume
# (--eval-baseline-run, --eval-resume), while 25 runs no longer leave 22 folders behind.
DEFAULT_KEEP_REPORTS = 20


def pytest_addoption(parser: pytest.Parser) -> None:
    """Parity's command-line options (the ``parity`` group of ``pytest --help``)."""
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
        "--eval-keep-reports",
        metavar="N",
        type=_count,
        default=DEFAULT_KEEP_REPORTS,
        help="after a run, keep the newest N run folders Parity made under reports/ and remove "
        f"the older ones (default {DEFAULT_KEEP_REPORTS}; 0 = keep all); reports/latest names "
        "the newest",
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
        "--eval-allow-skipped",
        action="store_true",
        help="let a run in which every experiment item was skipped (a missing key or "
        "base_url, the cost cap) pass; by default it fails, since it evaluated nothing",
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


def _count(text: str) -> int:
    """A whole number of at least 0 (argparse reports anything else as a usage error)."""
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number >= 0")
    return value


def pytest_addhooks(pluginmanager: pytest.PytestPluginManager) -> None:
    """Parity's own hooks (:mod:`parity.report.hookspecs`), which reporters implement."""
    pluginmanager.add_hookspecs(hookspecs)


def check_config_argument(config: pytest.Config) -> None:
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
