"""Prompt templates render as expected (snapshots) and reject bad input."""

import pytest

from parity.config.errors import DataError
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


def test_classification_shots_do_not_repeat_the_label_list(snapshot):
    labels = ("card_arrival", "lost_or_stolen_card", "top_up_failed")
    example, *shots = [
        Example(id=str(i), question=q, context="", answers=(a,), metadata={"labels": labels})
        for i, (q, a) in enumerate(
            [("My card never came", "card_arrival"), ("Card stolen!", "lost_or_stolen_card"),
             ("Top-up declined", "top_up_failed")]
        )
    ]  # fmt: skip
    task = TASKS.get("classification")
    messages = task.messages(example, load_template("classification"), shots)
    assert sum("top_up_failed" in m["content"] for m in messages) == 2  # the list, one answer
    assert messages == snapshot
    tuned = task.messages(example, load_template("classification_tuned"))
    assert "top_up_failed" not in str(tuned) and "My card never came" in tuned[-1]["content"]


def test_a_template_carries_worked_examples_of_strings(tmp_path):
    shipped = load_template("judge_correctness")
    assert [e["verdict"] for e in shipped.examples] == ["pass", "fail"]
    assert load_template("rag_qa").examples == ()
    bad = tmp_path / "bad.yaml"
    bad.write_text("user: '{question}'\nexamples: [{question: [not, a, string]}]\n")
    with pytest.raises(DataError, match="'examples' must be a list of mappings of strings"):
        load_template(str(bad))
