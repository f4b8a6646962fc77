"""The first dot comes after about the first case's time (issue 30, point 8): a pytest run of
a baseline and a compressed experiment on one single-slot endpoint reports its first item
(a baseline one) once that case is answered, not after every compressed case.

A plugin in the run posts a marker to the fake server when pytest reports its first item, so
the server's request log shows, by order alone, how many model requests had been sent by then.
"""

from __future__ import annotations

import textwrap

from tests.support.fake_llm_server import FakeLLMServer
from tests.support.pytest_runs import clean_env, run_pytest, write_yaml

N = 4
CONCURRENCY = 1
MARKER = "first item reported"

FIRST_DOT_PLUGIN = """
import json
import os
import urllib.request

reported = False


def pytest_runtest_logreport(report):
    global reported
    if report.when == "call" and not reported:
        reported = True
        request = urllib.request.Request(
            os.environ["FIRST_DOT_URL"] + "/first-dot",
            data=json.dumps({"marker": %r, "nodeid": report.nodeid}).encode(),
            headers={"Content-Type": "application/json"},
        )
        urllib.request.urlopen(request, timeout=30).read()
"""


def experiments(url: str) -> list[dict]:
    base = {
        "id": "full",
        "model": {"name": "openai-compatible:m", "base_url": url, "max_concurrency": CONCURRENCY},
        "dataset": {"name": "hotpotqa", "source": "shipped", "num_examples": N, "seed": 2},
        "task": {"name": "rag_qa"},
        "metrics": ["exact_match", "f1"],
    }
    compressed = {
        **base,
        "id": "squeezed",
        "model": {**base["model"], "mode": "compressed",
                  "compression": {"method": "extractive", "rate": 0.3, "ranker": "bm25"}},
        "baseline": "full",
    }  # fmt: skip
    return [base, compressed]


def test_the_first_item_reports_after_the_first_case_not_the_whole_run(tmp_path):
    (tmp_path / "first_dot.py").write_text(textwrap.dedent(FIRST_DOT_PLUGIN % MARKER))
    with FakeLLMServer("openai", latency_s=0.5, reply=lambda body: "yes") as server:
        config = write_yaml(tmp_path / "c.yaml", experiments(server.url))
        result = run_pytest(
            tmp_path, f"--eval-config={config}", "--eval-cache=off", "-p", "first_dot",
            env=clean_env(FIRST_DOT_URL=server.url),
        )  # fmt: skip
        log = [request["body"] for request in server.requests]
    assert result.returncode == 0, result.stdout[-3000:]
    marker = next(i for i, body in enumerate(log) if body.get("marker") == MARKER)
    assert "full" in log[marker]["nodeid"]  # pytest's first item is a baseline item
    assert len(log) == 2 * N + 1
    # sent before the first dot: that item's own request and at most CONCURRENCY more
    sent = ["marker" if "marker" in body else len(str(body["messages"])) for body in log]
    assert marker <= 1 + CONCURRENCY, sent  # the compressed prompts are the short ones
