"""``python -m parity compare`` on hand-made run folders: regressions by the paired interval,
flipped examples both ways, experiments one run holds alone, and a folder that is no run."""

from __future__ import annotations

import json
import re

import pytest

from parity.__main__ import main
from parity.report.diff_render import to_html, to_markdown
from parity.report.run_diff import IMPROVED, REGRESSED, UNCLEAR, diff_runs
from parity.report.stored_runs import NotARunFolder, load_run
from tests.support.stored_runs import write_run

IDS = [f"ex{i:02d}" for i in range(20)]
WORSE = IDS[:12]  # right in A, wrong in B
BETTER = ["ex19"]  # wrong in A, right in B


def scores(wrong):
    return {key: 0.0 if key in wrong else 1.0 for key in IDS}


@pytest.fixture
def runs(tmp_path):
    a = write_run(tmp_path / "20260101-000000", {
        "qa": scores(BETTER), "stable": scores([]), "retired": scores([]),
    })  # fmt: skip
    b = write_run(tmp_path / "20260102-000000", {
        "qa": scores(WORSE), "stable": scores([]), "added": scores(["ex00"]),
    }, gates_passed=False)  # fmt: skip
    return a, b


def test_a_drop_whose_paired_interval_lies_below_zero_is_a_regression(runs):
    diff = diff_runs(load_run(runs[0]), load_run(runs[1]))
    qa = {e.experiment_id: e for e in diff.experiments}["qa"]
    statuses = {change.metric: change.status for change in qa.changes}
    assert statuses == {"exact_match": REGRESSED, "f1": REGRESSED}
    delta = qa.comparison.metrics["exact_match"]
    assert delta.difference == pytest.approx((8 - 19) / 20)
    assert delta.ci_high < 0 and delta.test == "exact McNemar" and qa.comparison.n_pairs == 20
    assert [(e, c.metric) for e, c in diff.regressions()] == [("qa", "exact_match"), ("qa", "f1")]
    stable = {e.experiment_id: e for e in diff.experiments}["stable"]
    assert {change.status for change in stable.changes} == {UNCLEAR}
    assert IMPROVED not in {c.status for _, c in diff.improvements()}


def test_flipped_examples_are_named_both_ways_by_the_primary_score(runs):
    diff = diff_runs(load_run(runs[0]), load_run(runs[1]))
    qa = {e.experiment_id: e for e in diff.experiments}["qa"]
    assert qa.primary == "exact_match"
    assert qa.right_to_wrong == WORSE and qa.wrong_to_right == BETTER
    assert qa.flipped["ex00"].a == "Paris" and qa.flipped["ex00"].b == "Rome"
    text = to_markdown(diff)
    flip_rows = re.findall(r"^\| (ex\d\d) \|", text, re.MULTILINE)
    assert flip_rows == [*WORSE, *BETTER]
    assert "12 right in A and wrong in B, 1 wrong in A and right in B" in text


def test_flips_can_be_judged_on_another_score(runs):
    raw = runs[1] / "qa.jsonl"
    raw.write_text(raw.read_text().replace('"f1": 0.0', '"f1": 0.6'))
    assert main(["compare", str(runs[0]), str(runs[1]), "--flip-score", "f1"]) == 0
    qa = diff_runs(load_run(runs[0]), load_run(runs[1]), "f1").experiments[0]
    assert qa.primary == "f1" and qa.right_to_wrong == [] and qa.wrong_to_right == BETTER
    unknown = diff_runs(load_run(runs[0]), load_run(runs[1]), "rouge1").experiments[0]
    assert unknown.primary == "exact_match"


def test_experiments_only_one_run_holds_are_listed(runs):
    diff = diff_runs(load_run(runs[0]), load_run(runs[1]))
    assert [e.experiment_id for e in diff.experiments] == ["qa", "stable"]
    assert diff.only_a == ["retired"] and diff.only_b == ["added"]
    text = to_markdown(diff)
    assert "- Only in A: retired" in text and "- Only in B: added" in text
    assert "gates FAILED" in text


def test_the_html_diff_is_self_contained_and_escapes_what_it_shows(runs, tmp_path):
    page = to_html(diff_runs(load_run(runs[0]), load_run(runs[1])))
    assert page.startswith("<!DOCTYPE html>") and "<script" not in page
    assert not re.search(r"""(src|href)\s*=\s*["']?https?:""", page)
    assert '<tr class="regressed"><td>exact_match</td>' in page
    raw = runs[1] / "qa.jsonl"
    raw.write_text(raw.read_text().replace('"Rome"', '"<img src=x>"'))
    page = to_html(diff_runs(load_run(runs[0]), load_run(runs[1])))
    assert "<img" not in page and "&lt;img src=x&gt;" in page


def test_the_command_writes_markdown_to_stdout_or_html_to_a_file(runs, tmp_path, capsys):
    assert main(["compare", str(runs[0]), str(runs[1])]) == 0
    assert capsys.readouterr().out.startswith("# Parity: run B against run A")
    out = tmp_path / "diff.html"
    assert main(["compare", str(runs[0]), str(runs[1]), "--format", "html", "-o", str(out)]) == 0
    assert out.read_text().startswith("<!DOCTYPE html>")


def edit_setup(run_dir, **values):
    document = json.loads((run_dir / "summary.json").read_text())
    document["experiments"][0]["setup"].update(values)
    (run_dir / "summary.json").write_text(json.dumps(document))


def test_what_differs_in_the_setups_is_named(runs):
    edit_setup(runs[0], prompt_sha256="a" * 64)
    edit_setup(runs[0], model_options={"mode": "baseline", "base_url": "http://a/v1"})
    edit_setup(runs[1], prompt="question_first.yaml", prompt_sha256="b" * 64,
               model_options={"mode": "baseline", "base_url": "http://b/v1", "seed": 1})  # fmt: skip
    diff = diff_runs(load_run(runs[0]), load_run(runs[1]))
    assert diff.experiments[0].setup_changes == [
        "prompt: rag_qa → question_first.yaml",
        f"prompt template: {'a' * 12}… → {'b' * 12}…",
        "model options base_url: http://a/v1 → http://b/v1",
        "model options seed: None → 1",
    ]
    assert "Setup A → B: prompt: rag_qa → question_first.yaml; prompt template:" in to_markdown(
        diff
    )


def test_latest_is_followed_to_the_run_it_names(runs, tmp_path):
    (tmp_path / "latest").symlink_to(runs[1].name)
    (tmp_path / "LATEST").write_text(f"{runs[0].name}\n")
    assert load_run(tmp_path / "latest").path == runs[1].resolve()
    assert load_run(tmp_path / "LATEST").path == runs[0]


@pytest.mark.parametrize("make", ["missing", "empty", "not_json", "no_experiments"])
def test_a_folder_that_is_no_run_is_one_line_naming_it(runs, tmp_path, capsys, make):
    bad = tmp_path / "bad"
    if make != "missing":
        bad.mkdir()
    if make == "not_json":
        (bad / "summary.json").write_text("{cut")
    if make == "no_experiments":
        (bad / "summary.json").write_text("{}")
    assert main(["compare", str(runs[0]), str(bad)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("parity compare: ") and str(bad) in err
    with pytest.raises(NotARunFolder):
        load_run(bad)


def test_a_cut_raw_file_is_one_line_naming_it(runs, capsys):
    with (runs[1] / "qa.jsonl").open("a") as handle:
        handle.write('{"id": "cut')
    assert main(["compare", str(runs[0]), str(runs[1])]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and str(runs[1] / "qa.jsonl") in err


def test_the_markdown_diff_escapes_example_text_in_its_tables(runs):
    raw = runs[1] / "qa.jsonl"
    raw.write_text(raw.read_text().replace('"Rome"', '"</script><img src=x onerror=alert(1)> | a"'))
    text = to_markdown(diff_runs(load_run(runs[0]), load_run(runs[1])))
    assert "<img" not in text and "</script>" not in text
    assert "&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt; \\| a" in text
