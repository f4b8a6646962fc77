"""Load test of a ScaleDown compression endpoint, as ScaleBench has one.

Each simulated user sends the shipped HotpotQA contexts with their questions in ScaleDown's
wire format and counts an answer without ``successful: true`` and a compressed prompt as a
failure. Headless, against the local test server:

    pip install locust
    python benchmarks/scaledown_server.py --port 8765 &
    SCALEDOWN_API_KEY=local-test-key locust -f benchmarks/locustfile_scaledown.py --headless \
        -u 32 -r 8 -t 30s --host http://127.0.0.1:8765 --csv reports/locust-scaledown

Locust prints requests/s and the latency percentiles (50–100%) at the end, and writes them to
``reports/locust-scaledown_stats.csv``. Against the real API use
``--host https://api.scaledown.xyz`` with your key (it is sent, never printed).
"""

from __future__ import annotations

import itertools
import json
import os
from pathlib import Path

from locust import HttpUser, between, task

DATA = Path(__file__).resolve().parent.parent / "evals" / "data" / "hotpotqa" / "validation.jsonl"
PATH = os.environ.get("SCALEDOWN_PATH", "/compress/raw/")
RATE = os.environ.get("SCALEDOWN_RATE", "auto")


def _examples() -> list[tuple[str, str]]:
    """(context, question) pairs from the shipped HotpotQA rows."""
    pairs = []
    for line in DATA.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        context = " ".join(
            f"{title}: {''.join(sentences)}"
            for title, sentences in zip(
                row["context"]["title"], row["context"]["sentences"], strict=True
            )
        )
        pairs.append((context, row["question"]))
    return pairs


EXAMPLES = itertools.cycle(_examples())


class CompressionUser(HttpUser):
    """One client sending compression requests back to back (a short think time)."""

    wait_time = between(0.0, 0.05)

    @task
    def compress(self) -> None:
        context, question = next(EXAMPLES)
        rate = RATE if RATE == "auto" else float(RATE)
        body = {"context": context, "prompt": question, "model": "gemini-2.5-flash",
                "scaledown": {"rate": rate}}  # fmt: skip
        headers = {"x-api-key": os.environ.get("SCALEDOWN_API_KEY", "")}
        with self.client.post(PATH, json=body, headers=headers, catch_response=True) as response:
            try:
                data = response.json()
            except ValueError:
                response.failure(f"HTTP {response.status_code}: not JSON")
                return
            results = data.get("results") or {}
            if (
                response.status_code != 200
                or not data.get("successful")
                or "compressed_prompt" not in results
            ):
                response.failure(f"HTTP {response.status_code}: not compressed")
