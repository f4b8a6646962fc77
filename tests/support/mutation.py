"""Mutation testing of the modules that decide verdicts, keep secrets and keep results.

``python -m tests.support.mutation [module ...] [--jobs N] [--fail-under PCT]`` (``tox -e
mutation``): each module's mutants (:mod:`tests.support.mutants`) run against that module's own
tests (``TARGETS``); it prints the score per module and lists the survivors.

The package-dir layout (``parity`` -> ``plugin/``, ``parity.evals`` -> ``evals/`` ...) is rebuilt
as a tree of links under a temporary folder, one per worker, named as the packages are imported;
the mutated module is a real file there and the folder comes first on ``PYTHONPATH``, so the
tests (and any pytest they start) import the mutant instead of the installed package. Each
worker is a warm pytest process (:mod:`tests.support.mutation_worker`); a mutant's tests run
fastest first and stop at the first failure, or are killed past 3x the unmutated run + 10 s
(a hang counts as killed). mutmut 3.8 cannot be used here: it mutates a copy under
``mutants/`` named by file path (``plugin.analysis.gates``), which the ``parity`` imports never load.
Needs Python 3.11+ (``tomllib``).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import signal
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from queue import Queue

import tomllib

from tests.support.mutants import Mutant, mutants

REPO = Path(__file__).resolve().parents[2]

# module (as imported) -> the test files that are its own tests
TARGETS: dict[str, tuple[str, ...]] = {
    "parity.analysis.paired": (
        "tests/plugin/test_paired.py",
        "tests/plugin/test_paired_mutants.py",
    ),
    "parity.analysis.gates": ("tests/plugin/test_gates.py", "tests/plugin/test_narrowing.py"),
    "parity.analysis.stats": (
        "tests/plugin/test_stats.py",
        "tests/plugin/test_paired.py",
        "tests/plugin/test_paired_mutants.py",
    ),
    "parity.engine.redaction": (
        "tests/faults/test_redaction.py",
        "tests/faults/test_secrets.py",
        "tests/plugin/test_redaction_mutants.py",
    ),
    "parity.record.cache": (
        "tests/plugin/test_cache.py",
        "tests/faults/test_cache_faults.py",
        "tests/plugin/test_cache_mutants.py",
    ),
    "parity.record.raw_writer": (
        "tests/plugin/test_raw_writer.py",
        "tests/faults/test_row_format.py",
        "tests/plugin/test_jsonl_mutants.py",
    ),
    "parity.record.jsonl": (
        "tests/faults/test_row_format.py",
        "tests/plugin/test_jsonl_mutants.py",
    ),
    "parity.record.record": ("tests/plugin/test_record.py",),
    "parity.evals.metrics.overlap": (
        "tests/evals/metrics/test_overlap.py",
        "tests/evals/metrics/test_squad.py",
    ),
    "parity.evals.metrics.squad": (
        "tests/evals/metrics/test_squad.py",
        "tests/evals/metrics/test_overlap.py",
    ),
}
PYTEST = ("-x", "-q", "-p", "no:randomly", "-p", "no:cacheprovider", "--no-header", "-W", "ignore")


@dataclass(frozen=True)
class Outcome:
    """One mutant's fate: killed (a test failed, or it ran past the time limit) or survived."""

    mutant: Mutant
    killed: bool
    how: str


def package_dirs() -> dict[str, Path]:
    """Each package (``parity.evals``) -> its source folder, from pyproject's package-dir."""
    setuptools = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]
    mapping: dict[str, str] = setuptools["package-dir"]
    folders = {}
    for package in setuptools["packages"]:
        parent = max((p for p in mapping if package == p or package.startswith(p + ".")), key=len)
        rest = package[len(parent) :].lstrip(".").replace(".", "/")
        folders[package] = REPO / mapping[parent] / rest
    return folders


def link_tree(root: Path) -> None:
    """Rebuild the installed layout under ``root``: folders per package, links to each file."""
    folders = package_dirs()
    package_folders = set(folders.values())
    for package, source in folders.items():
        target = root / package.replace(".", "/")
        target.mkdir(parents=True, exist_ok=True)
        for entry in source.iterdir():
            if entry.name == "__pycache__" or entry in package_folders:
                continue
            (target / entry.name).symlink_to(entry)


def module_file(root: Path, module: str) -> Path:
    """Where ``module``'s source lies in the linked tree at ``root``."""
    package, _, name = module.rpartition(".")
    return root / package.replace(".", "/") / f"{name}.py"


class Worker:
    """A warm pytest process (:mod:`tests.support.mutation_worker`) over the tree at ``root``."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.output = root / "pytest.out"
        command = [sys.executable, "-m", "tests.support.mutation_worker", str(root)]
        self._process = subprocess.Popen(
            command, cwd=REPO, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )

    def _ask(self, **request: object) -> int:
        assert self._process.stdin is not None and self._process.stdout is not None
        self._process.stdin.write(json.dumps(request) + "\n")
        self._process.stdin.flush()
        return int(json.loads(self._process.stdout.readline())["status"])

    def warm(self, modules: list[str]) -> None:
        """Import ``modules`` once, for every later run."""
        self._ask(modules=modules)

    def run(
        self, tests: tuple[str, ...], timeout: float, listing: Path | None = None
    ) -> tuple[bool, str]:
        """Run ``tests``: (passed, how it ended); with ``listing``, the modules the run
        imported are written there."""
        args = [*PYTEST, *tests]
        extra = {"list": str(listing)} if listing else {}
        status = self._ask(args=args, output=str(self.output), timeout=math.ceil(timeout), **extra)
        code = os.waitstatus_to_exitcode(status)
        if code == 0:
            return True, "passed"
        if code == -signal.SIGALRM:
            return False, "timeout"
        lines = self.output.read_text(errors="replace").splitlines()
        failed = [line.removeprefix("FAILED ") for line in lines if line.startswith("FAILED")]
        return False, failed[0] if failed else f"exit {code}"

    def close(self) -> None:
        """End the worker."""
        assert self._process.stdin is not None
        self._process.stdin.close()
        self._process.wait()


def timed_tests(worker: Worker, tests: tuple[str, ...]) -> tuple[tuple[str, ...], list[str]]:
    """Every test of ``tests`` as a node id, fastest first (so a killed mutant stops early),
    and the modules they import."""
    listing = worker.root / "modules.json"
    passed, how = worker.run(("--durations=0", "--durations-min=0", *tests), 1800, listing)
    if not passed:
        raise SystemExit(f"{tests}: the tests fail before any mutation ({how}); fix them first")
    seconds: dict[str, float] = {}
    for line in worker.output.read_text(errors="replace").splitlines():
        parts = line.split(maxsplit=2)
        if len(parts) == 3 and parts[0].endswith("s") and parts[1] in _PHASES:
            seconds[parts[2]] = seconds.get(parts[2], 0.0) + float(parts[0][:-1])
    ordered = tuple(sorted(seconds, key=seconds.__getitem__))
    if not ordered:
        raise SystemExit(f"{tests}: no test ran")
    return ordered, json.loads(listing.read_text())


_PHASES = ("setup", "call", "teardown")


def imported_file(root: Path, module: str) -> Path:
    """The file ``module`` is imported from with the tree at ``root`` first on the path."""
    env = {**os.environ, "PYTHONPATH": str(root)}
    code = f"import {module} as m; print(m.__file__)"
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, check=True)
    return Path(done.stdout.decode().strip())


def install(root: Path, module: str, source: str) -> None:
    """Put ``source`` in place of ``module`` in the tree at ``root`` (no stale bytecode)."""
    path = module_file(root, module)
    path.unlink()
    path.write_text(source)
    for stale in (path.parent / "__pycache__").glob(f"{path.stem}.*"):
        stale.unlink()


def check_module(
    module: str, workers: Queue[Worker], jobs: int, lines: frozenset[int] = frozenset()
) -> list[Outcome]:
    """Every mutant of ``module`` (or those on ``lines``) against its tests, ``jobs`` at a
    time."""
    source = module_file_in_repo(module).read_text()
    first = workers.get()
    try:
        tests, modules = timed_tests(first, TARGETS[module])
        for _ in range(2):  # once more if a test that depends on timing failed under load
            started = time.monotonic()
            passed, how = first.run(tests, 1800)
            baseline = time.monotonic() - started
            if passed:
                break
    finally:
        workers.put(first)
    if not passed:
        raise SystemExit(f"{module}: its tests, named one by one, do not pass ({how})")
    imported = imported_file(first.root, module)
    if imported != module_file(first.root, module):
        raise SystemExit(f"{module} is imported from {imported}, not the linked tree")
    for _ in range(jobs):
        worker = workers.get()
        worker.warm(modules)
        workers.put(worker)
    timeout = 3 * baseline + 10

    def one(mutant: Mutant) -> Outcome:
        worker = workers.get()
        try:
            install(worker.root, module, mutant.source)
            passed, how = worker.run(tests, timeout)
        finally:
            restore(worker.root, module)
            workers.put(worker)
        return Outcome(mutant, killed=not passed, how=how)

    every = [mutant for mutant in mutants(source) if not lines or mutant.line in lines]
    outcomes = []
    with ThreadPoolExecutor(jobs) as pool:
        for outcome in pool.map(one, every):
            outcomes.append(outcome)
            killed = sum(done.killed for done in outcomes)
            print(
                f"\r{module}: {len(outcomes)}/{len(every)} mutants, {killed} killed",
                end="",
                file=sys.stderr,
            )
    print(file=sys.stderr)
    return outcomes


def module_file_in_repo(module: str) -> Path:
    """The repo's source file of ``module`` (``parity.evals.metrics.squad`` -> evals/metrics/...)."""
    package, _, name = module.rpartition(".")
    return package_dirs()[package] / f"{name}.py"


def restore(root: Path, module: str) -> None:
    """Link ``module`` back to the repo's file in the tree at ``root``."""
    path = module_file(root, module)
    path.unlink(missing_ok=True)
    path.symlink_to(module_file_in_repo(module))


def report(module: str, outcomes: list[Outcome], seconds: float) -> float:
    """Print ``module``'s score and survivors; return the percentage killed."""
    killed = sum(outcome.killed for outcome in outcomes)
    score = 100.0 * killed / len(outcomes) if outcomes else 100.0
    path = module_file_in_repo(module).relative_to(REPO)
    print(f"{module}: {killed}/{len(outcomes)} killed ({score:.1f}%) in {seconds:.0f} s")
    for outcome in outcomes:
        if not outcome.killed:
            print(f"  survived {path}:{outcome.mutant.line}  {outcome.mutant.change}")
    sys.stdout.flush()
    return score


def main(argv: list[str] | None = None) -> int:
    """Run the mutation tests; exit 1 when a module scores under ``--fail-under``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("modules", nargs="*", help=f"default: all of {', '.join(TARGETS)}")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--fail-under", type=float, default=90.0)
    parser.add_argument(
        "--line", type=int, action="append", default=[], help="only the mutants on this line"
    )
    arguments = parser.parse_args(argv)
    unknown = [module for module in arguments.modules if module not in TARGETS]
    if unknown:
        parser.error(f"unknown module {', '.join(unknown)}; choose from {', '.join(TARGETS)}")
    scores = {}
    with tempfile.TemporaryDirectory(prefix="parity-mutation-") as temp:
        workers: Queue[Worker] = Queue()
        for number in range(arguments.jobs):
            root = Path(temp) / str(number)
            link_tree(root)
            workers.put(Worker(root))
        try:
            for module in arguments.modules or TARGETS:
                started = time.monotonic()
                lines = frozenset(arguments.line)
                outcomes = check_module(module, workers, arguments.jobs, lines)
                scores[module] = report(module, outcomes, time.monotonic() - started)
        finally:
            while not workers.empty():
                workers.get().close()
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    print(f"\nCPU time of the test runs: {(used.ru_utime + used.ru_stime) / 60:.1f} min")
    print("score per module:")
    for module, score in scores.items():
        print(f"  {score:5.1f}%  {module}")
    low = [module for module, score in scores.items() if score < arguments.fail_under]
    if low:
        print(f"under {arguments.fail_under:.0f}%: {', '.join(low)}")
    return 1 if low else 0


if __name__ == "__main__":
    sys.exit(main())
