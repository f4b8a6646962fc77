"""Plain ``pytest`` collects the experiments: the named eval config file becomes a collector
(as pytest plugins that collect YAML do), whose items are the experiment test's items.

The collector reads the experiment test, ``parity.evals.test_experiments.test_example``,
once per experiment of the config, under the experiment's id, so every item is the same
test as under ``--pyargs parity.evals`` (its fixtures, its parametrization by
``pytest_generate_tests``, its records and JUnit properties), with a node id under the
config file: ``configs/experiments.yaml::<experiment id>[<example>]``.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from types import ModuleType

import pytest

from parity.cases.cases import EvalCase
from parity.config.config import load_config
from parity.config.errors import ParityError
from parity.pytest_plugin.options import option_named
from parity.pytest_plugin.planning import plan_of
from parity.pytest_plugin.state import state_of

EXPERIMENT_MODULE = "parity.evals.test_experiments"
EXPERIMENT_FUNCTION = "test_example"


class ConfigFile(pytest.Module):
    """The eval config file as a collector of the experiment test's items, one function
    per experiment (named by its id) parametrized by that experiment's cases."""

    cases_of: dict[str, list[EvalCase]]

    def _getobj(self) -> ModuleType:
        try:
            plan = plan_of(state_of(self.config))
        except ParityError as exc:
            raise self.CollectError(str(exc)) from None
        module = importlib.import_module(EXPERIMENT_MODULE)
        test = getattr(module, EXPERIMENT_FUNCTION)
        self.cases_of = {}
        for case in plan.cases:
            self.cases_of.setdefault(case.experiment.id, []).append(case)
        experiments = ModuleType(module.__name__, module.__doc__)
        for experiment_id in self.cases_of:
            setattr(experiments, experiment_id, test)
        return experiments

    def istestfunction(self, obj: object, name: str) -> bool:
        """Each experiment (whatever the project's ``python_functions``)."""
        return name in self.cases_of

    def istestclass(self, obj: object, name: str) -> bool:
        """The experiments are no test class."""
        return False


def example_param(case: EvalCase) -> str:
    """A case's parametrize id under its experiment's name: its example (and repeat)."""
    return case.id[len(case.experiment.id) + 1 :]


def config_file_cases(metafunc: pytest.Metafunc) -> list[EvalCase] | None:
    """The cases of the experiment ``metafunc`` collects from the config file, or None for
    the experiment module's test (which takes every case)."""
    parent = metafunc.definition.parent
    if not isinstance(parent, ConfigFile):
        return None
    return parent.cases_of[metafunc.definition.name]


def named_config(config: pytest.Config) -> bool:
    """Whether the run names an eval config (``--parity-config``, or its ini key, which the
    option's value resolves)."""
    return bool(config.getoption("eval_config"))


def pytest_sessionstart(session: pytest.Session) -> None:
    """Collect the named config where pytest would not walk to it: a run that names no
    test paths collects its ``testpaths`` (or the current folder), and the config is added
    to them when it lies outside them (``testpaths = ["tests"]``, ``configs/x.yaml``)."""
    config = session.config
    if not named_config(config):
        return
    check_named_file(config)
    if config.args_source == pytest.Config.ArgsSource.ARGS:
        return
    path = state_of(config).config_path().resolve()
    walked = [Path(arg).resolve() for arg in config.args]
    if not any(path.is_relative_to(folder) for folder in walked):
        config.args.append(str(path))


def check_named_file(config: pytest.Config) -> None:
    """A named config that is no file (a typo, a folder) is one usage error with the fix,
    naming where it was set; plain pytest would otherwise never meet it and collect nothing.
    Under ``--pyargs`` the experiment module reports it as its collection error."""
    path = state_of(config).config_path()
    if path.is_file() or config.option.pyargs:
        return
    try:
        load_config(path)
    except ParityError as exc:
        raise pytest.UsageError(f"{exc}\n  (set by {config_source(config)})") from None


def config_source(config: pytest.Config) -> str:
    """Where the eval config was named: the command line, ``-o``, or the ini file's key."""
    option = option_named("config")
    tokens = [str(token).split("=", 1)[0] for token in config.invocation_params.args]
    given = [flag for flag in option.flags if flag in tokens]
    if given:
        return f"{given[0]} on the command line"
    overridden = {text.split("=", 1)[0] for text in config.getoption("override_ini") or []}
    key = next((key for key in option.ini_keys if key in overridden), None)
    if key is not None:
        return f"-o {key} on the command line"
    key = next((key for key in option.ini_keys if config.inicfg.get(key) is not None), None)
    return f"{key or option.ini_keys[0]} in {config.inipath}"


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> ConfigFile | None:
    """The named eval config file, when pytest meets it, as a :class:`ConfigFile`."""
    config = parent.config
    if not named_config(config):
        return None
    if file_path.resolve() != state_of(config).config_path().resolve():
        return None
    return ConfigFile.from_parent(parent, path=file_path)


def from_config_file(item: pytest.Item) -> bool:
    """Whether ``item`` was collected from the eval config file (not from the module)."""
    return isinstance(item.parent, ConfigFile)
