"""A run in which every experiment item was skipped evaluated nothing: it is not green.

A missing API key, a missing ``base_url`` or a spent ``--parity-max-cost`` budget skip items
with their reason; when that is every item of the run, pytest alone would report "10 skipped"
and exit 0, and CI would pass a run that measured nothing. Parity says so in one line and
fails the run, unless ``--parity-allow-skipped`` accepts it (and skips the run's gates, which
had nothing to evaluate, with it: ``--parity-allow-skipped-gates`` is for a gate that cannot
be evaluated in a run that evaluated something). A partly skipped run, and a run
without experiment items, are left as they are.
"""

from __future__ import annotations

from collections.abc import Mapping

from parity.analysis.aggregation import ExperimentOutcome
from parity.analysis.gates import ALLOW_EMPTY_OPTION

REASONS_SHOWN = 3  # distinct skip reasons named in the line; the rest are counted


def evaluated_nothing(outcomes: Mapping[str, ExperimentOutcome]) -> bool:
    """Whether every experiment item that reported was skipped (and at least one did)."""
    reported = sum(outcome.reported for outcome in outcomes.values())
    skipped = sum(outcome.skipped for outcome in outcomes.values())
    return bool(reported) and skipped >= reported


def nothing_evaluated(
    outcomes: Mapping[str, ExperimentOutcome], allowed: bool, gates: int = 0
) -> str | None:
    """The line that ends a run in which every experiment item that reported was skipped (at
    least one did): why, and whether the run fails for it (not when ``allowed``), with the
    number of its ``gates`` that failed for having nothing to evaluate. None for any other
    run."""
    if not evaluated_nothing(outcomes):
        return None
    reported = sum(outcome.reported for outcome in outcomes.values())
    reasons = sorted({reason for o in outcomes.values() for reason in o.skip_reasons})
    shown = "; ".join(reasons[:REASONS_SHOWN]) or "no reason given"
    if len(reasons) > REASONS_SHOWN:
        shown += f"; and {len(reasons) - REASONS_SHOWN} more reasons"
    items = (
        "the 1 experiment item was" if reported == 1 else f"all {reported} experiment items were"
    )
    line = f"parity: NOTHING EVALUATED: {items} skipped ({shown})"
    if allowed:
        return f"{line}; allowed by {ALLOW_EMPTY_OPTION}"
    its_gates = "its failed gate" if gates == 1 else f"its {gates} failed gates"
    with_gates = f", {its_gates} skipped with it" if gates else ""
    return (
        f"{line}; the run fails (pass {ALLOW_EMPTY_OPTION} to accept a run that evaluates "
        f"nothing{with_gates})"
    )
