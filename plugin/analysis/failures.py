"""What a summary says of its failed items: each one's example, error class and message.

A failed item (a timeout, an HTTP error, a non-finite score, a refused connection) writes no
raw row, so a summary's ``failures`` is the one place its error is kept: one entry
``{"example_id", "error_class", "error"}`` per failed record, in example order (serial and
xdist runs list alike), the error redacted and sanitized (:func:`parity.engine.redaction.excerpt`)
and cut to :data:`ERROR_CHARS` characters. At most :data:`MAX_FAILURES` are listed; the
summary's ``n_failures_not_listed`` counts the rest.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from parity.analysis.error_classes import failure_class
from parity.engine.redaction import excerpt
from parity.record.record import EvalRecord

ERROR_CHARS = 500
MAX_FAILURES = 200


def failure_entries(records: Iterable[EvalRecord]) -> tuple[list[dict[str, Any]], int]:
    """The listed failures of ``records`` (those with an error) in example order, and how
    many more there are beyond :data:`MAX_FAILURES`."""
    failed = sorted(
        (r for r in records if r.error),
        key=lambda r: (r.example_index, r.subset or "", r.repeat),
    )
    listed = [
        {
            "example_id": r.example_id,
            "error_class": failure_class(r.error or ""),
            "error": excerpt(r.error or "", ERROR_CHARS),
        }
        for r in failed[:MAX_FAILURES]
    ]
    return listed, len(failed) - len(listed)
