"""The edges of the redaction rule that the fault tests leave open (issue 35's mutants): the
8-character boundary, short and asterisk-only values, which variables count as keys."""

from __future__ import annotations

import os

import pytest

from parity.engine.redaction import LONG_KEY_LENGTH, excerpt, known_secrets, redact


@pytest.fixture
def no_env_keys(monkeypatch):
    """An environment without any variable that looks like a key."""
    for name in list(os.environ):
        if name.endswith(("API_KEY", "_TOKEN", "_SECRET")):
            monkeypatch.delenv(name)


def test_a_key_of_exactly_eight_characters_is_replaced_inside_a_longer_word(no_env_keys):
    assert LONG_KEY_LENGTH == 8
    assert redact("idABCDEFGHxyz", ["ABCDEFGH"]) == "id***xyz"


def test_a_key_of_seven_characters_is_replaced_only_as_a_whole_token(no_env_keys):
    assert redact("idABCDEFGxyz", ["ABCDEFG"]) == "idABCDEFGxyz"
    assert redact("key=ABCDEFG.", ["ABCDEFG"]) == "key=***."


def test_short_values_inside_words_are_left_alone(no_env_keys):
    assert redact("abcdef x-abc abc_ abc", ["abc"]) == "abcdef x-abc abc_ ***"
    assert redact("a ** b", ["**"]) == "a ** b"  # asterisks only: cannot be told from the mark
    assert known_secrets(["", "***", "abc"]) == ["abc"]


def test_only_variables_named_like_keys_are_secrets(monkeypatch, no_env_keys):
    monkeypatch.setenv("SERVICE_API_KEY", "long-service-key")
    monkeypatch.setenv("GH_TOKEN", "tok")
    monkeypatch.setenv("APP_SECRET", "hush")
    monkeypatch.setenv("EMPTY_API_KEY", "")
    monkeypatch.setenv("PLAIN_SETTING", "visible-value")
    monkeypatch.setenv("TOKEN_COUNT", "twelve")
    assert known_secrets(["extra-key-value"]) == [
        "long-service-key", "extra-key-value", "hush", "tok",
    ]  # fmt: skip
    assert redact("visible-value tok twelve") == "visible-value *** twelve"


def test_without_any_key_text_is_returned_as_it_is(no_env_keys):
    assert known_secrets() == []
    assert redact("plain text", sanitize_text=False) == "plain text"
    assert redact("plain\ttext") == "plain text"


def test_an_excerpt_is_cut_after_redaction(no_env_keys):
    assert excerpt("key: ABCDEFGHIJ and more", 9, ["ABCDEFGHIJ"]) == "key: *** "
    assert excerpt("abcdef", 3) == "abc"


def test_a_key_that_only_sanitizing_reveals_is_redacted(no_env_keys):
    # the key holds a tab: the raw text matches it, and the cleaned text matches its cleaned
    # form; a key written with a line break in the text is caught only after cleaning
    assert redact("x ab\tcdefghij y", ["ab\tcdefghij"]) == "x *** y"
    assert redact("x ab\ncdefghij y", ["ab\tcdefghij"]) == "x *** y"
