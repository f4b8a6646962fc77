"""summary.md: the run summary as Markdown tables (snapshot of a fixed summary.json), rebuilt
from the stored JSON alone, and appended (never truncating) to ``$GITHUB_STEP_SUMMARY``."""

import json

from parity.report.reporters.markdown_summary import (
    PAGE,
    cell,
    pytest_parity_run_finished,
    rebuild,
    render,
)

METRICS = {
    "exact_match": {"mean": 0.5, "std": 0.5345, "ci95_low": 0.2152, "ci95_high": 0.7848},
    "macro_f1": {"mean": 0.4, "std": None, "ci95_low": 0.1, "ci95_high": 0.7, "corpus_level": True},
}


def experiment(experiment_id, **extra):
    return {
        "experiment_id": experiment_id, "model": "openai:gpt-4o-mini", "mode": "zero-shot",
        "dataset": "banking77", "task": "classification", "n_examples": 8, "n_failed": 1,
        "n_skipped": 0, "n_invalid_predictions": 1, "metrics": METRICS,
        "latency_ms": {"mean": 410.2, "std": 80.1, "p50": 402.4, "p95": 560.9},
        "tokens": {"avg_input_tokens": 512.25, "avg_output_tokens": 3.5},
        "cost": {"total_usd": 0.00123, "mean_usd": 0.000154},
        "lowest_scoring": [
            {"id": "ex|7", "metric": "exact_match", "score": 0.0, "prediction": "<invalid>",
             "gold": ["card_lost"], "raw_output": "It might be\ncard | lost"},
            {"id": "ex3", "metric": "exact_match", "score": 1.0, "prediction": "card_lost",
             "gold": ["card_lost"]},
        ],
        "error_classes": {"timeout": 1, "invalid_label": 1, "wrong_label": 3},
        **extra,
    }  # fmt: skip


def comparison():
    delta = {
        "n_pairs": 7, "baseline": 0.5714, "candidate": 0.5, "difference": -0.0714,
        "ci_low": -0.3821, "ci_high": 0.2512, "test": "exact McNemar", "p_value": 1.0,
    }  # fmt: skip
    return {
        "baseline": "base",
        "n_pairs": 7,
        "metrics": {"exact_match": delta},
        "resources": {
            "input_tokens": {"baseline": 1000.0, "candidate": 512.25, "change": -0.48775},
            "cost_usd": {"baseline": 0.002, "candidate": 0.00123, "change": -0.385},
            "latency_p50_ms": {"baseline": 500.0, "candidate": 402.4, "change": -0.1952},
            "latency_p95_ms": {"baseline": 600.0, "candidate": None, "change": None},
        },
        "verdicts": {"max_drop.exact_match": "non-inferior"},
        "error_flips": {
            "candidate_wrong_baseline_right": {
                "wrong_label": {"count": 2, "examples": ["ex1", "ex5"]},
            },
            "baseline_wrong_candidate_right": {
                "invalid_label": {"count": 1, "examples": ["ex2"]},
            },
        },
    }


DOCUMENT = {
    "config": "evals/experiments.yaml",
    "experiments": [
        experiment("base", error_classes={"wrong_label": 3}, n_failed=0),
        experiment("cand", comparison=comparison()),
    ],
    "verdicts": [
        "cand vs base  exact_match -0.071 [-0.382, +0.251] n=7 | tokens -49% -> non-inferior"
    ],
    "gates": [
        {
            "name": "cand::max_drop::exact_match",
            "status": "passed",
            "message": "exact_match -0.071 [-0.382, +0.251] vs base: non-inferior (margin 0.4)",
        },
        {
            "name": "cand::threshold::macro_f1",
            "status": "failed",
            "message": "macro_f1 0.4000 < 0.5",
        },
    ],
    "gates_passed": False,
    "holm_adjusted": [
        {
            "candidate": "cand",
            "baseline": "base",
            "metric": "exact_match",
            "p_value": 0.0213,
            "p_holm": 0.0426,
            "test": "exact McNemar",
        },
    ],
    "gate_counts": {"passed": 1, "failed": 1, "skipped": 0},
    "notes": ["banking77: using the shipped sample"],
}


def test_summary_md_of_a_fixed_summary_json(tmp_path, snapshot):
    (tmp_path / "summary.json").write_text(json.dumps(DOCUMENT))
    (page,) = rebuild(tmp_path)
    assert page == tmp_path / PAGE
    text = page.read_text()
    assert text == snapshot
    assert "| cand | ex\\|7 | exact_match | 0.0000 | &lt;invalid&gt; |" in text
    assert "It might be<br>card \\| lost" in text
    assert "ex3" not in text  # a perfect score is not among the lowest-scoring shown


def test_cells_escape_pipes_newlines_and_html():
    assert cell("a|b\nc\r\nd <e> & f") == "a\\|b<br>c<br>d &lt;e&gt; &amp; f"
    assert (cell(None), cell(0.5), cell(3)) == ("n/a", "0.5000", "3")


def test_the_step_summary_is_appended_to_never_truncated(tmp_path, monkeypatch):
    step = tmp_path / "step.md"
    step.write_text("earlier step\n")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(step))
    run_dir = tmp_path / "run"
    pytest_parity_run_finished(None, DOCUMENT, run_dir)  # no summary.json: from the document
    page = (run_dir / PAGE).read_text()
    assert page == render(DOCUMENT)
    pytest_parity_run_finished(None, DOCUMENT, run_dir)
    assert step.read_text() == "earlier step\n" + page + page


def test_a_step_summary_that_cannot_be_written_is_one_warning_line(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(tmp_path))  # a folder: open() fails
    pytest_parity_run_finished(None, DOCUMENT, tmp_path / "run")
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith("parity: warning: summary.md not appended to $GITHUB_STEP_SUMMARY")
    assert (tmp_path / "run" / PAGE).is_file()


def test_without_the_variable_nothing_but_summary_md_is_written(tmp_path, monkeypatch):
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    (tmp_path / "summary.json").write_text(json.dumps(DOCUMENT))
    pytest_parity_run_finished(None, {"experiments": []}, tmp_path)  # the stored JSON wins
    assert sorted(p.name for p in tmp_path.iterdir()) == ["summary.json", PAGE]
    assert (tmp_path / PAGE).read_text() == render(DOCUMENT)


def test_an_experiment_with_nothing_scored_and_no_gates_renders_as_n_a():
    empty = experiment("solo", n_examples=0, metrics={"f1": dict.fromkeys(METRICS["exact_match"])})
    empty.update(latency_ms=dict.fromkeys(("mean", "std", "p50", "p95")), lowest_scoring=[])
    empty.update(tokens={"avg_input_tokens": None, "avg_output_tokens": None})
    empty["comparison"] = {"baseline": "base", "unavailable": "no item of solo was scored"}
    text = render({"config": "c.yaml", "experiments": [empty], "gates": []})
    assert "Config `c.yaml`: no gates" in text and "\n\n\n" not in text
    assert "| solo | f1 | n/a | n/a | n/a |" in text
    assert "| solo | base | n/a |" in text and "no verdict: no item of solo was scored |" in text
