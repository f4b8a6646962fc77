"""Every Parity option can be set in the ini file as ``parity_NAME`` (alias ``eval_NAME``) and
on the command line as ``--parity-NAME`` (alias ``--eval-NAME``); the command line wins, and
a relative path in the ini file is read from the ini file's folder."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from tests.support.pytest_runs import clean_env, one_experiment, run_pytest, write_yaml

# A value for every option, none of them its default: (ini value, resolved value, where a
# path is relative to the project folder).
INI_VALUES: dict[str, Any] = {
    "config": "configs/x.yaml",
    "model": "openai:gpt-4o-mini",
    "report_dir": "out/reports",
    "keep_reports": 3,
    "cache": "refresh",
    "cache_dir": "cache",
    "call_process": "off",
    "resume": "runs/one",
    "max_cost": 0.5,
    "progress_interval": 7.5,
    "stall_timeout": 90.5,
    "shard": "2/3",
    "shard_latencies": "runs/timed",
    "baseline_run": "runs/base",
    "allow_skipped_gates": True,
    "allow_skipped": True,
    "gate_narrowed": True,
    "train": True,
    "smoke": True,
    "unsafe_exec": True,
    "mlflow": "http://127.0.0.1:5000",
    "hf_repo": "acme/results",
}
PATHS = {"config", "report_dir", "cache_dir", "resume", "baseline_run", "shard_latencies"}

DUMP_PLUGIN = """
import json, os
import pytest

@pytest.hookimpl(tryfirst=True)
def pytest_configure(config):
    values = {k: v for k, v in vars(config.option).items() if k.startswith("eval_")}
    values["primary_equal"] = all(
        getattr(config.option, "parity_" + k[len("eval_"):]) == v for k, v in values.items()
    )
    with open(os.environ["PARITY_OPTIONS_DUMP"], "w") as out:
        json.dump(values, out)
    pytest.exit("options dumped", returncode=0)
"""


def parity_options(config: pytest.Config) -> list[Any]:
    """Every command-line option Parity registers (any option spelled --parity-* or --eval-*)."""
    return [
        option
        for group in config._parser._groups
        for option in group.options
        if any(name.startswith(("--parity-", "--eval-")) for name in option.names())
    ]


def test_every_option_has_an_ini_key_and_both_spellings(pytestconfig):
    options = parity_options(pytestconfig)
    assert len(options) >= len(INI_VALUES)
    parser = pytestconfig._parser
    ini_keys = set(parser._inidict) | set(getattr(parser, "_ini_aliases", {}))
    for option in options:
        names = option.names()
        stems = {name.split("-", 3)[-1] for name in names if name.startswith("--")}
        assert len(stems) == 1, names
        stem = stems.pop().replace("-", "_")
        assert {f"--parity-{stem.replace('_', '-')}", f"--eval-{stem.replace('_', '-')}"} <= set(
            names
        ), names
        assert {f"parity_{stem}", f"eval_{stem}"} <= ini_keys, f"{names} has no ini key"


def test_every_option_has_a_value_in_these_tests(pytestconfig):
    """A new option gets an ini value here, so the tests below cover it."""
    dests = {option.dest for option in parity_options(pytestconfig)}
    assert dests == {f"eval_{name}" for name in INI_VALUES}


def toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return json.dumps(value)


def project(tmp_path: Path, ini: dict[str, Any]) -> tuple[Path, Path]:
    """A project whose pyproject.toml sets ``ini``, and a subfolder of it to run pytest from."""
    root = tmp_path / "project"
    (root / "configs").mkdir(parents=True)
    write_yaml(root / "configs" / "x.yaml", [one_experiment()])
    lines = [f"{key} = {toml_value(value)}" for key, value in ini.items()]
    (root / "pyproject.toml").write_text("[tool.pytest.ini_options]\n" + "\n".join(lines) + "\n")
    (root / "plugins").mkdir()
    (root / "plugins" / "dump_options.py").write_text(DUMP_PLUGIN)
    sub = root / "sub"
    sub.mkdir()
    return root, sub


def resolved(tmp_path: Path, root: Path, cwd: Path, *args: str) -> dict[str, Any]:
    """The options as every plugin's ``pytest_configure`` reads them."""
    dump = tmp_path / "dump.json"
    path = os.pathsep.join(filter(None, [str(root / "plugins"), os.environ.get("PYTHONPATH")]))
    env = clean_env(PYTHONPATH=path, PARITY_OPTIONS_DUMP=str(dump))
    result = run_pytest(cwd, "-p", "dump_options", "--collect-only", "-q", *args, env=env)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    return json.loads(dump.read_text())


def expected(root: Path) -> dict[str, Any]:
    values = {
        f"eval_{name}": str(root / value) if name in PATHS else value
        for name, value in INI_VALUES.items()
    }
    return {**values, "primary_equal": True}


@pytest.mark.parametrize("prefix", ["parity", "eval"])
def test_the_ini_file_sets_every_option_paths_from_its_folder(tmp_path, prefix):
    root, sub = project(tmp_path, {f"{prefix}_{k}": v for k, v in INI_VALUES.items()})
    assert resolved(tmp_path, root, sub) == expected(root)  # parity_NAME equal to eval_NAME


def test_the_command_line_wins_over_the_ini_file(tmp_path):
    root, sub = project(tmp_path, {f"parity_{k}": v for k, v in INI_VALUES.items()})
    given = {
        "config": "mine.yaml",
        "model": "openai:gpt-4o",
        "report_dir": "here",
        "keep_reports": 0,
        "cache": "off",
        "cache_dir": "c2",
        "call_process": "on",
        "resume": "latest",
        "max_cost": 2.0,
        "progress_interval": 0.0,
        "stall_timeout": 5.0,
        "baseline_run": "b2",
        "mlflow": "http://127.0.0.1:5001",
    }
    args = [f"--parity-{k.replace('_', '-')}={v}" for k, v in given.items()]
    aliases = [f"--eval-{k.replace('_', '-')}={v}" for k, v in given.items()]
    wanted = {**expected(root), **{f"eval_{k}": v for k, v in given.items()}}
    assert resolved(tmp_path, root, sub, *args) == wanted
    assert resolved(tmp_path, root, sub, *aliases) == wanted


def test_defaults_without_an_ini_file(tmp_path):
    root, sub = project(tmp_path, {})
    values = resolved(tmp_path, root, sub)
    assert values["eval_cache"] == "use" and values["eval_keep_reports"] == 20
    assert values["eval_smoke"] is False and values["eval_config"] is None


def test_the_primary_key_wins_over_its_alias_and_dash_o_over_both(tmp_path):
    root, sub = project(tmp_path, {"parity_cache": "off", "eval_cache": "use", "eval_smoke": True})
    values = resolved(tmp_path, root, sub)
    assert (values["eval_cache"], values["eval_smoke"]) == ("off", True)
    values = resolved(tmp_path, root, sub, "-o", "eval_cache=refresh", "-o", "parity_smoke=false")
    assert (values["eval_cache"], values["eval_smoke"]) == ("refresh", False)


@pytest.mark.parametrize(
    ("key", "value", "said"),
    [
        ("eval_cache", "sometimes", "expected one of use, refresh, off"),
        ("eval_keep_reports", "-1", "is not a whole number >= 0"),
        ("eval_max_cost", "lots", "could not convert"),
    ],
)
def test_a_bad_ini_value_is_one_usage_error(tmp_path, key, value, said):
    _root, sub = project(tmp_path, {key: value})
    result = run_pytest(sub, "--collect-only", "-q")
    assert result.returncode == 4, result.stdout + result.stderr
    primary, alias = f"parity_{key[len('eval_') :]}", f"eval_{key[len('eval_') :]}"
    assert f"ini option {primary} (alias {alias})" in result.stderr and value in result.stderr
    assert said in result.stderr
    assert "Traceback" not in result.stderr


def test_help_lists_every_ini_key_with_its_option_and_alias(tmp_path):
    result = run_pytest(tmp_path, "--help")
    ini_section = result.stdout.split("\n[pytest]", 1)[-1]
    words = " ".join(ini_section.split())
    for name in INI_VALUES:
        assert f"  parity_{name} (" in ini_section, name
        flag = f"--parity-{name.replace('_', '-')}"
        assert f"[{flag}; alias eval_{name}]" in words, name
    assert "--parity-config=PATH, --eval-config=PATH" in result.stdout
