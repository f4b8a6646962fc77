"""Parity's options, on the command line and in the ini file, the one place their values are
resolved, and the one check of how an option was given.

Every option is spelled ``--parity-NAME`` on the command line and ``parity_NAME`` in the ini
file (``[tool.pytest.ini_options]``, ``pytest.ini``, ``tox.ini``, ``setup.cfg``), the prefix
of the ``parity`` marker and the ``parity_model`` and ``parity_result`` fixtures. The older
spellings ``--eval-NAME`` and ``eval_NAME`` are aliases that work identically. A value given
on the command line wins over the ini file, which wins over the default; a relative path in
the ini file is read from the ini file's folder, as pytest reads ``testpaths``. Readers take
the resolved value from ``config.getoption("eval_NAME")`` (Parity's own) or, the same value,
``config.getoption("parity_NAME")``.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import pytest

from parity.cases.shards import shard_text
from parity.engine.scheduler import DEFAULT_STALL_S
from parity.record.cache import CACHE_MODES
from parity.record.redis_cache import is_redis_url
from parity.report import hookspecs
from parity.report.progress import DEFAULT_INTERVAL_S

# Run folders kept under reports/ by default: a day or two of runs to compare or resume
# (--parity-baseline-run, --parity-resume), while 25 runs no longer leave 22 folders behind.
DEFAULT_KEEP_REPORTS = 20

PREFIX, ALIAS_PREFIX = "parity", "eval"

# How an ini value is typed for pytest (its int and float types came in pytest 8.4; before
# that such a value is a string, which Parity converts the same way).
IniType = Literal["string", "bool", "int", "float"]
INI_TYPES: dict[str, IniType] = {"bool": "bool"}
if pytest.version_tuple >= (8, 4):
    INI_TYPES.update(int="int", float="float")
# pytest 9 ranks an ini key's aliases itself (``-o`` over the file, the key over its alias);
# before, the alias is a key of its own, read when the primary one is unset.
NATIVE_INI_ALIASES = pytest.version_tuple >= (9, 0)


def _count(text: str) -> int:
    """A whole number of at least 0 (argparse reports anything else as a usage error)."""
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number >= 0")
    return value


def _cache_setting(text: str) -> str:
    """A mode of the SQLite cache file (use, refresh, off) or a Redis server's URL."""
    if text in CACHE_MODES or is_redis_url(text):
        return text
    raise argparse.ArgumentTypeError(
        f"{text!r}: expected one of {', '.join(CACHE_MODES)}, or a Redis URL (redis://HOST:PORT/DB)"
    )


@dataclass(frozen=True)
class Option:
    """One Parity option: ``--parity-NAME`` (alias ``--eval-NAME``), ini key ``parity_NAME``
    (alias ``eval_NAME``); ``kind`` is how an ini value is read: path, str, bool, int, float."""

    name: str
    kind: str
    help: str
    metavar: str | None = None
    default: Any = None
    choices: tuple[str, ...] = ()
    parse: Callable[[str], Any] | None = None  # the command line's (and the ini's) converter
    extra: tuple[tuple[str, Any], ...] = ()  # further argparse keywords (nargs, const)

    @property
    def dest(self) -> str:
        """The attribute readers pass to ``config.getoption`` (the old spelling, kept)."""
        return f"{ALIAS_PREFIX}_{self.name.replace('-', '_')}"

    @property
    def flags(self) -> tuple[str, str]:
        """The command-line spellings, the primary one first."""
        return f"--{PREFIX}-{self.name}", f"--{ALIAS_PREFIX}-{self.name}"

    @property
    def ini_keys(self) -> tuple[str, str]:
        """The ini keys, the primary one first."""
        key = self.name.replace("-", "_")
        return f"{PREFIX}_{key}", f"{ALIAS_PREFIX}_{key}"


OPTIONS: tuple[Option, ...] = (
    Option(
        "config", "path", metavar="PATH",
        help="experiments YAML that plain pytest collects and evaluates (none unless named; "
        "under --pyargs parity.evals: ./configs/experiments.yaml, else the shipped one)",
    ),
    Option(
        "model", "str", metavar="PROVIDER:MODEL",
        help="the model parity_model calls in @pytest.mark.parity tests that name none "
        "(default: local:smollm2, the shipped offline model), e.g. openai:gpt-4o-mini",
    ),
    Option(
        "report-dir", "path", metavar="DIR",
        help="directory for raw JSONL and summary files (default: reports/<run timestamp>/)",
    ),
    Option(
        "keep-reports", "int", metavar="N", default=DEFAULT_KEEP_REPORTS, parse=_count,
        help="after a run, keep the newest N run folders Parity made under reports/ and remove "
        f"the older ones (default {DEFAULT_KEEP_REPORTS}; 0 = keep all); reports/latest names "
        "the newest",
    ),
    Option(
        "cache", "str", metavar="MODE|URL", default="use", parse=_cache_setting,
        help="response cache: use (read and write, default), refresh (ignore hits, overwrite), "
        "off; or redis://HOST:PORT/DB, a Redis server that runs on several hosts share (read "
        "and write; needs pip install 'parity-evals[redis]')",
    ),
    Option(
        "cache-dir", "path", metavar="DIR",
        help="where the SQLite response cache lives (default: .parity-cache/ in the rootdir)",
    ),
    Option(
        "call-process", "str", default="auto", choices=("auto", "on", "off"),
        help="send the built-in API providers' requests from a helper process, so that their "
        "SDK's CPU work runs beside pytest's: auto (default: in a serial run and in each xdist "
        "worker), on, off",
    ),
    Option(
        "resume", "path", metavar="RUN_DIR", extra=(("nargs", "?"), ("const", "latest")),
        help="continue an interrupted run: reuse the finished rows in RUN_DIR (default: the "
        "latest reports/<timestamp>/) and append the rest there",
    ),
    Option(
        "max-cost", "float", metavar="USD", parse=float,
        help="stop issuing requests once the projected spend would pass USD (split evenly across "
        "xdist workers); items left out are skipped with the reason",
    ),
    Option(
        "progress-interval", "float", metavar="SECONDS", default=DEFAULT_INTERVAL_S, parse=float,
        help="while an item waits, write a progress line at most this often "
        f"(default {DEFAULT_INTERVAL_S:.0f}; 0 = never)",
    ),
    Option(
        "stall-timeout", "float", metavar="SECONDS", default=DEFAULT_STALL_S, parse=float,
        help="fail the run loudly, instead of hanging, when an item waits but no request has "
        f"been in flight and nothing computed for this long (default {DEFAULT_STALL_S:.0f})",
    ),
    Option(
        "shard", "str", metavar="K/N", parse=shard_text,
        help="run shard K of N (e.g. 2/3): each case in exactly one shard, balanced by its "
        "estimated cost; other tests run in shard 1; its gates are evaluated by python -m "
        "parity merge over every shard's run folder",
    ),
    Option(
        "shard-latencies", "path", metavar="RUN_DIR",
        help="weigh the --parity-shard plan by the latencies an earlier run recorded (its "
        "report directory, e.g. the last merged run); every shard must be given the same",
    ),
    Option(
        "baseline-run", "path", metavar="RUN_DIR",
        help="compare every experiment with the experiment of the same id stored in RUN_DIR "
        "(an earlier run's report directory, e.g. main's CI artifact) instead of its configured "
        "baseline; its model is not called again",
    ),
    Option(
        "allow-skipped-gates", "bool", default=False,
        help="let a gate that cannot be evaluated (no scored items, no baseline scores) be "
        "skipped instead of failing the run",
    ),
    Option(
        "allow-skipped", "bool", default=False,
        help="let a run in which every experiment item was skipped (a missing key or "
        "base_url, the cost cap) pass; by default it fails, since it evaluated nothing",
    ),
    Option(
        "gate-narrowed", "bool", default=False,
        help="evaluate the gates of an experiment that -k, -m, --deselect or node ids selected "
        "only part of (or whose baseline they deselected); by default they are not evaluated",
    ),
    Option(
        "train", "bool", default=False,
        help="train every LoRA adapter a selected lora-500/lora-full condition lacks before "
        "running (python -m parity.train; once across xdist workers)",
    ),
    Option(
        "smoke", "bool", default=False,
        help="the whole path tiny: every experiment on the shipped small model (hf:smollm2) over "
        "at most 12 examples, LoRA adapters trained 1 epoch on 12 rows, every output under "
        "reports/smoke/ and smoke/adapters/",
    ),
    Option(
        "unsafe-exec", "bool", default=False,
        help="run generated code (MBPP) even where it cannot be confined (no bubblewrap); "
        "only on a throwaway machine",
    ),
    Option(
        "mlflow", "str", metavar="TRACKING_URI", extra=(("nargs", "?"), ("const", "local")),
        help="log the finished run to MLflow: a parent run with one nested run per experiment "
        "(params, metrics with intervals, gates, the run folder's files); TRACKING_URI defaults "
        "to $MLFLOW_TRACKING_URI, else local: sqlite:///mlruns.db with artifacts in mlruns/ "
        "in the rootdir (needs pip install 'parity-evals[mlflow]')",
    ),
    Option(
        "hf-repo", "str", metavar="ORG/NAME",
        help="after the run, push its result files to the Hugging Face dataset ORG/NAME "
        "(created private if missing) under runs/<run folder>/; needs HF_TOKEN, else skipped",
    ),
)  # fmt: skip


def option_named(name: str) -> Option:
    """The option spelled ``--parity-NAME``."""
    return next(option for option in OPTIONS if option.name == name)


def pytest_addoption(parser: pytest.Parser) -> None:
    """Parity's options: the ``parity`` group of ``pytest --help`` and, for each, an ini key
    (listed under ``[pytest] ini-options``) with its alias."""
    group = parser.getgroup("parity", "Parity LLM evaluations")
    for option in OPTIONS:
        keywords: dict[str, Any] = {"dest": option.dest, "help": option.help, **dict(option.extra)}
        if option.kind == "bool":
            keywords["action"] = "store_true"
            keywords["default"] = None  # None: not given, so the ini file may set it
        else:
            keywords.update(metavar=option.metavar, default=None)
            if option.choices:
                keywords["choices"] = option.choices
            if option.parse is not None:
                keywords["type"] = option.parse
        group.addoption(*option.flags, **keywords)
        primary, alias = option.ini_keys
        ini_type: IniType = INI_TYPES.get(option.kind, "string")
        about = f"{option.help} [{option.flags[0]}; alias {alias}]"
        # default None: an unset key reads as None (or [] before pytest 9), never as a value
        if NATIVE_INI_ALIASES:
            parser.addini(primary, about, type=ini_type, default=None, aliases=[alias])
        else:
            parser.addini(primary, about, type=ini_type, default=None)
            parser.addini(alias, f"alias of {primary}", type=ini_type, default=None)


@pytest.hookimpl(tryfirst=True)
def pytest_cmdline_main(config: pytest.Config) -> None:
    """Resolve every option before any plugin's ``pytest_configure`` reads it."""
    resolve_options(config)


def resolve_options(config: pytest.Config) -> None:
    """Set each option in ``config.option`` to its value: the command line's if given, else
    the ini file's (a relative path read from the ini file's folder), else the default."""
    for option in OPTIONS:
        if getattr(config.option, option.dest, None) is None:
            value = _ini_value(config, option)
            setattr(config.option, option.dest, option.default if value is None else value)
        setattr(config.option, option.ini_keys[0], getattr(config.option, option.dest))


def _ini_value(config: pytest.Config, option: Option) -> Any:
    """``option``'s value in the ini file, or None: ``-o`` over the file, and ``parity_NAME``
    over its alias ``eval_NAME``, as pytest ranks an ini key's aliases."""
    primary, alias = option.ini_keys
    key = f"{primary} (alias {alias})"
    try:
        raw = _ranked_raw(config, primary, alias)
    except (pytest.UsageError, ValueError) as exc:  # pytest's own int, float or bool reading
        raise pytest.UsageError(f"ini option {key}: {exc}") from None
    if raw is None:
        return None
    if option.kind == "bool":
        return raw
    text = str(raw).strip()
    if option.choices and text not in option.choices:
        choices = ", ".join(option.choices)
        raise pytest.UsageError(f"ini option {key} = {text!r}: expected one of {choices}")
    if option.parse is not None:
        try:
            return option.parse(text)
        except (ValueError, argparse.ArgumentTypeError) as exc:
            raise pytest.UsageError(f"ini option {key} = {text!r}: {exc}") from None
    if option.kind == "path" and not (option.name == "resume" and text == "latest"):
        return str(_ini_folder(config) / Path(text).expanduser())
    return text


def _ranked_raw(config: pytest.Config, primary: str, alias: str) -> Any:
    """The raw value of ``primary`` or its ``alias``: pytest 9 ranks them itself; before,
    a key given with ``-o`` comes first, then the primary key."""
    if NATIVE_INI_ALIASES:
        return _raw_ini(config, primary)
    overridden = _overridden(config)
    for key in sorted((primary, alias), key=lambda key: key not in overridden):
        value = _raw_ini(config, key)
        if value is not None:
            return value
    return None


def _raw_ini(config: pytest.Config, key: str) -> Any:
    """The ini file's value of ``key`` as given, or None where it is unset (or empty)."""
    value = config.getini(key)
    return None if value is None or value == "" or value == [] else value


def _overridden(config: pytest.Config) -> set[str]:
    """The ini keys given on the command line with ``-o KEY=VALUE``."""
    return {text.split("=", 1)[0] for text in config.getoption("override_ini", None) or []}


def _ini_folder(config: pytest.Config) -> Path:
    """Where a relative path in the ini file is read from: the ini file's folder (the current
    directory for ``-o`` without an ini file), as pytest reads ``paths`` ini values."""
    return config.inipath.parent if config.inipath else config.invocation_params.dir


def pytest_addhooks(pluginmanager: pytest.PytestPluginManager) -> None:
    """Parity's own hooks (:mod:`parity.report.hookspecs`), which reporters implement."""
    pluginmanager.add_hookspecs(hookspecs)


def check_config_argument(config: pytest.Config) -> None:
    """``--parity-config PATH`` (with a space) outside the working directory: pytest took PATH
    for a test path while choosing the rootdir, before Parity's options were known, so the
    project's ini file, ``reports/`` and ``.parity-cache/`` would move to a common ancestor."""
    params = config.invocation_params
    tokens = list(params.args)
    for flag in option_named("config").flags:
        if flag not in tokens[:-1]:
            continue
        value = tokens[tokens.index(flag) + 1]
        path = (params.dir / value).resolve()
        if not path.is_relative_to(params.dir.resolve()):
            raise pytest.UsageError(
                f"{flag} {value}: with a space, pytest reads a path outside this directory "
                f"as a test path and moves the rootdir (now {config.rootpath}).\n"
                f"  Fix: write {flag}={value}"
            )
