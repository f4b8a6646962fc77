"""The HTML report at 10,000 examples (a baseline and a compressed candidate over 5,000
HotpotQA-sized examples each): its size against the raw rows it is built from, and how long
headless Chromium takes to load it and fill the example browser. Prints the figures the
README quotes."""

from __future__ import annotations

import time

import pytest

from parity.report.reporters.html_report import rebuild
from tests.support.chromium import chromium_binary, load_page
from tests.support.synthetic_run import write_synthetic_run

EXAMPLES = 5_000  # per side: 10,000 rows
READY = "document.body.dataset.browserReady"
SHOWN = "[document.getElementById('count').textContent, document.querySelectorAll('#rows tbody tr').length]"
# the browser's own work after the load event: filter all rows by score, sort, one page
FILTER = ("(() => { const t = performance.now(); const m = document.getElementById('f-max'); m.value = '0';"
          " m.dispatchEvent(new Event('change')); return [performance.now() - t,"
          " document.getElementById('count').textContent]; })()")  # fmt: skip


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    run_dir = write_synthetic_run(tmp_path_factory.mktemp("big") / "run", EXAMPLES)
    started = time.perf_counter()
    (path,) = rebuild(run_dir)
    return path, time.perf_counter() - started


def test_the_page_at_10000_examples_is_smaller_than_its_raw_rows(page):
    path, build_s = page
    raw = sum(p.stat().st_size for p in path.parent.glob("*.jsonl"))
    size = path.stat().st_size
    print(
        f"report.html at {2 * EXAMPLES:,} rows: {size / 1e6:.1f} MB (raw rows {raw / 1e6:.1f} MB), built in {build_s:.1f} s"
    )
    assert size < 0.6 * raw  # each context once, prompts pointing at it


@pytest.mark.skipif(
    chromium_binary() is None,
    reason="no chromium binary on PATH (Debian: apt-get install chromium)",
)
def test_chromium_loads_10000_examples_and_filters_them(page, tmp_path):
    path, _ = page
    load = load_page(path, [READY, SHOWN, FILTER], tmp_path / "profile")
    assert load.errors == [] and load.values[READY] == "1"
    assert load.values[SHOWN] == [f"{2 * EXAMPLES} of {2 * EXAMPLES} examples", 50]
    filter_ms, count = load.values[FILTER]
    print(
        f"Chromium: load event {load.load_ms:.0f} ms, filtering {2 * EXAMPLES:,} rows {filter_ms:.0f} ms ({count})"
    )
    assert load.load_ms < 30_000 and filter_ms < 5_000
