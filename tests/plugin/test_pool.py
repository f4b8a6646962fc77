"""The keyed lazy pool behind the client and compressor pools."""

from __future__ import annotations

import threading
import time

from parity.engine.pool import KeyedPool


class Thing:
    """A closable value that counts how it was made and closed."""

    made = 0

    def __init__(self, key: str) -> None:
        Thing.made += 1
        self.key = key
        self.closed = False

    def close(self) -> None:
        self.closed = True


def test_each_key_is_made_once_and_shared():
    Thing.made = 0
    pool: KeyedPool[str, Thing] = KeyedPool()
    first = pool.get("a", lambda: Thing("a"))
    assert pool.get("a", lambda: Thing("again")) is first
    assert pool.get("b", lambda: Thing("b")).key == "b"
    assert Thing.made == 2


def test_callers_racing_for_one_key_get_one_value():
    Thing.made = 0
    pool: KeyedPool[str, Thing] = KeyedPool()

    def slow() -> Thing:
        time.sleep(0.05)
        return Thing("a")

    got: list[Thing] = []
    threads = [threading.Thread(target=lambda: got.append(pool.get("a", slow))) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert Thing.made == 1 and all(value is got[0] for value in got)


def test_close_closes_every_value_and_forgets_them():
    pool: KeyedPool[str, Thing] = KeyedPool()
    values = [pool.get(key, lambda key=key: Thing(key)) for key in "abc"]
    pool.close()
    assert all(value.closed for value in values)
    assert pool.get("a", lambda: Thing("new")).key == "new"
