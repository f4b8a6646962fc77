"""What strict JSON can hold: the one place the report files turn NaN and infinities into null."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any


def strict(value: Any) -> Any:
    """``value`` with every NaN or infinite number made null: what strict JSON can hold
    (a bare ``NaN`` is not JSON, and most readers other than Python's refuse it)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, Mapping):
        return {key: strict(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [strict(item) for item in value]
    return value
