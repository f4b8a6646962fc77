"""A real ``redis-server`` (Debian's package) on a free loopback port, in a folder of its own,
for the tests of the shared response cache; they skip with :data:`NO_REDIS` without one."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest
import redis

REDIS_SERVER = shutil.which("redis-server")
NO_REDIS = "redis-server is not on PATH (Debian: apt-get install redis-server; .ci/run installs it)"
START_TIMEOUT_S = 10.0
needs_redis_server = pytest.mark.skipif(REDIS_SERVER is None, reason=NO_REDIS)


def free_port() -> int:
    """A loopback TCP port nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class RedisServer:
    """``redis-server`` on 127.0.0.1 with its files in ``folder``, no snapshots, no
    persistence, and ``options`` (``"--replicaof", HOST, PORT``):
    ``with RedisServer(folder) as server: server.url``; :meth:`kill` ends it at once
    (SIGKILL), as a crashed host would."""

    def __init__(self, folder: Path, *options: str) -> None:
        self.folder = folder
        self.options = options
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> RedisServer:
        assert REDIS_SERVER is not None, NO_REDIS
        self.folder.mkdir(parents=True, exist_ok=True)
        command = [
            REDIS_SERVER, "--bind", "127.0.0.1", "--port", str(self.port),
            "--dir", str(self.folder), "--save", "", "--appendonly", "no", *self.options,
        ]  # fmt: skip
        log = (self.folder / "redis.log").open("wb")
        self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        log.close()
        self._wait_until_up()
        return self

    def _wait_until_up(self) -> None:
        client = redis.Redis.from_url(self.url, socket_connect_timeout=1)
        deadline = time.monotonic() + START_TIMEOUT_S
        try:
            while True:
                try:
                    client.ping()
                    return
                except redis.ConnectionError:
                    if time.monotonic() > deadline or self.process.poll() is not None:
                        log = (self.folder / "redis.log").read_text(errors="replace")
                        raise RuntimeError(f"redis-server did not start:\n{log}") from None
                    time.sleep(0.05)
        finally:
            client.close()

    def client(self) -> redis.Redis:
        """A client of this server (answers as text)."""
        return redis.Redis.from_url(self.url, decode_responses=True)

    def kill(self) -> None:
        """End the server at once (SIGKILL) and wait for it."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def __exit__(self, *exc: object) -> None:
        self.kill()
