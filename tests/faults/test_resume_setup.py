"""``--eval-resume`` takes only rows made with the setup it runs with (issue 27, C13): a
changed model, model option, prompt, task or sample is refused with one message naming the
experiment and what changed, before any request; pacing options and a renamed prompt file
(same text) may change."""

from __future__ import annotations

import pytest
import yaml

from parity.errors import ConfigError
from parity.prompts import load_template
from parity.run_setup import check_resume, store_setups, stored_setups
from tests.e2e.helpers import SECRET, answer_from_gold, api_config, clean_env, run_pytest
from tests.support.fake_llm_server import FakeLLMServer

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
        first = run_pytest(tmp_path, f"--eval-config={config}", "--eval-report-dir=run", env=env)
        assert first.returncode == 0, first.stdout + first.stderr
        raw = tmp_path / "run" / "api_exp.jsonl"
        raw.write_text("".join(raw.read_text().splitlines(keepends=True)[:KEPT]))  # killed
        kept, sent = raw.read_bytes(), len(server.requests)
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
        assert "Invalid --eval-resume run (file " in output and "experiment 'api_exp'" in output
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
        first = run_pytest(tmp_path, f"--eval-config={config}", "--eval-report-dir=run", env=env)
        assert first.returncode == 0, first.stdout + first.stderr
        raw = tmp_path / "run" / "api_exp.jsonl"
        raw.write_text("".join(raw.read_text().splitlines(keepends=True)[:KEPT]))
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
