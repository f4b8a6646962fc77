"""``python -m parity`` (also the ``parity`` command): work with stored runs.

- ``compare RUN_A RUN_B``: what changed from run A to run B (Markdown, or ``--format html``);
- ``report RUN_DIR``: rebuild a run's files from its raw rows and summaries;
- ``index [REPORTS]``: rewrite ``reports/index.html``, the list of runs with trends;
- ``merge RUN_DIR...``: a sharded run's folders (``--parity-shard k/N``) as one run, gated
  once over all of them (exit status 1 when a gate fails).

Training a LoRA adapter is ``python -m parity.train``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from parity.config.errors import ParityError
from parity.report.diff_render import to_html, to_markdown
from parity.report.merge import merge_runs
from parity.report.rebuild import rebuild_run
from parity.report.reporters.run_index import write_index
from parity.report.row_counts import row_count_warnings
from parity.report.run_diff import diff_runs
from parity.report.stored_runs import load_run
from parity.report.terminal import render_gates, render_verdicts


def _compare(args: argparse.Namespace) -> None:
    diff = diff_runs(load_run(args.run_a), load_run(args.run_b), args.flip_score)
    text = to_html(diff) if args.format == "html" else to_markdown(diff)
    if args.output is None:
        sys.stdout.write(text)
    else:
        args.output.write_text(text, encoding="utf-8")
        print(args.output)


def _report(args: argparse.Namespace) -> None:
    for warning in row_count_warnings(load_run(args.run_dir)):
        print(warning, file=sys.stderr)
    for path in rebuild_run(args.run_dir):
        print(path)


def _index(args: argparse.Namespace) -> None:
    if not args.reports.is_dir():
        raise ParityError(f"{args.reports} is not a reports folder: no such directory")
    print(write_index(args.reports))


def _merge(args: argparse.Namespace) -> int:
    merged = merge_runs(args.run_dirs, args.out)
    conclusion = merged.conclusion
    for line in [
        *render_verdicts(conclusion.verdicts, conclusion.holm),
        *render_gates(conclusion.gates),
    ]:
        print(line)
    for note in merged.notes:
        print(f"note: {note}", file=sys.stderr)
    if merged.nothing_evaluated:
        print(
            "parity merge: NOTHING EVALUATED: every item of every shard was skipped",
            file=sys.stderr,
        )
    print(f"reports: {merged.path}")
    if merged.junit is not None:
        print(f"junit: {merged.junit}")
    failed = any(gate.status == "failed" for gate in conclusion.gates)
    allowed = merged.allow_skipped
    return 1 if failed or (merged.nothing_evaluated and not allowed) else 0


def parser() -> argparse.ArgumentParser:
    """The command line's parser."""
    main_parser = argparse.ArgumentParser(
        prog="python -m parity",
        description="Work with Parity's stored runs (reports/<timestamp>/).",
        epilog="Runs are made by pytest --parity-config=...; train an adapter with "
        "python -m parity.train.",
    )
    commands = main_parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    compare = commands.add_parser(
        "compare", help="what regressed, improved and flipped from run A to run B",
        description="Compare two stored runs: per experiment both ran, each metric in A and "
        "B with its 95%% interval, the paired difference over the examples both scored, "
        "and the examples that flipped on the primary score.",
    )  # fmt: skip
    compare.add_argument("run_a", type=Path, metavar="RUN_A", help="the earlier run's folder")
    compare.add_argument("run_b", type=Path, metavar="RUN_B", help="the later run's folder")
    compare.add_argument("--format", choices=("md", "html"), default="md",
                         help="Markdown (default) or one self-contained HTML page")  # fmt: skip
    compare.add_argument("-o", "--output", type=Path, help="write to this file, not stdout")
    compare.add_argument("--flip-score", metavar="SCORE",
                         help="the score examples flip on (right: >= 0.5), e.g. f1; default "
                         "each experiment's first item-level score")  # fmt: skip
    compare.set_defaults(handler=_compare)
    report = commands.add_parser(
        "report", help="rebuild a run's files from its raw rows and summaries",
        description="Rebuild a stored run's files (summaries, report.html, summary.md) "
        "from its summary.json and raw rows; prints each file written.",
    )  # fmt: skip
    report.add_argument("run_dir", type=Path, metavar="RUN_DIR", help="a run folder")
    report.set_defaults(handler=_report)
    index = commands.add_parser(
        "index", help="rewrite reports/index.html, the runs with their trends"
    )
    index.add_argument("reports", type=Path, nargs="?", default=Path("reports"),
                       metavar="REPORTS", help="the reports folder (default reports)")  # fmt: skip
    index.set_defaults(handler=_index)
    merge = commands.add_parser(
        "merge", help="merge a sharded run's folders into one run and gate it",
        description="Merge the run folders of every shard of one run (pytest --parity-shard "
        "k/N) into one run folder: their raw rows, then summaries, paired verdicts, gates, "
        "TCO, reports and the JUnit file computed once over all of them. Exit status 1 when a "
        "gate fails, 2 when the folders cannot be merged (another config or plan, a shard "
        "missing or given twice, a case in two shards).",
    )  # fmt: skip
    merge.add_argument("run_dirs", type=Path, nargs="+", metavar="RUN_DIR",
                       help="every shard's run folder")  # fmt: skip
    merge.add_argument("--out", type=Path, metavar="DIR",
                       help="the merged run's folder (default: a new reports/<timestamp>/)")  # fmt: skip
    merge.set_defaults(handler=_merge)
    return main_parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; a Parity error, or a file that cannot be read or written, is one
    line on stderr and exit status 2; ``merge`` exits 1 when a gate fails."""
    args = parser().parse_args(argv)
    try:
        status = args.handler(args)
    except ParityError as exc:
        print(f"parity {args.command}: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        where = f"{exc.filename}: " if exc.filename is not None else ""
        print(f"parity {args.command}: {where}{exc.strerror or exc}", file=sys.stderr)
        return 2
    return status or 0


if __name__ == "__main__":
    raise SystemExit(main())
