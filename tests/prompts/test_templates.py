"""Prompt templates render as expected (snapshots) and reject bad input."""

import pytest

from parity.errors import DataError
from parity.evals.datasets import Example
from parity.evals.tasks import TASKS
from parity.prompts import load_template, template_names


def test_rag_qa_rendering(snapshot):
    example = Example(
        id="1", question="Who wrote {braces}?", context="Doc: text with {x}", answers=("a",)
    )
    messages = TASKS.get("rag_qa").messages(example, load_template("rag_qa"))
    assert messages == snapshot


def test_shipped_templates_and_errors(tmp_path):
    assert "rag_qa" in template_names()
    with pytest.raises(DataError, match="unknown prompt template 'nope'"):
        load_template("nope")
    custom = tmp_path / "mine.yaml"
    custom.write_text("user: 'Q: {question}'\n")
    template = load_template(str(custom))
    assert template.render({"question": "why"}) == [{"role": "user", "content": "Q: why"}]
    with pytest.raises(DataError, match="needs value"):
        template.render({})
