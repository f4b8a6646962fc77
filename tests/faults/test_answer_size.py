"""A provider's answer is capped in size while it streams, and a summary never embeds a huge
prediction (red-team A: a 50 MB answer took 628 MB of memory and wrote 191 MB of reports).

The cap (``model.max_response_bytes``, 8 MiB unless set) counts the bytes the deadline
transport reads for one request; past it the request stops with a clear error that is not
retried. The tests set a 64 KiB cap and send a 1 MiB answer.
"""

from __future__ import annotations

import json

import pytest

from parity.engine.budget import Budget
from parity.engine.execution import Engine, ProviderCallError
from parity.fixtures.compressors.scaledown import ScaleDownClient
from parity.fixtures.providers import ChatRequest
from parity.fixtures.providers.anthropic_messages import AnthropicClient
from parity.fixtures.providers.api_base import ApiModelClient
from parity.fixtures.providers.gemini import GeminiClient
from parity.fixtures.providers.openai_chat import OpenAIClient
from parity.record.cache import ResponseCache
from tests.faults.test_redaction import written_text
from tests.support.engine_runs import run_cases, synthetic_cases
from tests.support.fake_llm_server import FakeLLMServer
from tests.support.pytest_runs import api_config, clean_env, run_pytest

CAP = 64 * 1024
TOO_LARGE = "answer larger than 64 KiB; raise model.max_response_bytes"
MESSAGES = ({"role": "user", "content": "q"}, {"role": "user", "content": "c"})


def engine(tmp_path) -> Engine:
    return Engine(ResponseCache(tmp_path, "off"), Budget(None))


def test_an_answer_past_the_cap_is_an_item_error_naming_the_option_not_retried(tmp_path):
    with FakeLLMServer("openai") as server:
        server.faults.append("huge")
        cases = synthetic_cases(server.url, 1, max_response_bytes=CAP)
        [record] = run_cases(engine(tmp_path), cases)
        assert len(server.requests) == 1
    assert record.error is not None and TOO_LARGE in record.error, record.error
    assert len(record.error) < 1000


@pytest.mark.parametrize(
    ("dialect", "client_class", "key_variable"),
    [
        ("anthropic", AnthropicClient, "ANTHROPIC_API_KEY"),
        ("gemini", GeminiClient, "GEMINI_API_KEY"),
        ("openai", ScaleDownClient, "SCALEDOWN_API_KEY"),
    ],
)
def test_every_http_provider_stops_reading_at_the_cap(
    dialect, client_class, key_variable, tmp_path, monkeypatch
):
    """The cap sits in the transport all HTTP providers share: Anthropic, Gemini and
    ScaleDown (whose answer here is well-formed JSON, read as its own answer)."""
    monkeypatch.setenv(key_variable, "k-test-0123456789")
    with FakeLLMServer(dialect) as server:
        server.faults.append("huge")
        client: ApiModelClient = client_class(
            "m", {"base_url": server.url, "max_response_bytes": CAP, "max_retries": 0}
        )
        with pytest.raises(ProviderCallError, match=TOO_LARGE):
            engine(tmp_path).call(client, ChatRequest(messages=MESSAGES, max_tokens=8))
        client.close()
        assert len(server.requests) == 1


def test_an_answer_under_the_cap_is_read_whole(tmp_path):
    with FakeLLMServer("openai") as server:
        server.faults.append("huge")
        server.huge_answer_bytes = CAP // 2
        client = OpenAIClient("m", {"base_url": server.url, "max_response_bytes": CAP})
        completion = engine(tmp_path).call(client, ChatRequest(messages=MESSAGES, max_tokens=8))
        client.close()
    assert completion.text == "A" * (CAP // 2)


def test_the_default_cap_of_8_mib_keeps_a_9_mib_answer_out_of_every_report(tmp_path):
    """The red-team run, scaled down: with no option set a 9 MiB answer is an item error,
    and nothing the run writes (rows, summaries, JUnit, cache) holds it."""
    with FakeLLMServer("openai") as server:
        server.faults.append("huge")
        server.huge_answer_bytes = 9 << 20
        config = api_config(tmp_path, server, num_examples=1, max_retries=0)
        result = run_pytest(
            tmp_path, f"--eval-config={config}", "--junitxml=j.xml", "--eval-report-dir=r",
            f"--eval-cache-dir={tmp_path / 'cache'}", env=clean_env(OPENAI_API_KEY="sk-size"),
        )  # fmt: skip
    output = result.stdout + result.stderr
    assert "answer larger than 8 MiB; raise model.max_response_bytes" in output, output[-3000:]
    assert len(written_text(tmp_path)) < 1 << 20


def test_a_summary_cuts_a_long_prediction_and_says_so(tmp_path):
    """A 200 000-character answer under the cap is scored and kept whole in its raw row;
    the summaries' lowest-scoring examples show its first few hundred characters."""
    long_answer = "Paris? " + "B" * 200_000
    with FakeLLMServer("openai", reply=lambda body: long_answer) as server:
        config = api_config(tmp_path, server, num_examples=1)
        result = run_pytest(
            tmp_path, f"--eval-config={config}", "--eval-report-dir=r",
            env=clean_env(OPENAI_API_KEY="sk-size"),
        )  # fmt: skip
    assert result.returncode in (0, 1), result.stdout + result.stderr
    for name in ("summary.json", "api_exp_summary.json"):
        data = json.loads((tmp_path / "r" / name).read_text())
        experiment = data["experiments"][0] if name == "summary.json" else data
        [row] = experiment["lowest_scoring"]
        assert len(row["prediction"]) < 1000
        assert row["prediction"].startswith("Paris? BBB")
        assert "200007 characters" in row["prediction"]
    assert long_answer in (tmp_path / "r" / "api_exp.jsonl").read_text()
