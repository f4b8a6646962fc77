"""``reports/index.html``: every run folder with its gates and headline metrics, links to its
files, one trend plot per experiment, nothing fetched; and ``python -m parity index``."""

from __future__ import annotations

import json
import re
import time

from parity.__main__ import main
from parity.report.reporters import builtin_reporters
from parity.report.reporters.run_index import INDEX, write_index
from tests.support.stored_runs import write_run


def three_runs(reports):
    write_run(reports / "20260101-090000", {"qa": {"a": 1.0, "b": 0.0}})
    write_run(reports / "20260102-090000", {"qa": {"a": 1.0, "b": 1.0}, "cls": {"a": 0.0}},
              gates_passed=False)  # fmt: skip
    stopped = reports / "20260103-090000"
    stopped.mkdir()
    (stopped / ".parity-run").write_text("")
    (reports / "20260104-090000").mkdir()  # no mark: not Parity's, not listed
    (stopped.parent / "20260102-090000" / "report.html").write_text("<html></html>")


def test_the_index_lists_each_run_newest_first_with_gates_metrics_and_links(tmp_path):
    three_runs(tmp_path)
    page = write_index(tmp_path).read_text()
    rows = re.findall(r"<tr><td>(\d{8}-\d{6})", page)
    assert rows == ["20260103-090000", "20260102-090000", "20260101-090000"]
    assert "no summary.json (running or stopped)" in page
    assert '<span class="failed">failed (1 passed, 1 failed)</span>' in page
    assert "qa: exact_match 1.000 [" in page and "cls: exact_match 0.000 [" in page
    assert '<a href="20260102-090000/report.html">' in page
    assert '<a href="20260101-090000/report.html">' not in page  # that run has none
    assert '<a href="20260101-090000/summary.json">' in page
    assert "20260104-090000" not in page


def test_one_trend_plot_per_experiment_with_a_point_per_run_that_holds_it(tmp_path):
    three_runs(tmp_path)
    page = write_index(tmp_path).read_text()
    plots = re.findall(r"<svg.*?</svg><small>(.*?)</small>", page)
    assert plots == ["qa: exact_match, latest 1.000", "cls: exact_match, latest 0.000"]
    qa, cls = re.findall(r"<svg.*?</svg>", page)
    assert qa.count("<circle") == 2 and cls.count("<circle") == 1
    assert "<title>20260101-090000: exact_match 0.500 [" in qa


def test_the_page_fetches_nothing(tmp_path):
    three_runs(tmp_path)
    page = write_index(tmp_path).read_text()
    assert "<script" not in page and "http" not in page
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page)


def test_keep_lists_only_the_runs_pruning_leaves(tmp_path):
    three_runs(tmp_path)
    page = write_index(tmp_path, keep=2).read_text()
    assert "20260101-090000" not in page and "20260102-090000" in page


def test_a_thousand_runs_are_indexed_quickly(tmp_path):
    for day in range(1000):
        stamp = f"2026{1 + day // 28 % 12:02d}{1 + day % 28:02d}-{day // 336:02d}0000"
        write_run(tmp_path / stamp, {"qa": {"a": day % 2, "b": 1.0}})
    started = time.perf_counter()
    page = write_index(tmp_path).read_text()
    assert time.perf_counter() - started < 10
    assert len(re.findall(r"<tr><td>", page)) == 1000


def test_the_command_writes_the_index_and_refuses_a_missing_folder(tmp_path, capsys):
    three_runs(tmp_path)
    assert main(["index", str(tmp_path)]) == 0
    assert capsys.readouterr().out.strip() == str(tmp_path / INDEX)
    assert main(["index", str(tmp_path / "nope")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and str(tmp_path / "nope") in err


def test_the_index_is_a_builtin_reporter_that_wraps_the_others():
    hook = builtin_reporters()["run_index"].pytest_parity_run_finished
    assert hook.pytest_impl["wrapper"] is True


def test_a_trend_follows_the_newest_runs_first_metric_through_older_runs(tmp_path):
    three_runs(tmp_path)
    path = write_run(tmp_path / "20260105-090000", {"qa": {"a": 1.0}}) / "summary.json"
    document = json.loads(path.read_text())
    metrics = document["experiments"][0]["metrics"]
    document["experiments"][0]["metrics"] = {
        "f1": {"mean": 0.25},
        "exact_match": metrics["exact_match"],
    }
    path.write_text(json.dumps(document))
    page = write_index(tmp_path).read_text()
    qa = re.findall(r"<svg.*?</svg><small>qa: f1, latest 0.250</small>", page)
    assert len(qa) == 1 and qa[0].count("<circle") == 3  # f1 of each run holding qa
    assert "<title>20260101-090000: f1 0.500 [" in qa[0]


def test_a_metric_without_a_finite_mean_is_left_out(tmp_path):
    write_run(tmp_path / "20260101-090000", {"qa": {"a": 1.0}})
    path = tmp_path / "20260102-090000"
    write_run(path, {"qa": {"a": 1.0}})
    document = json.loads((path / "summary.json").read_text())
    document["experiments"][0]["metrics"]["exact_match"] = {"mean": float("nan")}
    document["experiments"][0]["metrics"]["f1"]["ci95_low"] = None
    page = write_index(tmp_path, current=(path, document)).read_text()
    assert "nan" not in page.lower()
    assert "qa: f1 1.000</td>" in page  # no interval: its low end is unknown


def test_each_trend_plot_shows_its_y_range_and_its_first_and_last_run(tmp_path):
    three_runs(tmp_path)
    page = write_index(tmp_path).read_text()
    qa, cls = re.findall(r"<svg.*?</svg>", page)
    labels = re.findall(r"<text[^>]*>([^<]*)</text>", qa)
    assert labels == ["1", "0", "20260101-090000", "20260103-090000"]
    assert re.findall(r"<text[^>]*>([^<]*)</text>", cls)[:2] == ["1", "0"]


def test_a_trend_beyond_zero_to_one_shows_its_own_min_and_max(tmp_path):
    for day, mean in (("01", 12.5), ("02", 40.0)):
        run = write_run(tmp_path / f"202601{day}-090000", {"qa": {"a": 1.0}})
        document = json.loads((run / "summary.json").read_text())
        document["experiments"][0]["metrics"] = {"rouge": {"mean": mean}}
        (run / "summary.json").write_text(json.dumps(document))
    svg = re.findall(r"<svg.*?</svg>", write_index(tmp_path).read_text())[0]
    labels = re.findall(r"<text[^>]*>([^<]*)</text>", svg)
    assert labels == ["40", "12.5", "20260101-090000", "20260102-090000"]
