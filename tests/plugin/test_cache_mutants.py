"""The response cache's edges that its other tests leave open (issue 35's mutants): the hit
count, a file that fails ``PRAGMA quick_check``, the connection's settings, what a key holds,
where its warnings point, answers and requests with NaN, waiting for another's lock, and the
lock and folder of a move aside."""

from __future__ import annotations

import fcntl
import math
import os
import sqlite3
import threading
import warnings

import pytest

from parity.fixtures.providers import ChatRequest, Completion
from parity.record import cache as cache_module
from parity.record.cache import (
    CacheRecoveryWarning,
    CacheUnavailableWarning,
    NonFiniteAnswerWarning,
    ResponseCache,
    _is_damage,
    cache_key,
)

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


def write_a_file_that_fails_quick_check(tmp_path):
    """A NULL under NOT NULL: SQLite opens the file, only quick_check finds it damaged."""
    path = tmp_path / "responses.sqlite3"
    db = sqlite3.connect(path)
    db.execute(SCHEMA.replace("value TEXT NOT NULL", "value TEXT"))
    db.execute("INSERT INTO responses VALUES ('k', NULL, 0)")
    db.commit()
    db.execute("PRAGMA writable_schema=ON")
    db.execute("UPDATE sqlite_master SET sql = ? WHERE name = 'responses'", (SCHEMA,))
    db.commit()
    db.close()


def test_a_file_that_fails_quick_check_is_moved_aside(tmp_path):
    write_a_file_that_fails_quick_check(tmp_path)
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
    assert db.execute("PRAGMA busy_timeout").fetchone() == (10_000,)  # a lock is waited 10 s
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


@pytest.mark.parametrize(
    "completion",
    [
        Completion("Paris", 1, 1, 1.0, extra={"mean_logprob": math.nan}),
        Completion("Paris", 1, 1, 1.0, extra={"mean_logprob": -math.inf}),
        Completion("Paris", 1, 1, math.inf),
    ],
)
def test_an_answer_holding_nan_or_infinity_is_not_stored(tmp_path, completion):
    """JSON has no NaN: stored bare it is not JSON, and another reader takes it for text."""
    cache = ResponseCache(tmp_path)
    cache.put("ok", Completion("Rome", 1, 1, 1.0))
    with pytest.warns(NonFiniteAnswerWarning, match="not cached") as caught:
        cache.put("k", completion)
    assert caught[0].filename == __file__
    assert cache.get("k") is None and cache.mode == "use"  # the cache stays on
    cache.close()
    db = sqlite3.connect(tmp_path / "responses.sqlite3")
    assert db.execute("SELECT key FROM responses").fetchall() == [("ok",)]
    db.close()


def test_a_request_holding_nan_has_no_key():
    with pytest.raises(ValueError, match="non-finite number"):
        cache_key("openai", "gpt-4o", None, ChatRequest(REQUEST.messages, 5, math.nan))
    with pytest.raises(ValueError, match="non-finite number"):
        cache_key("openai", "gpt-4o", None, REQUEST, {"top_p": math.inf})


def test_a_write_waits_for_another_connections_lock_rather_than_turning_the_cache_off(tmp_path):
    """Another connection holds the write lock for a second: the write waits for it (the
    order of the two commits shows it) and the cache stays on."""
    cache = ResponseCache(tmp_path)
    assert cache.get("k") is None  # opened before the lock is taken
    events: list[str] = []
    locked = threading.Event()

    def hold_the_lock() -> None:
        other = sqlite3.connect(tmp_path / "responses.sqlite3", isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        other.execute("INSERT INTO responses VALUES ('other', '{}', 0)")
        locked.set()
        threading.Event().wait(1.0)
        events.append("other committed")
        other.execute("COMMIT")
        other.close()

    holder = threading.Thread(target=hold_the_lock)
    holder.start()
    assert locked.wait(30)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no CacheUnavailableWarning
        cache.put("k", Completion("Paris", 1, 1, 1.0))
    events.append("stored")
    holder.join()
    assert events == ["other committed", "stored"]
    assert cache.mode == "use" and cache.get("k").text == "Paris"
    cache.close()


def test_a_move_aside_names_its_folder_by_time_and_process_then_counts_on(tmp_path, monkeypatch):
    monkeypatch.setattr("time.strftime", lambda *_: "20260101-000000")  # both in one second
    path = tmp_path / "responses.sqlite3"
    path.write_bytes(b"not a database" * 100)
    moved = cache_module.move_aside(path)
    assert moved.parent.name == f"responses.sqlite3.corrupt-20260101-000000-{os.getpid()}"
    assert moved.name == path.name and moved.read_bytes() == b"not a database" * 100
    assert not path.exists()
    path.write_bytes(b"damaged again")
    again = cache_module.move_aside(path)
    assert again.parent.name == f"{moved.parent.name}-2"  # the first folder is kept
    assert again.read_bytes() == b"damaged again" and moved.exists()


def test_a_damaged_file_is_moved_aside_under_the_folders_lock(tmp_path, monkeypatch):
    """xdist workers open one cache: only the one holding the folder's lock moves it."""
    held = []

    def probing_move_aside(path):
        probe = os.open(tmp_path, os.O_RDONLY)
        try:
            fcntl.flock(probe, fcntl.LOCK_EX | fcntl.LOCK_NB)
            held.append(False)
        except BlockingIOError:
            held.append(True)
        finally:
            os.close(probe)
        return original(path)

    original = cache_module.move_aside
    monkeypatch.setattr(cache_module, "move_aside", probing_move_aside)
    (tmp_path / "responses.sqlite3").write_bytes(b"not a database" * 100)
    cache = ResponseCache(tmp_path)
    with pytest.warns(CacheRecoveryWarning, match="moved it to .*corrupt-"):
        assert cache.get("k") is None
    assert held == [True]
    cache.close()


def test_turning_the_cache_off_closes_its_connection(tmp_path):
    cache = ResponseCache(tmp_path)
    cache.put("k", Completion("Paris", 1, 1, 1.0))
    db = cache._connection
    assert db is not None
    with pytest.warns(CacheUnavailableWarning):
        cache._turn_off(OSError("disk full"))
    with pytest.raises(sqlite3.ProgrammingError, match="closed"):
        db.execute("SELECT 1")


@pytest.mark.parametrize("damage", ["not a database", "fails quick_check"])
def test_a_connection_to_a_damaged_file_is_closed_before_the_file_moves(
    tmp_path, monkeypatch, damage
):
    """Only the connection to the fresh file stays open: none to the file moved aside."""
    if damage == "not a database":
        (tmp_path / "responses.sqlite3").write_bytes(b"not a database" * 100)
    else:
        write_a_file_that_fails_quick_check(tmp_path)
    opened = []
    connect = sqlite3.connect

    def recording_connect(*args, **kwargs):
        opened.append(connect(*args, **kwargs))
        return opened[-1]

    monkeypatch.setattr(sqlite3, "connect", recording_connect)
    cache = ResponseCache(tmp_path)
    with pytest.warns(CacheRecoveryWarning):
        assert cache.get("k") is None
    *damaged, fresh = opened
    assert len(damaged) == 2 and fresh is cache._connection
    for connection in damaged:
        with pytest.raises(sqlite3.ProgrammingError, match="closed"):
            connection.execute("SELECT 1")
    cache.close()
