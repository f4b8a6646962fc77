"""Keep API keys out of every message Parity prints or stores, and keep a provider's text from
writing on the terminal.

The rule, for each key (the value of an environment variable whose name ends in ``API_KEY``,
``_TOKEN`` or ``_SECRET``, and each client's own key):

- a key of :data:`LONG_KEY_LENGTH` characters or more is replaced by ``***`` wherever it
  occurs, also inside a longer word;
- a shorter key is replaced only where it stands as a whole token: where neither the
  character before it nor the one after it is an ASCII letter, digit, ``_`` or ``-``. A key
  ``abc`` is redacted in ``key=abc.`` but leaves ``abcdef`` and ``x-abc`` alone;
- a key made of asterisks only cannot be told from the mark and is left alone.

Replacement repeats until no key is left, so a mark next to a key's own characters cannot
form the key again. Redaction runs on the whole text, before any cut to a length
(:func:`excerpt`). A message (``sanitize=True``) is then cleaned of ANSI escape sequences and
control characters (line breaks and tabs become spaces; bidirectional overrides go too), so
that a provider's error body cannot move the cursor, colour the log or fake a line, and is
redacted again against the cleaned keys.
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Iterable

_SECRET_NAME = re.compile(r"(API_KEY|_TOKEN|_SECRET)$")
MARK = "***"
LONG_KEY_LENGTH = 8
TOKEN_CHARS = "A-Za-z0-9_-"  # a short key next to one of these is part of a longer word

# CSI (ESC [ ... final, or the 8-bit CSI), OSC (ESC ] ... BEL or ST), and two-character escapes.
_ANSI = re.compile(
    r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]"
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?"
    r"|\x1b[ -/]*[0-~]"
)
_SPACE_CONTROLS = re.compile(r"[\t\n\v\f\r\x1c-\x1f\x85\u2028\u2029]")
_OTHER_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def known_secrets(extra: Iterable[str] = ()) -> list[str]:
    """Values of environment variables that look like keys, plus ``extra``, longest first.

    Called from sender threads while pytest sets and removes ``PYTEST_CURRENT_TEST`` on the
    main thread: the names are copied at once and each value read with ``get``, since
    ``os.environ.items()`` raises ``KeyError`` for a variable removed while it iterates."""
    values = [
        value
        for name in list(os.environ)
        if _SECRET_NAME.search(name) and (value := os.environ.get(name))
    ]
    values += list(extra)
    return sorted({v for v in values if v and v.strip("*")}, key=len, reverse=True)


@functools.lru_cache(maxsize=64)
def _pattern(keys: tuple[str, ...]) -> re.Pattern[str]:
    """One pattern for ``keys`` (longest first): long keys anywhere, short ones as tokens."""
    alternatives = [
        re.escape(key)
        if len(key) >= LONG_KEY_LENGTH
        else f"(?<![{TOKEN_CHARS}]){re.escape(key)}(?![{TOKEN_CHARS}])"
        for key in keys
    ]
    return re.compile("|".join(alternatives))


def _without(text: str, keys: list[str]) -> str:
    """``text`` with every key of ``keys`` replaced by the mark, until none is left."""
    if not keys:
        return text
    pattern = _pattern(tuple(keys))
    while (replaced := pattern.sub(MARK, text)) != text:
        text = replaced
    return text


def sanitize(text: str) -> str:
    """``text`` without ANSI escape sequences and control characters: line breaks and tabs
    become spaces, the rest (and bidirectional overrides) are dropped."""
    text = _ANSI.sub("", text)
    return _OTHER_CONTROLS.sub("", _SPACE_CONTROLS.sub(" ", text))


def redact(text: str, extra: Iterable[str] = (), *, sanitize_text: bool = True) -> str:
    """``text`` with every known secret replaced by ``***`` (the module's rule); with
    ``sanitize_text`` (a message for the terminal, JUnit or a report) also :func:`sanitize`\\ d.
    An answer that is scored keeps its characters: pass ``sanitize_text=False``."""
    keys = known_secrets(extra)
    text = _without(text, keys)
    if not sanitize_text:
        return text
    cleaned_keys = sorted({c for k in keys if (c := sanitize(k)).strip("*")}, key=len, reverse=True)
    return _without(sanitize(text), cleaned_keys)


def excerpt(text: str, limit: int, extra: Iterable[str] = ()) -> str:
    """The first ``limit`` characters of ``text`` for a message, redacted and sanitized
    first, so that a key the cut would split is never shown in part."""
    return redact(text, extra)[:limit]
