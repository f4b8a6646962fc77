"""The Hugging Face push's layout, built without the network: the run folder's files under
``runs/<run>/``, hidden files left out."""

from __future__ import annotations

from parity.report.hf_upload import build_upload_folder


def test_the_upload_folder_holds_the_run_folder_under_runs(tmp_path):
    run_dir = tmp_path / "reports" / "20261202-140000"
    (run_dir / "assets").mkdir(parents=True)
    for name, text in {
        "full.jsonl": '{"id": "a"}\n',
        "full_summary.json": "{}\n",
        "full_summary.csv": "subset\n",
        "summary.json": "{}\n",
        "report.html": "<html></html>\n",
        ".parity.lock": "123\n",
        "assets/plot.svg": "<svg/>\n",
        "assets/.hidden": "x\n",
    }.items():
        (run_dir / name).write_text(text)
    staging = tmp_path / "staging"

    target = build_upload_folder(run_dir, staging)

    assert target == staging / "runs" / "20261202-140000"
    laid_out = sorted(str(p.relative_to(staging)) for p in staging.rglob("*") if p.is_file())
    assert laid_out == [
        "runs/20261202-140000/assets/plot.svg",
        "runs/20261202-140000/full.jsonl",
        "runs/20261202-140000/full_summary.csv",
        "runs/20261202-140000/full_summary.json",
        "runs/20261202-140000/report.html",
        "runs/20261202-140000/summary.json",
    ]
    assert (target / "full.jsonl").read_text() == '{"id": "a"}\n'
