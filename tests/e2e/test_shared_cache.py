"""Runs on two hosts share one response cache in a real ``redis-server`` (on loopback here):
the second run sends no request; a server down at start stops the run with one message; a
server killed mid-run loses nothing (every item passes, every raw row is written)."""

from __future__ import annotations

import re
import threading
from pathlib import Path

from tests.support.fake_llm_server import FakeLLMServer
from tests.support.pytest_runs import (
    SECRET,
    answer_from_gold,
    api_config,
    clean_env,
    read_jsonl,
    run_pytest,
    summary,
)
from tests.support.redis_server import RedisServer, free_port, needs_redis_server

EXAMPLES = 12


def _host(tmp_path: Path, name: str, ini: str = "") -> Path:
    """A folder of its own, as another machine's checkout (its own ``.parity-cache``)."""
    folder = tmp_path / name
    folder.mkdir()
    if ini:
        (folder / "pyproject.toml").write_text(f"[tool.pytest.ini_options]\n{ini}")
    return folder


@needs_redis_server
def test_a_second_host_sharing_the_redis_cache_sends_no_request(tmp_path):
    env = clean_env(OPENAI_API_KEY=SECRET)
    with (
        RedisServer(tmp_path / "redis") as redis,
        FakeLLMServer("openai", reply=answer_from_gold) as server,
    ):
        config = api_config(tmp_path, server, num_examples=EXAMPLES)
        one = _host(tmp_path, "one")
        first = run_pytest(one, f"--eval-config={config}", f"--parity-cache={redis.url}", env=env)
        assert first.returncode == 0, first.stdout + first.stderr
        assert len(server.requests) == EXAMPLES
        two = _host(tmp_path, "two", ini=f'parity_cache = "{redis.url}"\n')  # the ini option
        second = run_pytest(two, f"--eval-config={config}", env=env)
        assert second.returncode == 0, second.stdout + second.stderr
        assert len(server.requests) == EXAMPLES  # none from the second host
        assert f"engine: 0 requests sent, {EXAMPLES} cache hits" in second.stdout
        assert len(redis.client().keys("parity:responses:*")) == EXAMPLES
    assert not (one / ".parity-cache").exists() and not (two / ".parity-cache").exists()
    runs = [host / "reports" / "latest" for host in (one, two)]
    assert summary(runs[0] / "api_exp_summary.json") == summary(runs[1] / "api_exp_summary.json")
    assert all(row["cached"] for row in read_jsonl(runs[1] / "api_exp.jsonl"))


@needs_redis_server
def test_shards_swapping_hosts_send_no_request_the_other_host_made(tmp_path):
    """Round one runs shard 1/2 on host A and 2/2 on host B; round two swaps them, as a
    changed plan or another runner would: each host's own SQLite file would hold none of
    its new cases, the shared server holds them all."""
    env = clean_env(OPENAI_API_KEY=SECRET)
    with (
        RedisServer(tmp_path / "redis") as redis,
        FakeLLMServer("openai", reply=answer_from_gold) as server,
    ):
        config = api_config(tmp_path, server, num_examples=EXAMPLES)
        hosts = [_host(tmp_path, name, ini=f'parity_cache = "{redis.url}"\n') for name in "AB"]
        for shards, report in ((("1/2", "2/2"), "first"), (("2/2", "1/2"), "second")):
            for host, shard in zip(hosts, shards, strict=True):
                ran = run_pytest(
                    host, f"--eval-config={config}", f"--parity-shard={shard}",
                    f"--eval-report-dir={report}", env=env,
                )  # fmt: skip
                assert ran.returncode == 0, ran.stdout + ran.stderr
            assert len(server.requests) == EXAMPLES  # the second round sent none
    rows = {
        report: {
            row["id"]: row for host in hosts for row in read_jsonl(host / report / "api_exp.jsonl")
        }
        for report in ("first", "second")
    }
    assert len(rows["second"]) == EXAMPLES and all(row["cached"] for row in rows["second"].values())
    assert {i: row["pred"] for i, row in rows["second"].items()} == {
        i: row["pred"] for i, row in rows["first"].items()
    }


def test_a_redis_server_down_at_start_stops_the_run_before_any_request(tmp_path):
    url = f"redis://127.0.0.1:{free_port()}/0"
    with FakeLLMServer("openai", reply=answer_from_gold) as server:
        config = api_config(tmp_path, server, num_examples=EXAMPLES)
        result = run_pytest(
            tmp_path, f"--eval-config={config}", f"--parity-cache={url}",
            env=clean_env(OPENAI_API_KEY=SECRET),
        )  # fmt: skip
        assert server.requests == []
    assert result.returncode == 4, result.stdout + result.stderr  # a usage error
    output = result.stdout + result.stderr
    assert f"parity: cannot use the response cache at {url}: " in result.stderr
    assert output.count(url) == 1, output  # one message, no warning before it
    assert "Fix: start the server" in result.stderr and "Traceback" not in output


@needs_redis_server
def test_a_redis_server_killed_mid_run_loses_no_result(tmp_path):
    kill_at, answered, lock = 5, [], threading.Lock()
    with RedisServer(tmp_path / "redis") as redis:

        def reply(body: dict) -> str:
            """The answer; the Redis server is killed as the ``kill_at``-th request arrives."""
            with lock:
                answered.append(body)
                if len(answered) == kill_at:
                    redis.kill()
            return answer_from_gold(body)

        with FakeLLMServer("openai", reply=reply) as server:
            config = api_config(tmp_path, server, num_examples=EXAMPLES)
            result = run_pytest(
                tmp_path, f"--eval-config={config}", f"--parity-cache={redis.url}",
                "--eval-report-dir=run", "--junitxml=j.xml", "-W", "always",
                env=clean_env(OPENAI_API_KEY=SECRET),
            )  # fmt: skip
            assert len(server.requests) == EXAMPLES  # each answer requested once
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert re.search(rf"\b{EXAMPLES} passed\b", result.stdout), result.stdout
    rows = read_jsonl(tmp_path / "run" / "api_exp.jsonl")
    assert len(rows) == EXAMPLES and len({row["id"] for row in rows}) == EXAMPLES
    assert all(row["pred"] and not row["cached"] for row in rows)
    warned = re.findall(r"the response cache at (\S+) cannot be used", output)
    assert warned == [redis.url], output  # once
    assert "Fix: restart the server" in output
