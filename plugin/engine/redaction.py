"""Keep API keys out of every message Parity prints or stores, and keep a provider's text from
writing on the terminal.

The rule, for each key (the value of an environment variable whose name ends in ``API_KEY``,
``_TOKEN`` or ``_SECRET``, and each client's own key):

- a key of :data:`LONG_KEY_LENGTH` characters or more is replaced by ``***`` wherever it
  occurs, also inside a longer word;
- a shorter key is replaced only where it stands as a whole token: where neither the
  character before it nor the one after it is an ASCII letter, digit, ``_`` or ``-``. A key
  ``abc`` is redacted in ``key=abc.`` but leaves ``abcdef`` and ``x-abc`` alone;
- a key made of asterisks only cannot be told from the mark and is left alone;
- its encoded forms, where they differ from it, are redacted by the same rule (by the key's
  length): percent-encoded (``quote`` with no safe character, and ``quote_plus``; hex in
  upper or lower case) and JSON-escaped (ASCII-only and not). A short key also starts a
  token after an escape: a percent-escape (``%3D``), a backslash escape (``\\n``, ``\\t``)
  or ``\\xXX`` / ``\\uXXXX``, so ``%3Dk3y`` and ``\\nk3y`` lose ``k3y``. A key encoded
  any other way (base64, hex of its bytes) is not recognised.

Replacement repeats until no key is left, so a mark next to a key's own characters cannot
form the key again. Redaction runs on the whole text, before any cut to a length
(:func:`excerpt`). A message (``sanitize=True``) is then cleaned of ANSI escape sequences and
control characters (line breaks and tabs become spaces; bidirectional overrides go too), so
that a provider's error body cannot move the cursor, colour the log or fake a line, and is
redacted again against the cleaned forms of the keys.
"""

from __future__ import annotations

import functools
import json
import os
import re
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import quote, quote_plus

_SECRET_NAME = re.compile(r"(API_KEY|_TOKEN|_SECRET)$")
MARK = "***"
# A setting whose name says it holds a secret (``api_key``, ``hf_token``, ``Authorization``,
# ``x-api-key``); ``api_key_env`` names a variable and is kept, ``max_tokens`` is no token.
SECRET_SETTING = re.compile(
    r"(?:^|[_\-])(?:api[_\-]?key|key|token|secret|password|passwd|authorization|credentials?)$",
    re.IGNORECASE,
)
LONG_KEY_LENGTH = 8
TOKEN_CHARS = "A-Za-z0-9_-"  # a short key next to one of these is part of a longer word
# ...unless that character ends an escape: %XX, \n (and the other one-letter escapes),
# \xXX, \uXXXX.
_AFTER_ESCAPE = (
    r"(?<=%[0-9A-Fa-f]{2})",
    r"(?<=\\[abfnrtv])",
    r"(?<=\\x[0-9A-Fa-f]{2})",
    r"(?<=\\u[0-9A-Fa-f]{4})",
)
_SHORT_KEY_START = "(?:" + "|".join((f"(?<![{TOKEN_CHARS}])", *_AFTER_ESCAPE)) + ")"
_PERCENT_ESCAPE = re.compile("%[0-9A-F]{2}")

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


def encoded_forms(key: str) -> set[str]:
    """``key`` and the forms it takes in a URL or a JSON string."""
    quoted = {quote(key, safe=""), quote_plus(key)}
    lower = {_PERCENT_ESCAPE.sub(lambda m: m.group().lower(), q) for q in quoted}
    escaped = {json.dumps(key)[1:-1], json.dumps(key, ensure_ascii=False)[1:-1]}
    return {key} | quoted | lower | escaped


def _pattern(forms: Iterable[tuple[str, bool]]) -> re.Pattern[str] | None:
    """One pattern for (form, whether its key is long) pairs, longest first: a long key's
    forms anywhere, a short one's as tokens; None for no form."""
    alternatives = [
        re.escape(form) if long else f"{_SHORT_KEY_START}{re.escape(form)}(?![{TOKEN_CHARS}])"
        for form, long in sorted(forms, key=lambda pair: len(pair[0]), reverse=True)
    ]
    return re.compile("|".join(alternatives)) if alternatives else None


@functools.lru_cache(maxsize=64)
def _patterns(keys: tuple[str, ...]) -> tuple[re.Pattern[str] | None, re.Pattern[str] | None]:
    """The pattern of ``keys``' forms, and the pattern of the same forms sanitized."""
    forms = {(form, len(key) >= LONG_KEY_LENGTH) for key in keys for form in encoded_forms(key)}
    cleaned = {(c, long) for form, long in forms if (c := sanitize(form)).strip("*")}
    return _pattern(forms), _pattern(cleaned)


def _without(text: str, pattern: re.Pattern[str] | None) -> str:
    """``text`` with every match of ``pattern`` replaced by the mark, until none is left."""
    if pattern is None:
        return text
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
    forms, cleaned_forms = _patterns(tuple(known_secrets(extra)))
    text = _without(text, forms)
    return _without(sanitize(text), cleaned_forms) if sanitize_text else text


def excerpt(text: str, limit: int, extra: Iterable[str] = ()) -> str:
    """The first ``limit`` characters of ``text`` for a message, redacted and sanitized
    first, so that a key the cut would split is never shown in part."""
    return redact(text, extra)[:limit]


def is_secret_setting(name: str) -> bool:
    """True when a setting named ``name`` holds a secret (:data:`SECRET_SETTING`)."""
    return bool(SECRET_SETTING.search(name))


def mask_settings(value: Any) -> Any:
    """``value`` (a setup, model options) with the value of every secret-named setting, at any
    depth of its mappings and lists, replaced by ``***`` (None and ``""`` are kept: no secret).
    Deterministic, so a masked setup compares equal run to run."""
    if isinstance(value, Mapping):
        return {
            key: MARK
            if is_secret_setting(str(key)) and item not in (None, "")
            else mask_settings(item)
            for key, item in value.items()
        }
    if isinstance(value, (list, tuple)):
        return [mask_settings(item) for item in value]
    return value
