"""Keep API keys out of every message Parity prints or stores."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable

_SECRET_NAME = re.compile(r"(API_KEY|_TOKEN|_SECRET)$")
MIN_SECRET_LENGTH = 8


def known_secrets(extra: Iterable[str] = ()) -> list[str]:
    """Values of environment variables that look like keys, plus ``extra``.

    Called from sender threads while pytest sets and removes ``PYTEST_CURRENT_TEST`` on the
    main thread: the names are copied at once and each value read with ``get``, since
    ``os.environ.items()`` raises ``KeyError`` for a variable removed while it iterates."""
    values = [
        value
        for name in list(os.environ)
        if _SECRET_NAME.search(name) and (value := os.environ.get(name))
    ]
    values += list(extra)
    return sorted({v for v in values if v and len(v) >= MIN_SECRET_LENGTH}, key=len, reverse=True)


def redact(text: str, extra: Iterable[str] = ()) -> str:
    """``text`` with every known secret replaced by ``***``."""
    for secret in known_secrets(extra):
        text = text.replace(secret, "***")
    return text
