"""A run in which every experiment item was skipped evaluated nothing: it is not green.

A missing API key, a missing ``base_url`` or a spent ``--eval-max-cost`` budget skip items
with their reason; when that is every item of the run, pytest alone would report "10 skipped"
and exit 0, and CI would pass a run that measured nothing. Parity says so in one line and
fails the run, unless ``--eval-allow-skipped`` accepts it. A partly skipped run, and a run
without experiment items, are left as they are.
"""

from __future__ import annotations

from collections.abc import Mapping

from parity.analysis.aggregation import ExperimentOutcome

ALLOW_OPTION = "--eval-allow-skipped"
REASONS_SHOWN = 3  # distinct skip reasons named in the line; the rest are counted


def nothing_evaluated(outcomes: Mapping[str, ExperimentOutcome], allowed: bool) -> str | None:
    """The line that ends a run in which every experiment item that reported was skipped (at
    least one did): why, and whether the run fails for it (not when ``allowed``). None for
    any other run."""
    reported = sum(outcome.reported for outcome in outcomes.values())
    skipped = sum(outcome.skipped for outcome in outcomes.values())
    if not reported or skipped < reported:
        return None
    reasons = sorted({reason for o in outcomes.values() for reason in o.skip_reasons})
    shown = "; ".join(reasons[:REASONS_SHOWN]) or "no reason given"
    if len(reasons) > REASONS_SHOWN:
        shown += f"; and {len(reasons) - REASONS_SHOWN} more reasons"
    items = (
        "the 1 experiment item was" if reported == 1 else f"all {reported} experiment items were"
    )
    line = f"parity: NOTHING EVALUATED: {items} skipped ({shown})"
    if allowed:
        return f"{line}; allowed by {ALLOW_OPTION}"
    return f"{line}; the run fails (pass {ALLOW_OPTION} to accept a run that evaluates nothing)"
