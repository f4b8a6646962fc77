"""The Locust load test runs headless against the local ScaleDown-compatible server and
reports requests/s and latency percentiles with no failed request; a wrong key fails them."""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.fake_scaledown_server import FakeScaleDownServer

LOCUSTFILE = Path(__file__).resolve().parents[2] / "benchmarks" / "locustfile_scaledown.py"


def run_locust(tmp_path: Path, host: str, key: str) -> dict[str, str]:
    locust = shutil.which("locust") or str(Path(sys.executable).parent / "locust")
    command = [locust, "-f", str(LOCUSTFILE), "--headless", "-u", "4", "-r", "4", "-t", "3s",
               "--host", host, "--csv", str(tmp_path / "run"), "--only-summary"]  # fmt: skip
    env = {**os.environ, "SCALEDOWN_API_KEY": key}
    subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
    with (tmp_path / "run_stats.csv").open() as handle:
        return next(row for row in csv.DictReader(handle) if row["Name"] == "Aggregated")


@pytest.mark.parametrize(("key", "fails"), [("right-key", False), ("wrong-key", True)])
def test_load_test_reports_throughput_and_percentiles(tmp_path, key, fails):
    with FakeScaleDownServer("right-key") as server:
        host = server.url.removesuffix("/compress/raw/")
        stats = run_locust(tmp_path, host, key)
    requests = int(stats["Request Count"])
    assert requests > 0 and float(stats["Requests/s"]) > 0
    assert float(stats["50%"]) > 0 and float(stats["95%"]) >= float(stats["50%"])
    assert (int(stats["Failure Count"]) == requests) if fails else stats["Failure Count"] == "0"
