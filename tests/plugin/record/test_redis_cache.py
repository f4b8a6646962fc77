"""The response cache in a real ``redis-server`` (on a free loopback port, in a temp folder)
against the SQLite file: the same keys and values, batched lookups, one ``SET`` per answer,
a server down at start named with its fix, and a server dying mid-run turning it off."""

from __future__ import annotations

import math
import sqlite3
import time
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from parity.fixtures.providers import ChatRequest, Completion
from parity.record.cache import LOOKUP_CHUNK, CacheUnavailableWarning, ResponseCache, cache_key
from parity.record.caches import cache_problem, open_cache
from parity.record.redis_cache import KEY_PREFIX, RedisCache
from tests.support.redis_server import RedisServer, free_port, needs_redis_server

# what a connection and this test send besides the cache's own commands
CONNECTION_COMMANDS = ("cmdstat_hello", "cmdstat_client", "cmdstat_config", "cmdstat_info")
ABSENT = ""  # no generated key is empty
KEY = cache_key(
    "openai",
    "gpt-4o",
    "http://127.0.0.1:9/v1",
    ChatRequest(({"role": "user", "content": "hi"},), 5),
)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    with RedisServer(tmp_path_factory.mktemp("redis")) as running:
        yield running


@pytest.fixture
def caches(server: RedisServer, tmp_path: Path) -> Iterator[tuple[ResponseCache, RedisCache]]:
    server.client().flushdb()
    sqlite, shared = ResponseCache(tmp_path), RedisCache(server.url)
    yield sqlite, shared
    sqlite.close()
    shared.close()


def _stored_sqlite(cache: ResponseCache, key: str) -> str:
    with sqlite3.connect(cache.path) as db:
        return db.execute("SELECT value FROM responses WHERE key = ?", (key,)).fetchone()[0]


def _fields(completion: Completion) -> tuple[object, ...]:
    return (
        completion.text,
        completion.input_tokens,
        completion.output_tokens,
        completion.latency_ms,
        dict(completion.extra),
    )


finite = st.floats(allow_nan=False, allow_infinity=False)
completions = st.builds(
    lambda text, tokens_in, tokens_out, latency, extra: Completion(
        text, tokens_in, tokens_out, latency, extra=extra
    ),
    st.text(),
    st.integers(0, 10**9),
    st.integers(0, 10**9),
    finite,
    st.fixed_dictionaries(
        {},
        optional={
            "mean_logprob": finite | st.none(),
            "cost_usd": finite | st.none(),
            "compute_ms": finite,
        },
    ),
)


@needs_redis_server
@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(answers=st.dictionaries(st.text(min_size=1, max_size=80), completions, max_size=8))
def test_what_is_written_reads_back_identically_through_both_backends(caches, answers):
    sqlite, shared = caches
    for key, completion in answers.items():
        sqlite.put(key, completion)
        shared.put(key, completion)
    keys = [*answers, ABSENT]
    from_sqlite, from_redis = sqlite.get_many(keys), shared.get_many(keys)
    assert set(from_redis) == set(from_sqlite) == set(answers)
    for key, completion in answers.items():
        assert _fields(from_redis[key]) == _fields(from_sqlite[key]) == _fields(sqlite.get(key))
        assert _fields(shared.get(key)) == _fields(from_redis[key])
        read = from_redis[key]
        assert (read.text, read.input_tokens, read.latency_ms) == (
            completion.text,
            completion.input_tokens,
            completion.latency_ms,
        )
        assert read.compute_ms == completion.compute_ms and read.extra["cached"] is True
    assert shared.get(ABSENT) is None and sqlite.get(ABSENT) is None


@needs_redis_server
def test_the_same_key_holds_the_same_text_as_the_sqlite_file(caches, server):
    sqlite, shared = caches
    answer = Completion("Paris", 12, 1, 250.0, extra={"mean_logprob": -0.25, "compute_ms": 90.0})
    sqlite.put(KEY, answer)
    shared.put(KEY, answer)
    client = server.client()
    assert client.keys("*") == [KEY_PREFIX + KEY]
    assert client.type(KEY_PREFIX + KEY) == "string"
    assert client.get(KEY_PREFIX + KEY) == _stored_sqlite(sqlite, KEY)


@needs_redis_server
def test_lookups_are_batched_and_each_answer_is_one_set(caches, server):
    _, shared = caches
    client = server.client()
    client.config_resetstat()
    keys = [f"k{number}" for number in range(2 * LOOKUP_CHUNK + 1)]
    for key in keys[::2]:
        shared.put(key, Completion(key, 1, 1, 1.0))
    found = shared.get_many([*keys, *keys])  # repeated keys are looked up once
    assert sorted(found) == sorted(keys[::2]) and found["k4"].text == "k4"
    stats = client.info("commandstats")
    assert stats["cmdstat_mget"]["calls"] == math.ceil(len(keys) / LOOKUP_CHUNK) == 3
    data_commands = {name for name in stats if name.split("|")[0] not in CONNECTION_COMMANDS}
    assert data_commands == {"cmdstat_mget", "cmdstat_set"}
    assert stats["cmdstat_set"]["calls"] == len(keys[::2])
    assert shared.hits == 0  # counted when the caller uses them
    shared.count_hits(len(found))
    assert shared.hits == len(found)


def test_a_server_down_at_start_is_one_message_naming_the_url_and_the_fix(tmp_path):
    url = f"redis://:hunter2@127.0.0.1:{free_port()}/0"
    said = cache_problem(url, tmp_path)
    assert said is not None and "hunter2" not in said
    shown = url.replace("hunter2", "***")
    assert said.startswith(f"parity: cannot use the response cache at {shown}: ")
    assert "Connection refused" in said and "Fix: start the server" in said
    assert "--parity-cache=use" in said
    assert not list(tmp_path.iterdir())  # nothing written in the SQLite folder


@needs_redis_server
def test_a_server_refusing_writes_at_start_is_named_with_the_fix(tmp_path):
    """A read-only replica answers PING but takes no answer: caught at start, not mid-run."""
    primary = ("--replicaof", "127.0.0.1", str(free_port()))  # a primary that never answers
    with RedisServer(tmp_path / "replica", *primary) as replica:
        said = cache_problem(replica.url, tmp_path)
    assert said is not None and said.startswith(
        f"parity: cannot use the response cache at {replica.url}: "
    )
    assert "read only replica" in said and "Fix:" in said


@needs_redis_server
def test_a_server_up_at_start_passes_and_is_the_cache_opened(server, tmp_path):
    assert cache_problem(server.url, tmp_path) is None
    assert server.client().keys("parity:probe:*") == []  # the probe key was deleted
    cache = open_cache(server.url, tmp_path)
    assert isinstance(cache, RedisCache)
    cache.close()
    assert isinstance(open_cache("refresh", tmp_path), ResponseCache)


@needs_redis_server
def test_a_server_dying_mid_run_turns_the_cache_off_with_one_warning(tmp_path):
    with RedisServer(tmp_path / "dying") as server:
        cache = RedisCache(server.url)
        cache.put("kept", Completion("Paris", 1, 1, 1.0))
        assert cache.get("kept").text == "Paris" and not cache.may_miss()
        server.kill()
        started = time.monotonic()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            assert cache.get("kept") is None
            cache.put("new", Completion("Lyon", 1, 1, 1.0))  # skipped, never raised
            assert cache.get_many(["kept", "new"]) == {}
            assert cache.may_miss()
        assert time.monotonic() - started < 5
        assert [w.category for w in caught] == [CacheUnavailableWarning]
        message = str(caught[0].message)
        assert server.url in message and "off for the rest of this run" in message
        assert "Fix: restart the server" in message and cache.mode == "off"
        cache.close()
