"""Keys of every length stay out of what Parity prints and stores, also inside an error body
that is cut short, and a provider's text cannot write on the terminal (B3, B4, E1, E2).

The rule under test is :mod:`parity.engine.redaction`'s: a key of 8 characters or more is replaced
wherever it occurs; a shorter one where it stands as a whole token (no ASCII letter, digit,
``_`` or ``-`` on either side, or an escape such as ``%3D`` or ``\\n`` just before it). The
same holds for a key's percent-encoded and JSON-escaped forms (red-team B). Redaction runs
before any cut; messages are cleaned of ANSI sequences and control characters.
"""

from __future__ import annotations

import json
import re
import string
from pathlib import Path
from urllib.parse import quote, quote_plus

import pytest
from hypothesis import assume, example, given
from hypothesis import strategies as st

from parity.engine.budget import Budget
from parity.engine.execution import Engine, ProviderCallError
from parity.engine.redaction import LONG_KEY_LENGTH, MARK, redact, sanitize
from parity.fixtures.compressors.scaledown import ScaleDownClient
from parity.fixtures.providers import ChatRequest
from parity.record.cache import ResponseCache
from tests.support.engine_runs import run_cases, synthetic_cases
from tests.support.fake_llm_server import FakeLLMServer
from tests.support.pytest_runs import api_config, clean_env, junit_cases, read_jsonl, run_pytest

# A realistic project key: 164 characters.
LONG_KEY = "sk-proj-" + ("Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z" * 5)[:156]
TOKEN_CHARS = string.ascii_letters + string.digits + "_-"
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def fragments(key: str, width: int = 16) -> list[str]:
    """Every ``width``-character piece of ``key``: none may survive anywhere."""
    return [key[i : i + width] for i in range(len(key) - width + 1)]


def written_text(tmp_path: Path) -> str:
    """Everything a run left under ``tmp_path``: reports, JUnit, cache (bytes as text)."""
    return "\n".join(
        p.read_bytes().decode("utf-8", "replace") for p in tmp_path.rglob("*") if p.is_file()
    )


def whole_token(key: str) -> re.Pattern[str]:
    return re.compile(
        rf"(?<![{re.escape(TOKEN_CHARS)}]){re.escape(key)}(?![{re.escape(TOKEN_CHARS)}])"
    )


def test_a_long_key_in_an_error_answer_cut_to_200_characters_is_never_shown_in_part(tmp_path):
    """B3: a 200 answer with no choices quotes the key past the first 200 characters' cut."""
    with FakeLLMServer("openai", fault_for=lambda body: "nochoices") as server:
        server.error_message = "Incorrect API key provided: {key}. See the docs."
        config = api_config(tmp_path, server, num_examples=2, max_retries=0, outage_tolerance_s=0.5)
        result = run_pytest(
            tmp_path, f"--eval-config={config}", "--junitxml=j.xml", "--eval-report-dir=r",
            env=clean_env(OPENAI_API_KEY=LONG_KEY),
        )  # fmt: skip
    output = result.stdout + result.stderr
    assert result.returncode == 1 and "malformed chat completion" in output, output
    seen = output + written_text(tmp_path)
    assert [piece for piece in fragments(LONG_KEY) if piece in seen] == []
    assert "***" in output


@pytest.mark.parametrize(("status", "cut"), [("400", 200), ("nochoices", 300)])
def test_scaledown_error_bodies_are_redacted_before_they_are_cut(
    status, cut, tmp_path, monkeypatch
):
    """B3 for the compressor: its HTTP error detail (cut to 200 characters) and its refusal
    (300), with the key across the cut."""
    monkeypatch.setenv("SCALEDOWN_API_KEY", LONG_KEY)
    with FakeLLMServer("openai") as server:
        server.error_message = "Invalid x-api-key header " + "." * (cut - 120) + " got {key}"
        server.faults.append(status)
        client = ScaleDownClient("m", {"base_url": server.url, "max_retries": 0})
        messages = ({"role": "user", "content": "q"}, {"role": "user", "content": "c"})
        engine = Engine(ResponseCache(tmp_path, "off"), Budget(None))
        with pytest.raises(ProviderCallError) as raised:
            engine.call(client, ChatRequest(messages=messages, max_tokens=0))
        client.close()
    message = str(raised.value)
    assert MARK in message
    assert [piece for piece in fragments(LONG_KEY) if piece in message] == []


def test_a_short_key_is_redacted_as_a_whole_token_everywhere(tmp_path):
    """B4: a 3-character key echoed in an error and in answers reaches no row, summary,
    JUnit, cache or terminal; the same letters inside a longer word are kept."""
    key = "Zq9"
    with FakeLLMServer("openai", reply=lambda body: f"key {key}, not Zq9x") as server:
        server.error_message = "bad key {key}"
        server.faults.append("401")
        config = api_config(tmp_path, server, num_examples=3, max_concurrency=1)
        result = run_pytest(
            tmp_path, f"--eval-config={config}", "--junitxml=j.xml", "--eval-report-dir=r",
            f"--eval-cache-dir={tmp_path / 'cache'}", env=clean_env(OPENAI_API_KEY=key),
        )  # fmt: skip
    output = result.stdout + result.stderr
    assert "1 failed" in output and "bad key ***" in output, output
    assert whole_token(key).search(output + written_text(tmp_path)) is None
    rows = read_jsonl(tmp_path / "r" / "api_exp.jsonl")
    assert sorted(row["pred"] for row in rows if "pred" in row) == ["key ***, not Zq9x"] * 2


# An AWS-style secret: "/", "+" and "=" change when percent-encoded.
SLASHED_KEY = "wJalrXUtnFEMI/K7MDENG+bPxRfiCY=EXAMPLEKEY"


def test_a_percent_encoded_long_key_in_an_error_body_reaches_no_terminal_or_junit(tmp_path):
    """Red-team B1: a proxy's error quotes the request URL, the key percent-encoded
    (``quote`` and ``quote_plus``)."""
    encoded = f"?key={quote(SLASHED_KEY, safe='')} next={quote_plus(SLASHED_KEY)}"
    with FakeLLMServer("openai") as server:
        server.error_message = "bad request to /v1/chat" + encoded
        server.faults.append("400")
        config = api_config(tmp_path, server, num_examples=2, max_concurrency=1)
        result = run_pytest(
            tmp_path, f"--eval-config={config}", "--junitxml=j.xml", "--eval-report-dir=r",
            env=clean_env(OPENAI_API_KEY=SLASHED_KEY),
        )  # fmt: skip
    output = result.stdout + result.stderr
    assert "1 failed" in output and "bad request to /v1/chat?key=*** next=***" in output, output
    seen = output + written_text(tmp_path)
    assert "wJalrXUtnFEMI" not in seen and "EXAMPLEKEY" not in seen


@pytest.mark.parametrize(
    ("key", "text", "expected"),
    [
        (
            "k3y9z",
            "next=https%3A%2F%2Fapi%2Fx%3Fkey%3Dk3y9z",
            "next=https%3A%2F%2Fapi%2Fx%3Fkey%3D***",
        ),
        ("k3y9z", 'msg: "bad key:\\nk3y9z"', 'msg: "bad key:\\n***"'),
        ("k3y9z", '{"e": "\\tk3y9z\\""}', '{"e": "\\t***\\""}'),
        (" sk-live-0123456789", "GET /v1?key=%20sk-live-0123456789&x=1", "GET /v1?key=***&x=1"),
        ("a/b", "u=a%2Fb&v=a%2fb", "u=***&v=***"),
        ('q"t', '{"key": "q\\"t"}', '{"key": "***"}'),
        ("k3y9z", "xk3y9z k3y9zx %3Dk3y9zb", "xk3y9z k3y9zx %3Dk3y9zb"),
    ],
)
def test_encoded_keys_and_keys_after_an_escape_are_redacted(key, text, expected):
    """Red-team B1 and B2: percent-encoded and JSON-escaped keys; a short key after
    ``%3D`` or a backslash escape (still not inside a longer word)."""
    assert redact(text, [key]) == expected


def test_control_characters_in_an_error_body_cannot_fake_a_passed_line(tmp_path):
    """E1: CR and ANSI colour in a provider's error print as plain text on one line, in the
    terminal and in JUnit; an answer with them shows escaped in the summary."""
    fake = "\r\x1b[2K\x1b[32mtests/x.py::y PASSED\x1b[0m\n\x1b]0;owned\x07tests/z.py::w PASSED"
    with FakeLLMServer("openai", reply=lambda body: "\x1b[32mPASSED\x1b[0m\r") as server:
        server.error_message = "bad request" + fake
        server.faults.append("400")
        config = api_config(tmp_path, server, num_examples=2, max_concurrency=1)
        result = run_pytest(
            tmp_path, f"--eval-config={config}", "--junitxml=j.xml", "-rA",
            env=clean_env(OPENAI_API_KEY="sk-e1-test-key-0123456789"),
        )  # fmt: skip
    output = result.stdout + result.stderr
    assert "1 failed" in output and "lowest-scoring examples" in output, output
    assert "\x1b" not in output and "\r" not in output
    assert not any(line.startswith("tests/") for line in output.splitlines())
    [failure] = [
        f for c in junit_cases(tmp_path / "j.xml").values() if (f := c.find("failure")) is not None
    ]
    shown = failure.get("message", "") + (failure.text or "")
    assert "tests/x.py::y PASSED" in shown
    assert "#x1B" not in shown and "\x1b" not in shown and "\r" not in shown


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ([{"type": "text", "text": "Paris"}, {"type": "text", "text": " is"}], "Paris is"),
        ([{"type": "image_url", "image_url": {}}, "Paris"], "Paris"),
        ({"type": "text", "text": "Paris"}, "Paris"),
    ],
)
def test_list_and_dict_message_content_is_read(tmp_path, content, expected):
    """E2: the parts' text is joined; parts without text (an image) are left out."""
    with FakeLLMServer("openai", reply=lambda body: content) as server:
        cases = synthetic_cases(server.url, 1)
        [record] = run_cases(Engine(ResponseCache(tmp_path, "off"), Budget(None)), cases)
    assert record.error is None and record.prediction == expected


@pytest.mark.parametrize("content", [{"answer": "Paris"}, [{"type": "text", "text": 3}], [7]])
def test_an_unreadable_message_content_is_a_clear_item_error_not_retried(tmp_path, content):
    with FakeLLMServer("openai", reply=lambda body: content) as server:
        cases = synthetic_cases(server.url, 1)
        [record] = run_cases(Engine(ResponseCache(tmp_path, "off"), Budget(None)), cases)
        assert len(server.requests) == 1
    assert record.error is not None
    assert record.error.startswith("ProviderCallError: AnswerShapeError: message.content")
    assert "expected a string or text parts" in record.error


def test_an_answer_keeps_its_line_breaks_while_a_message_loses_them():
    assert redact("def f():\n\treturn 1", sanitize_text=False) == "def f():\n\treturn 1"
    assert redact("line\nnext\x1b[31m") == "line next"


TEXT = st.text(st.characters(codec="utf-8"), max_size=40)


ESCAPES = ("%3D", "%2F", "\\n", "\\t", "\\x41", "\\u00e9")
AFTER_ESCAPE = re.compile(r"(%[0-9A-Fa-f]{2}|\\[abfnrtv]|\\x[0-9A-Fa-f]{2}|\\u[0-9A-Fa-f]{4})$")


def forms(key: str) -> list[str]:
    """The key as written, percent-encoded (``quote``, ``quote_plus``) and JSON-escaped."""
    return sorted({key, quote(key, safe=""), quote_plus(key), json.dumps(key)[1:-1]})


@st.composite
def keyed_text(draw: st.DrawFn) -> tuple[str, str, str]:
    """(key, form, text holding the form twice): the key or one of its encoded forms; a
    short key's form with no token character on either side, or just after an escape."""
    key = draw(st.text(st.characters(codec="utf-8"), min_size=1, max_size=24))
    assume(key.strip("*"))  # a key of asterisks only cannot be told from the mark
    form = draw(st.sampled_from(forms(key)))
    before, after = draw(TEXT), draw(TEXT)
    if len(key) < LONG_KEY_LENGTH:
        if draw(st.booleans()):
            before += draw(st.sampled_from(ESCAPES))
        else:
            assume(not before or before[-1] not in TOKEN_CHARS)
        assume(not after or after[0] not in TOKEN_CHARS)
    return key, form, before + form + after + draw(TEXT) + form


def survives(key: str, form: str, text: str) -> bool:
    """Whether ``form`` of ``key`` is still in ``text`` where the rule redacts it."""
    if len(key) >= LONG_KEY_LENGTH:
        return form in text
    for start in (m.start() for m in re.finditer(f"(?={re.escape(form)})", text)):
        end = start + len(form)
        left = start == 0 or text[start - 1] not in TOKEN_CHARS or AFTER_ESCAPE.search(text[:start])
        if left and (end == len(text) or text[end] not in TOKEN_CHARS):
            return True
    return False


@given(keyed_text())
@example(("**.", "**.", "**.."))
@example(("abc", "abc", "x abc abcdef"))
@example(("k3y9z", "k3y9z", "x%3Fkey%3Dk3y9z"))
@example(("k3y9z", "k3y9z", 'bad key:\\nk3y9z"'))
@example((SLASHED_KEY, quote(SLASHED_KEY, safe=""), "?key=" + quote(SLASHED_KEY, safe="")))
@example(("{\x1f", "%7B%1F", "%7B%1F\x1b0%7B%1F"))  # sanitizing drops ESC 0: a new token
def test_no_key_of_any_length_survives_redaction(keyed):
    key, form, text = keyed
    assert not survives(key, form, redact(text, [key], sanitize_text=False))
    cleaned = redact(text, [key])
    assert not survives(key, form, cleaned)
    assert CONTROL.search(cleaned) is None and "\u2028" not in cleaned


@given(TEXT)
def test_sanitized_text_holds_no_control_character_or_escape(text):
    cleaned = sanitize(text)
    assert CONTROL.search(cleaned) is None and "\x1b" not in cleaned
