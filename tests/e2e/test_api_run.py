"""API experiments end to end against a local OpenAI-wire server: cache, xdist, resume,
budget, provider errors and key hygiene."""

from __future__ import annotations

import json
import re

from tests.support.fake_llm_server import FakeLLMServer
from tests.support.pytest_runs import (
    SECRET,
    answer_from_gold,
    api_config,
    clean_env,
    junit_cases,
    read_jsonl,
    run_pytest,
    summary,
    write_yaml,
)


def test_cached_rerun_makes_zero_requests_and_reproduces_the_report(tmp_path):
    env = clean_env(OPENAI_API_KEY=SECRET)
    with FakeLLMServer("openai", reply=answer_from_gold) as server:
        config = api_config(tmp_path, server)
        first = run_pytest(tmp_path, f"--eval-config={config}", "--eval-report-dir=one", env=env)
        assert first.returncode == 0, first.stdout + first.stderr
        assert len(server.requests) == 12
        second = run_pytest(tmp_path, f"--eval-config={config}", "--eval-report-dir=two", env=env)
        assert second.returncode == 0, second.stdout + second.stderr
        assert len(server.requests) == 12  # zero new requests
        assert "engine: 0 requests sent, 12 cache hits" in second.stdout
    one = summary(tmp_path / "one" / "api_exp_summary.json")
    assert one == summary(tmp_path / "two" / "api_exp_summary.json")
    assert one["cost"]["total_usd"] > 0  # gpt-4o is priced in configs/pricing.yaml
    assert all(row["cached"] for row in read_jsonl(tmp_path / "two" / "api_exp.jsonl"))


def test_xdist_computes_each_example_exactly_once(tmp_path):
    env = clean_env(OPENAI_API_KEY=SECRET)
    with FakeLLMServer("openai", reply=answer_from_gold, latency_s=0.05) as server:
        config = api_config(tmp_path, server, num_examples=20)
        result = run_pytest(
            tmp_path,
            f"--eval-config={config}",
            "--eval-cache=off",
            "-n",
            "2",
            "--eval-report-dir=x",
            env=env,
        )
        assert result.returncode == 0, result.stdout + result.stderr
        prompts = [r["body"]["messages"][-1]["content"] for r in server.requests]
    assert len(prompts) == 20 and len(set(prompts)) == 20
    assert len(read_jsonl(tmp_path / "x" / "api_exp.jsonl")) == 20


def test_budget_cap_stops_requests_and_reports_what_was_left(tmp_path):
    env = clean_env(OPENAI_API_KEY=SECRET)
    with FakeLLMServer("openai", reply=answer_from_gold) as server:
        config = api_config(tmp_path, server, max_concurrency=1, max_tokens=10,
                            pricing={"input_per_1m_tokens": 1000.0, "output_per_1m_tokens": 1000.0})  # fmt: skip
        # each request is estimated at ~1.5k tokens = ~$1.5: a $5 cap allows 3 of them
        result = run_pytest(
            tmp_path,
            f"--eval-config={config}",
            "--eval-max-cost=5",
            "--eval-cache=off",
            "-rs",
            env=env,
        )
        sent = len(server.requests)
    assert result.returncode == 0, result.stdout + result.stderr
    assert 1 <= sent < 12
    assert f"{12 - sent} skipped" in result.stdout
    assert "--parity-max-cost $5.0 reached" in result.stdout
    assert (
        f"engine: {sent} requests sent" in result.stdout
        and "requests refused by the cap" in result.stdout
    )


def test_keys_are_read_from_a_dotenv_file(tmp_path):
    with FakeLLMServer("openai", reply=answer_from_gold) as server:
        config = api_config(tmp_path, server, num_examples=2)
        (tmp_path / ".env").write_text(f"OPENAI_API_KEY={SECRET}\n")
        result = run_pytest(
            tmp_path, f"--eval-config={config}", "--eval-cache=off", env=clean_env()
        )
        headers = (
            {k.lower(): v for k, v in server.requests[0]["headers"].items()}
            if server.requests
            else {}
        )
        auth = headers.get("authorization", "")
    assert result.returncode == 0 and "2 passed" in result.stdout, result.stdout + result.stderr
    assert auth == f"Bearer {SECRET}"
    assert SECRET not in result.stdout + result.stderr


def four_endpoint_config(tmp_path, servers, num_examples=10):
    experiments = [
        {
            "id": f"exp{number}",
            "model": {"name": "openai:gpt-4o", "base_url": server.url, "max_concurrency": 4},
            "dataset": {"name": "hotpotqa", "source": "shipped", "num_examples": num_examples},
            "task": {"name": "rag_qa"},
            "metrics": ["exact_match", "f1"],
            "thresholds": {"f1": 0.0},
        }
        for number, server in enumerate(servers)
    ]
    return write_yaml(tmp_path / "four.yaml", experiments)


def test_four_experiments_under_xdist_match_the_serial_run(tmp_path):
    """Four endpoints at once, serial and -n 2: same summaries, every example sent once per
    run, and no endpoint ever sees more than its max_concurrency."""
    from contextlib import ExitStack

    env = clean_env(OPENAI_API_KEY=SECRET)
    with ExitStack() as stack:
        servers = [
            stack.enter_context(FakeLLMServer("openai", reply=answer_from_gold, latency_s=0.05))
            for _ in range(4)
        ]
        config = four_endpoint_config(tmp_path, servers)
        common = (f"--eval-config={config}", "--eval-cache=off")
        serial = run_pytest(tmp_path, *common, "--eval-report-dir=serial", env=env)
        assert serial.returncode == 0, serial.stdout + serial.stderr
        parallel = run_pytest(
            tmp_path, *common, "-n", "2", "--eval-report-dir=xdist", "--junitxml=j.xml", env=env
        )
        assert parallel.returncode == 0, parallel.stdout + parallel.stderr
        assert all(len(server.requests) == 20 for server in servers)
        assert all(server.max_in_flight <= 4 for server in servers)
        first = [server.requests[0]["at"] for server in servers]
        last = [server.requests[9]["at"] for server in servers]
        assert max(first) < min(last)  # the serial run kept all four endpoints busy at once
    for number in range(4):
        name = f"exp{number}_summary.json"
        assert summary(tmp_path / "serial" / name) == summary(tmp_path / "xdist" / name)
        assert len(read_jsonl(tmp_path / "xdist" / f"exp{number}.jsonl")) == 10
    cases = junit_cases(tmp_path / "j.xml")
    assert sum("parity-gates" in key for key in cases) == 4
    items = [key for key in cases if "test_example[" in key]
    assert len(items) == 40  # the controller names the module, not the site-packages path
    assert all(key.startswith("parity.evals.test_experiments::") for key in items)
    assert "40 passed in" in parallel.stdout  # the items: the gates are JUnit cases only


def test_a_failed_gate_is_named_in_the_totals_without_moving_the_progress_back(tmp_path):
    env = clean_env(OPENAI_API_KEY=SECRET)
    with FakeLLMServer("openai", reply=answer_from_gold) as server:
        config = write_yaml(
            tmp_path / "gates.yaml",
            [
                {
                    "id": "gated",
                    "model": {"name": "openai:gpt-4o", "base_url": server.url},
                    "dataset": {"name": "hotpotqa", "source": "shipped", "num_examples": 5},
                    "task": {"name": "rag_qa"},
                    "metrics": ["exact_match", "f1"],
                    "thresholds": {"f1": 0.0, "exact_match": 2.0},
                }
            ],
        )
        result = run_pytest(tmp_path, f"--eval-config={config}", "--junitxml=j.xml", env=env)
    assert result.returncode == 1, result.stdout
    percentages = re.findall(r"\[\s*(\d+)%\]", result.stdout)
    assert percentages and percentages[-1] == "100"
    assert "5 passed, 1 gate failed in" in result.stdout  # 5 items, then the failed gate
    cases = junit_cases(tmp_path / "j.xml")
    assert sum("parity-gates" in key for key in cases) == 2
    assert sum(key.startswith("parity.evals.test_experiments::test_example[") for key in cases) == 5


def test_a_waiting_run_shows_a_progress_line(tmp_path):
    env = clean_env(OPENAI_API_KEY=SECRET)
    with FakeLLMServer("openai", reply=answer_from_gold, latency_s=0.8) as server:
        config = api_config(tmp_path, server, num_examples=4, max_concurrency=1)
        result = run_pytest(
            tmp_path, f"--eval-config={config}", "--eval-progress-interval=0.5", env=env
        )
    assert result.returncode == 0, result.stdout + result.stderr
    lines = [line for line in result.stdout.splitlines() if line.startswith("parity: api_exp ")]
    assert lines, result.stdout
    assert re.match(r"parity: api_exp \d/4 \| [01] in flight, 0 retries, 0 cached", lines[0])


KEYWORD_PROBE = """
import json

seen = {}


def pytest_runtest_logreport(report):
    seen.setdefault(report.nodeid, set()).add(id(report.keywords))
    assert "parity_eval" in report.keywords and "hotpotqa" in report.keywords


def pytest_sessionfinish(session):
    with open("keyword_dicts.json", "w") as handle:
        json.dump({nodeid: len(ids) for nodeid, ids in seen.items()}, handle)
"""


def test_an_items_three_reports_share_one_keywords_dict(tmp_path):
    (tmp_path / "keyword_probe.py").write_text(KEYWORD_PROBE)
    env = clean_env(OPENAI_API_KEY=SECRET, PYTHONPATH=str(tmp_path))
    with FakeLLMServer("openai", reply=answer_from_gold) as server:
        config = api_config(tmp_path, server)
        result = run_pytest(tmp_path, f"--eval-config={config}", "-p", "keyword_probe", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    dicts = json.loads((tmp_path / "keyword_dicts.json").read_text())
    assert len(dicts) == 12 and set(dicts.values()) == {1}


SDK_PROBE = """
import json
import sys


def pytest_unconfigure(config):
    with open("sdk_imported.jsonl", "a") as handle:
        handle.write(json.dumps("openai" in sys.modules) + "\\n")
"""


def test_a_cold_run_leaves_the_sdk_to_the_call_process_under_the_same_cache_keys(tmp_path):
    """A run that sends its requests from the call process takes each endpoint from the
    child's SDK client and never imports ``openai`` itself (about a second); a warm rerun
    computes the keys with its own SDK client and finds every answer under them."""
    (tmp_path / "sdk_probe.py").write_text(SDK_PROBE)
    env = clean_env(OPENAI_API_KEY=SECRET, PYTHONPATH=str(tmp_path))
    with FakeLLMServer("openai", reply=answer_from_gold) as server:
        config = api_config(tmp_path, server)
        for run in ("cold", "warm"):
            result = run_pytest(
                tmp_path, f"--eval-config={config}", f"--eval-report-dir={run}",
                "-p", "sdk_probe", env=env,
            )  # fmt: skip
            assert result.returncode == 0, result.stdout + result.stderr
        assert len(server.requests) == 12
    assert "engine: 0 requests sent, 12 cache hits" in result.stdout
    imported = [json.loads(line) for line in (tmp_path / "sdk_imported.jsonl").read_text().split()]
    assert imported == [False, True]


CHILD_PROBE = """
import json
import os
from pathlib import Path


def call_processes():
    pids = []
    for task in Path(f"/proc/{os.getpid()}/task").iterdir():
        pids += (task / "children").read_text().split()
    return [p for p in pids if b"parity.engine.call_process" in Path(f"/proc/{p}/cmdline").read_bytes()]


def pytest_collection_modifyitems(config, items):
    with open("call_process_during_collection.jsonl", "a") as handle:
        handle.write(json.dumps(len(call_processes())) + "\\n")
"""


def test_the_call_process_starts_while_the_data_loads_unless_the_run_is_narrowed(tmp_path):
    """A serial API run starts its call process when the plan knows which experiments can
    run, before their data loads (the SDK import overlaps the loading and collection); a run
    narrowed by ``-k`` starts it only for the items collection selected, and
    ``--collect-only`` never starts it."""
    (tmp_path / "child_probe.py").write_text(CHILD_PROBE)
    env = clean_env(OPENAI_API_KEY=SECRET, PYTHONPATH=str(tmp_path))
    with FakeLLMServer("openai", reply=answer_from_gold) as server:
        config = api_config(tmp_path, server)
        for run, extra in (("plain", ()), ("narrowed", ("-k", "api_exp")), ("listed", ("--co",))):
            result = run_pytest(
                tmp_path, f"--eval-config={config}", "--eval-cache=off",
                f"--eval-report-dir={run}", "-p", "child_probe", *extra, env=env,
            )  # fmt: skip
            assert result.returncode == 0, result.stdout + result.stderr
        assert len(server.requests) == 24  # the plain and the narrowed run: 12 each
    seen = (tmp_path / "call_process_during_collection.jsonl").read_text().split()
    assert [json.loads(n) for n in seen] == [1, 0, 0]
