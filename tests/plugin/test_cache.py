"""The SQLite response cache: keys, modes, and sharing between processes."""

import multiprocessing
import re
from pathlib import Path

import pytest

from parity.fixtures.providers import ChatRequest, Completion
from parity.record.cache import ResponseCache, cache_key

REQUEST = ChatRequest(messages=({"role": "user", "content": "hi"},), max_tokens=5)


def test_key_depends_on_every_request_part():
    base = cache_key("openai", "gpt-4o", "", REQUEST)
    assert base == cache_key("openai", "gpt-4o", "", REQUEST)
    assert base != cache_key("openai", "gpt-4o-mini", "", REQUEST)
    assert base != cache_key("openai", "gpt-4o", "http://x/v1", REQUEST)
    assert base != cache_key("openai", "gpt-4o", "", ChatRequest(REQUEST.messages, 6))
    assert base != cache_key("openai", "gpt-4o", "", ChatRequest(REQUEST.messages, 5, 0.7))


def test_use_refresh_off(tmp_path):
    completion = Completion("Paris", 10, 1, 12.5)
    use = ResponseCache(tmp_path, "use")
    assert use.get("k") is None
    use.put("k", completion)
    hit = use.get("k")
    assert (hit.text, hit.input_tokens, hit.output_tokens, hit.latency_ms) == ("Paris", 10, 1, 12.5)
    assert hit.extra["cached"] is True
    refresh = ResponseCache(tmp_path, "refresh")
    assert refresh.get("k") is None
    refresh.put("k", Completion("Lyon", 1, 1, 1.0))
    assert use.get("k").text == "Lyon"
    off = ResponseCache(tmp_path / "off", "off")
    off.put("k", completion)
    assert off.get("k") is None and not (tmp_path / "off").exists()


def _writer(directory, start):
    cache = ResponseCache(directory)
    for i in range(start, start + 50):
        cache.put(f"k{i}", Completion(str(i), i, 1, 1.0))
    cache.close()


def test_concurrent_processes_share_one_cache(tmp_path):
    processes = [multiprocessing.Process(target=_writer, args=(tmp_path, n * 50)) for n in range(3)]
    for process in processes:
        process.start()
    for process in processes:
        process.join(30)
        assert process.exitcode == 0
    cache = ResponseCache(tmp_path)
    assert all(cache.get(f"k{i}").text == str(i) for i in range(150))


@pytest.mark.parametrize("damage", ["random-bytes", "cut-short"])
def test_a_damaged_cache_is_moved_aside_with_a_warning_naming_it(tmp_path, damage):
    import os
    import random

    from parity.record.cache import CacheRecoveryWarning

    cache = ResponseCache(tmp_path, "use")
    for number in range(300):
        cache.put(f"key{number}", Completion("x" * 200, 1, 1, 1.0))
    cache.close()
    path = tmp_path / "responses.sqlite3"
    assert not Path(f"{path}-wal").exists() or Path(f"{path}-wal").stat().st_size == 0
    data = path.read_bytes()
    if damage == "random-bytes":
        path.write_bytes(random.Random(1).randbytes(len(data)))
    else:
        path.write_bytes(data[: len(data) // 3])
    reopened = ResponseCache(tmp_path, "use")
    with pytest.warns(CacheRecoveryWarning, match=re.escape(str(path))):
        assert reopened.get("key1") is None
    reopened.put("key1", Completion("fresh", 1, 1, 1.0))
    assert reopened.get("key1").text == "fresh"
    reopened.close()
    moved = [p for p in os.listdir(tmp_path) if ".corrupt-" in p]
    assert len(moved) == 1


def test_a_requests_share_of_a_batch_survives_the_cache(tmp_path):
    from parity.fixtures.providers import Completion
    from parity.record.cache import ResponseCache

    cache = ResponseCache(tmp_path, "use")
    cache.put("k", Completion("x", 10, 2, 400.0, extra={"compute_ms": 100.0}))
    cache.put("plain", Completion("y", 10, 2, 400.0))
    assert cache.get("k").compute_ms == 100.0
    assert cache.get("plain").compute_ms == 400.0
    cache.close()


def test_get_many_looks_up_keys_in_chunks_and_counts_only_used_answers(tmp_path):
    cache = ResponseCache(tmp_path)
    for i in range(0, 1200, 2):  # every even key is stored
        cache.put(f"k{i}", Completion(str(i), i, 1, 1.0))
    found = cache.get_many([f"k{i}" for i in range(1200)] + ["k0"])  # 3 chunks, a repeat
    assert sorted(found) == sorted(f"k{i}" for i in range(0, 1200, 2))
    assert found["k8"].text == "8" and found["k8"].extra["cached"] is True
    assert cache.hits == 0
    cache.count_hits(3)
    assert cache.hits == 3
    assert cache.get_many([]) == {}
    assert ResponseCache(tmp_path, "refresh").get_many(["k0"]) == {}
