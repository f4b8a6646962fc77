"""The response cache's edges that its other tests leave open (issue 35's mutants): the hit
count, a file that fails ``PRAGMA quick_check``, the connection's settings, what a key holds,
and where its warnings point."""

from __future__ import annotations

import sqlite3
import warnings

import pytest

from parity.cache import (
    CacheRecoveryWarning,
    CacheUnavailableWarning,
    ResponseCache,
    _is_damage,
    cache_key,
)
from parity.fixtures.providers import ChatRequest, Completion

REQUEST = ChatRequest(messages=({"role": "user", "content": "hi"},), max_tokens=5)
SCHEMA = "CREATE TABLE responses (key TEXT PRIMARY KEY, value TEXT NOT NULL, created REAL NOT NULL)"


def test_each_answer_read_from_the_cache_counts_as_one_hit(tmp_path):
    cache = ResponseCache(tmp_path)
    cache.put("k", Completion("Paris", 1, 1, 1.0))
    assert cache.get("missing") is None and cache.hits == 0
    cache.get("k")
    cache.get("k")
    assert cache.hits == 2
    cache.count_hits(3)
    assert cache.hits == 5
    cache.close()


def test_a_file_that_fails_quick_check_is_moved_aside(tmp_path):
    # a NULL under NOT NULL: SQLite opens the file, only quick_check finds it damaged
    path = tmp_path / "responses.sqlite3"
    db = sqlite3.connect(path)
    db.execute(SCHEMA.replace("value TEXT NOT NULL", "value TEXT"))
    db.execute("INSERT INTO responses VALUES ('k', NULL, 0)")
    db.commit()
    db.execute("PRAGMA writable_schema=ON")
    db.execute("UPDATE sqlite_master SET sql = ? WHERE name = 'responses'", (SCHEMA,))
    db.commit()
    db.close()
    cache = ResponseCache(tmp_path)
    with pytest.warns(CacheRecoveryWarning, match="quick_check: NULL value in responses.value"):
        assert cache.get("k") is None
    assert cache.mode == "use"
    cache.put("k", Completion("fresh", 1, 1, 1.0))
    assert cache.get("k").text == "fresh"
    cache.close()
    assert len([p for p in tmp_path.iterdir() if ".corrupt-" in p.name]) == 1


def test_the_connection_is_in_wal_mode_with_normal_sync(tmp_path):
    cache = ResponseCache(tmp_path)
    cache.put("k", Completion("Paris", 1, 1, 1.0))
    db = cache._connection
    assert db is not None
    assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    assert db.execute("PRAGMA synchronous").fetchone() == (1,)  # NORMAL
    cache.close()
    assert cache._connection is None


def test_what_a_cached_answer_keeps(tmp_path):
    cache = ResponseCache(tmp_path)
    extra = {"mean_logprob": -0.25, "cost_usd": 0.002, "compute_ms": 7.0}
    cache.put("k", Completion("Paris", 3, 2, 9.0, extra=extra))
    hit = cache.get("k")
    assert (hit.text, hit.input_tokens, hit.output_tokens, hit.latency_ms) == ("Paris", 3, 2, 9.0)
    assert hit.extra == {"cached": True, **extra}
    cache.close()


def test_which_modes_read_and_which_may_send_requests(tmp_path):
    with pytest.raises(ValueError, match="cache mode must be one of use, refresh, off, got 'x'"):
        ResponseCache(tmp_path, "x")
    assert ResponseCache(tmp_path / "new", "use").may_miss()  # no file yet
    fresh = ResponseCache(tmp_path / "new", "use")
    assert fresh.get_many([]) == {} and not (tmp_path / "new").exists()  # nothing opened
    cache = ResponseCache(tmp_path, "use")
    cache.put("k", Completion("Paris", 1, 1, 1.0))
    assert not cache.may_miss()
    assert ResponseCache(tmp_path, "refresh").may_miss()
    assert ResponseCache(tmp_path, "off").may_miss()
    cache.close()


def test_a_key_holds_the_endpoint_and_the_body_fields():
    base = cache_key("openai", "gpt-4o", None, REQUEST)
    assert base == cache_key("openai", "gpt-4o", "", REQUEST)
    assert base == cache_key("openai", "gpt-4o", "", REQUEST, {})
    lora = cache_key("openai", "gpt-4o", "", REQUEST, {"lora": "a"})
    assert lora != base and lora != cache_key("openai", "gpt-4o", "", REQUEST, {"lora": "b"})
    assert base != cache_key("anthropic", "gpt-4o", "", REQUEST)


def test_only_a_damaged_file_error_counts_as_damage():
    assert _is_damage(sqlite3.DatabaseError("file is not a database"))  # no code: by its type
    assert not _is_damage(sqlite3.OperationalError("unable to open database file"))


def test_a_cache_that_cannot_be_opened_turns_off_and_its_warning_points_at_the_caller(tmp_path):
    (tmp_path / "responses.sqlite3").mkdir()  # a folder where the file should be
    cache = ResponseCache(tmp_path)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert cache.get("k") is None
        cache.put("k", Completion("Paris", 1, 1, 1.0))  # off now: says nothing more
    (warning,) = caught
    assert warning.category is CacheUnavailableWarning and warning.filename == __file__
    assert f"Fix: free disk space on {tmp_path} or make it writable" in str(warning.message)
    assert cache.mode == "off" and cache._connection is None


def test_a_damage_found_while_in_use_says_to_delete_the_file(tmp_path):
    cache = ResponseCache(tmp_path)
    cache.put("k", Completion("Paris", 1, 1, 1.0))
    with pytest.warns(CacheUnavailableWarning, match="Fix: delete .*responses.sqlite3"):
        cache._turn_off(sqlite3.DatabaseError("database disk image is malformed"))
    assert cache.mode == "off" and cache._connection is None


def test_the_recovery_warning_points_at_the_caller(tmp_path):
    (tmp_path / "responses.sqlite3").write_bytes(b"not a database" * 100)
    cache = ResponseCache(tmp_path)
    with pytest.warns(CacheRecoveryWarning) as caught:
        cache.get("k")
    assert caught[0].filename == __file__
    cache.close()


def test_the_cache_folder_is_made_when_missing(tmp_path):
    cache = ResponseCache(tmp_path / "a" / "b")
    cache.put("k", Completion("Paris", 1, 1, 1.0))
    assert cache.get("k").text == "Paris" and cache.mode == "use"
    cache.close()
