"""``--eval-resume`` takes only rows made with the setup it runs with (issue 27, C13): a
changed model, model option, prompt, task or sample is refused with one message naming the
experiment and what changed, before any request; pacing options and a renamed prompt file
(same text) may change."""

from __future__ import annotations

import json

import pytest
import yaml

from parity.analysis.baselines import BaselineSource, check_stored, content_sha256, experiment_setup
from parity.config.config import parse_config
from parity.config.errors import ConfigError
from parity.evals.datasets.base import Example
from parity.prompts import load_template
from parity.record.run_setup import check_resume, store_setups, stored_setups, with_endpoint
from tests.support.fake_llm_server import FakeLLMServer
from tests.support.pytest_runs import (
    SECRET,
    answer_from_gold,
    api_config,
    clean_env,
    one_experiment,
    run_pytest,
)

N = 8
KEPT = 4


def _changed(config, tmp_path, **model):
    """The config with ``model`` options changed and, with ``prompt``, another prompt file."""
    prompt = model.pop("prompt", None)
    experiments = yaml.safe_load(config.read_text())
    experiments[0]["model"].update(model)
    if prompt is not None:
        experiments[0]["task"]["prompt"] = str(prompt)
    changed = tmp_path / "changed.yaml"
    changed.write_text(yaml.safe_dump(experiments, sort_keys=False))
    return changed


def _prompt(tmp_path, name, extra=""):
    """A prompt file with the shipped rag_qa text, plus ``extra`` in its system part."""
    shipped = load_template("rag_qa")
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump({"system": shipped.system + extra, "user": shipped.user}))
    return path


@pytest.mark.parametrize("workers", [[], ["-n", "2"]], ids=["serial", "xdist"])
def test_resume_with_another_model_temperature_and_prompt_is_refused(tmp_path, workers):
    env = clean_env(OPENAI_API_KEY=SECRET)
    with FakeLLMServer("openai", reply=answer_from_gold) as server:
        config = api_config(tmp_path, server, num_examples=N, max_concurrency=1)
        kept = _first_run_then_keep(tmp_path, config, KEPT, env)
        raw, sent = tmp_path / "run" / "api_exp.jsonl", len(server.requests)
        changed = _changed(
            config, tmp_path, name="openai:gpt-4o-mini", temperature=0.7,
            prompt=_prompt(tmp_path, "mine", " Be brief."),
        )  # fmt: skip
        resumed = run_pytest(
            tmp_path, f"--eval-config={changed}", "--eval-resume=run", "--eval-cache=off",
            *workers, env=env,
        )  # fmt: skip
        output = resumed.stdout + resumed.stderr
        assert resumed.returncode != 0, output
        assert "Invalid --parity-resume run (file " in output and "experiment 'api_exp'" in output
        assert "resuming would mix the two" in output
        assert "model: rows made with 'openai:gpt-4o', now 'openai:gpt-4o-mini'" in output
        assert "model_options.temperature: rows made with unset, now 0.7" in output
        assert "prompt_sha256: rows made with '" in output and "(prompt 'rag_qa', now '" in output
        assert "Fix: resume with the setup those rows were made with" in output
        assert " passed" not in output and " resumed" not in output
        assert raw.read_bytes() == kept and len(server.requests) == sent  # nothing sent or added


def test_resume_with_only_pacing_changed_and_the_same_prompt_renamed_takes_the_rows(tmp_path):
    env = clean_env(OPENAI_API_KEY=SECRET)
    with FakeLLMServer("openai", reply=answer_from_gold) as server:
        config = api_config(tmp_path, server, num_examples=N, max_concurrency=1)
        _first_run_then_keep(tmp_path, config, KEPT, env)
        sent = len(server.requests)
        changed = _changed(
            config, tmp_path, max_concurrency=3, timeout_s=30,
            prompt=_prompt(tmp_path, "renamed"),
        )  # fmt: skip
        resumed = run_pytest(
            tmp_path, f"--eval-config={changed}", "--eval-resume=run", "--eval-cache=off", env=env
        )
        output = resumed.stdout + resumed.stderr
        assert resumed.returncode == 0, output
        assert f"{KEPT} resumed" in output and len(server.requests) - sent == N - KEPT


SETUP = {"model": "openai:gpt-4o", "model_options": {"temperature": 0.0}, "prompt": "rag_qa"}


def test_rows_without_a_stored_setup_are_refused_naming_the_file(tmp_path):
    (tmp_path / "exp.jsonl").write_text('{"id": "1"}\n')
    with pytest.raises(ConfigError) as error:
        check_resume("cfg.yaml", tmp_path, {"exp": SETUP}, {"exp": ["exp"]})
    message = str(error.value)
    assert "experiment 'exp'" in message and "setups.ndjson" in message
    assert "not the setup they were made with" in message and "Fix: " in message


def test_only_experiments_with_rows_are_checked_and_a_prompt_rename_may_differ(tmp_path):
    store_setups(tmp_path, {"exp": SETUP, "other": {**SETUP, "model": "openai:gpt-4o-mini"}})
    (tmp_path / "exp_longbook.jsonl").write_text('{"id": "1"}\n')  # a subset's rows
    setups = {"exp": {**SETUP, "prompt": "renamed.yaml"}, "other": SETUP}  # other has no rows
    check_resume("cfg.yaml", tmp_path, setups, {"exp": ["exp_longbook"], "other": ["other"]})
    with pytest.raises(
        ConfigError, match=r"model_options\.temperature: rows made with 0\.0, now 1\.0"
    ):
        changed = {**SETUP, "model_options": {"temperature": 1.0}}
        check_resume("cfg.yaml", tmp_path, {"exp": changed}, {"exp": ["exp_longbook"]})


def test_the_setup_is_stored_beside_the_rows_without_pacing_options_or_keys(tmp_path):
    env = clean_env(OPENAI_API_KEY=SECRET)
    with FakeLLMServer("openai", reply=answer_from_gold) as server:
        config = api_config(tmp_path, server, num_examples=2)
        first = run_pytest(tmp_path, f"--eval-config={config}", "--eval-report-dir=run", env=env)
        assert first.returncode == 0, first.stdout + first.stderr
    text = (tmp_path / "run" / "setups.ndjson").read_text()
    stored = stored_setups(tmp_path / "run")["api_exp"]
    assert stored["model"] == "openai:gpt-4o" and "max_concurrency" not in stored["model_options"]
    assert stored["model_options"]["base_url"] == server.url and SECRET not in text


def test_the_latest_setup_of_an_experiment_counts_and_a_torn_setup_line_is_skipped(tmp_path):
    store_setups(tmp_path, {"exp": SETUP})
    with (tmp_path / "setups.ndjson").open("a") as file:
        file.write('{"experiment_id": "exp", "setup": {"mod')  # killed mid-append
    changed = {**SETUP, "model": "openai:gpt-4o-mini"}
    store_setups(tmp_path, {"exp": changed})  # a resume that found no rows of exp
    assert stored_setups(tmp_path) == {"exp": changed}


ROW = {"question": "Who wrote it?", "context": {"title": ["T"], "sentences": [["Ed wrote it."]]}}


def _rows(path, answer):
    """Four hotpotqa rows in ``path``, each answered ``answer``."""
    rows = [{**ROW, "id": f"q{i}", "answer": answer} for i in range(4)]
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))


def _first_run_then_keep(tmp_path, config, kept, env):
    """Run ``config`` into ``run/``, then keep its first ``kept`` rows (a killed run)."""
    first = run_pytest(tmp_path, f"--eval-config={config}", "--eval-report-dir=run", env=env)
    assert first.returncode == 0, first.stdout + first.stderr
    raw = tmp_path / "run" / "api_exp.jsonl"
    raw.write_text("".join(raw.read_text().splitlines(keepends=True)[:kept]))
    return raw.read_bytes()


def test_resume_over_edited_rows_is_refused_naming_the_dataset_content(tmp_path):
    env = clean_env(OPENAI_API_KEY=SECRET)
    data = tmp_path / "data.jsonl"
    _rows(data, "Ed")
    with FakeLLMServer("openai", reply=answer_from_gold) as server:
        config = api_config(tmp_path, server, num_examples=4)
        experiments = yaml.safe_load(config.read_text())
        experiments[0]["dataset"] = {"name": "hotpotqa", "path": str(data), "num_examples": 4}
        config.write_text(yaml.safe_dump(experiments))
        kept = _first_run_then_keep(tmp_path, config, 2, env)
        _rows(data, "Bob")  # every answer changed, same ids
        resumed = run_pytest(
            tmp_path, f"--eval-config={config}", "--eval-resume=run", "--eval-cache=off", env=env
        )
    output = resumed.stdout + resumed.stderr
    assert resumed.returncode != 0, output
    assert "experiment 'api_exp'" in output and " resumed" not in output
    assert "dataset content: rows differ from those the stored rows were made with" in output
    assert (tmp_path / "run" / "api_exp.jsonl").read_bytes() == kept


def test_resume_against_another_endpoint_from_the_environment_is_refused(tmp_path):
    with FakeLLMServer("openai", reply=answer_from_gold) as a, FakeLLMServer("openai") as b:
        config = api_config(tmp_path, a, num_examples=2)
        experiments = yaml.safe_load(config.read_text())
        del experiments[0]["model"]["base_url"]  # the URL comes from OPENAI_BASE_URL
        config.write_text(yaml.safe_dump(experiments))
        env = clean_env(OPENAI_API_KEY=SECRET, OPENAI_BASE_URL=a.url)
        kept = _first_run_then_keep(tmp_path, config, 1, env)
        assert stored_setups(tmp_path / "run")["api_exp"]["endpoint"].startswith(a.url)
        env["OPENAI_BASE_URL"] = b.url
        resumed = run_pytest(
            tmp_path, f"--eval-config={config}", "--eval-resume=run", "--eval-cache=off", env=env
        )
        output = resumed.stdout + resumed.stderr
        assert resumed.returncode != 0, output
        assert f"endpoint: rows made with '{a.url}" in output and f"now '{b.url}" in output
        assert " resumed" not in output and not b.requests
        assert (tmp_path / "run" / "api_exp.jsonl").read_bytes() == kept


def test_the_stored_endpoint_holds_no_credentials():
    setup = with_endpoint(SETUP, "https://user:pw@host.example:8443/v1?x=1")
    assert setup["endpoint"] == "https://host.example:8443/v1?x=1" and "pw" not in str(setup)


def test_a_stored_baseline_made_from_edited_rows_is_refused_and_one_without_a_hash_warned(
    tmp_path,
):
    config = parse_config([one_experiment()], "cfg.yaml")
    exp = config.experiments[0]
    stored = {"experiment_id": "exp", "setup": experiment_setup(exp, ["a1"], "a" * 64)}
    (tmp_path / "exp_summary.json").write_text(json.dumps(stored))
    source = BaselineSource("exp", tmp_path)
    same = experiment_setup(exp, ["a1"], "a" * 64)
    assert check_stored("cfg.yaml", exp, source, same, "baseline.run").warnings == ()
    with pytest.raises(ConfigError, match="was made from other rows under the same example ids"):
        check_stored("cfg.yaml", exp, source, {**same, "content_sha256": "b" * 64}, "baseline.run")
    del stored["setup"]["content_sha256"]  # a summary written before content hashes
    (tmp_path / "exp_summary.json").write_text(json.dumps(stored))
    (warning,) = check_stored("cfg.yaml", exp, source, same, "baseline.run").warnings
    assert "dataset content cannot be checked" in warning


def test_the_content_hash_covers_every_field_the_model_sees_or_is_scored_on():
    base = Example("1", "Q", "C", ("A",), {"choices": ["x", "y"]})
    edits = [
        Example("1", "Q2", "C", ("A",), {"choices": ["x", "y"]}),
        Example("1", "Q", "C2", ("A",), {"choices": ["x", "y"]}),
        Example("1", "Q", "C", ("B",), {"choices": ["x", "y"]}),
        Example("1", "Q", "C", ("A",), {"choices": ["x", "z"]}),
    ]
    digest = content_sha256([base])
    assert digest == content_sha256([Example("1", "Q", "C", ("A",), {"choices": ["x", "y"]})])
    assert all(content_sha256([edit]) != digest for edit in edits)
    assert content_sha256([base], [edits[0]]) != digest  # the shots too


def test_a_setup_stored_before_secrets_were_masked_is_read_masked(tmp_path):
    """A run folder written before secret-named settings were masked: its setup compares
    equal to the masked one, and no message repeats the stored secret."""
    secret = "sk-old-secret-123"
    body = {"extra_body": {"api_key": secret}}
    exp = parse_config([one_experiment(model=body)], "cfg.yaml").experiments[0]
    setup = experiment_setup(exp, ["a1"], "a" * 64)
    old = {**setup, "model_options": {**setup["model_options"], **body}}
    store_setups(tmp_path, {"exp": old})
    assert stored_setups(tmp_path)["exp"] == json.loads(json.dumps(setup))
    (tmp_path / "exp_summary.json").write_text(json.dumps({"experiment_id": "exp", "setup": old}))
    hotter = parse_config([one_experiment(model={**body, "temperature": 0.5})], "cfg.yaml")
    now = experiment_setup(hotter.experiments[0], ["a1"], "a" * 64)
    source = BaselineSource("exp", tmp_path)
    (warning,) = check_stored("cfg.yaml", exp, source, now, "baseline.run").warnings
    assert "model options" in warning and secret not in warning
