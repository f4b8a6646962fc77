"""Tasks: answer parsing, label mapping, k-shot turns, windows and window merging."""

import pytest

from parity.evals.datasets import Example
from parity.evals.tasks import TASKS
from parity.evals.tasks.classification import map_to_label
from parity.evals.tasks.code import extract_code
from parity.evals.tasks.extraction import windows
from parity.evals.tasks.multiple_choice import parse_choice
from parity.prompts import load_template

EXAMPLE = Example("1", "q?", "ctx", ("a",), {"labels": ("card_arrival", "Lost card")})


def test_rag_qa_parse_keeps_the_answer_line():
    task = TASKS.get("rag_qa")
    assert task.parse("\n Answer: Paris\nBecause...", EXAMPLE) == "Paris"
    assert task.parse("The answer is: Terry Richardson.", EXAMPLE) == "Terry Richardson."
    assert task.parse("", EXAMPLE) == ""


def test_label_mapping_exact_then_case_and_space_insensitive():
    labels = ("card_arrival", "Lost card")
    assert map_to_label("card_arrival", labels) == "card_arrival"
    assert map_to_label("  lost   CARD. ", labels) == "Lost card"
    assert map_to_label("card arrival please", labels) == "<invalid>"
    assert TASKS.get("classification").parse("\nLost card\nextra", EXAMPLE) == "Lost card"


@pytest.mark.parametrize(
    ("text", "letter"),
    [("<answer>C</answer>", "C"), ("B", "B"), ("(d) because", "D"), ("The answer is A", "A"),
     ("I think <answer> b </answer>", "B"), ("none of these", "<invalid>")],
)  # fmt: skip
def test_multiple_choice_parsing(text, letter):
    assert parse_choice(text) == letter


def test_code_extraction():
    assert (
        extract_code("Here:\n```python\ndef f():\n    return 1\n```\nok")
        == "def f():\n    return 1"
    )
    assert extract_code("def g(): pass") == "def g(): pass"


def test_k_shot_examples_become_earlier_turns():
    shot = Example("s", "shot question", "shot ctx", ("shot answer",))
    messages = TASKS.get("rag_qa").messages(EXAMPLE, load_template("rag_qa"), [shot])
    assert [m["role"] for m in messages] == ["system", "user", "assistant", "user"]
    assert "shot question" in messages[1]["content"] and messages[2]["content"] == "shot answer"
    assert "q?" in messages[3]["content"]


def test_windows_cover_the_whole_text_with_overlap():
    text = "".join(chr(65 + i % 26) for i in range(1000))
    parts = windows(text, 300, 50)
    assert all(len(p) <= 300 for p in parts)
    assert parts[0] == text[:300] and text.endswith(parts[-1])
    rebuilt = parts[0] + "".join(p[50:] for p in parts[1:])
    assert rebuilt == text
    assert windows("short", 300, 50) == ["short"]


def test_extraction_keeps_the_most_confident_found_answer():
    task = TASKS.get("extraction")
    merged = task.combine(
        EXAMPLE, [("Not found.", -0.1), ("clause one", -2.0), ("clause two", -0.5)]
    )
    assert merged == ("clause two", -0.5)
    assert task.combine(EXAMPLE, [("Not found.", -0.3), ("Not found.", -0.2)]) == (
        "Not found.",
        -0.2,
    )
    assert task.parse("Not found. The contract says nothing.", EXAMPLE) == "Not found."


def test_extraction_makes_one_request_per_window():
    contract = Example("c", "Find the governing law", "x" * 2500, ("Not found.",))
    requests = TASKS.get("extraction").requests(
        contract, load_template("extraction"), (), {"window_chars": 1000, "window_overlap": 100}
    )
    assert len(requests) == 3
    capped = TASKS.get("extraction").requests(
        contract,
        load_template("extraction"),
        (),
        {"window_chars": 1000, "window_overlap": 100, "max_windows": 1},
    )
    assert len(capped) == 1


def test_a_window_cap_marks_the_question_truncated():
    contract = Example("c", "Find the governing law", "x" * 2500, ("Not found.",))
    task = TASKS.get("extraction")
    options = {"window_chars": 1000, "window_overlap": 100}
    assert not task.truncated(contract, options)
    assert task.truncated(contract, {**options, "max_windows": 2})
    assert not task.truncated(contract, {**options, "max_windows": 3})
