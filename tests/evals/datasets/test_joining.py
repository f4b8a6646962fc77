"""Sentences and passages joined into a context never run together ("…a large city.Japan is…")."""

from __future__ import annotations

from parity.evals.datasets import DATASETS
from parity.evals.datasets.joining import join_passages, join_sentences


def test_sentences_without_their_own_spaces_get_one():
    assert join_sentences(["Tokyo is a large city.", "Japan is in Asia."]) == (
        "Tokyo is a large city. Japan is in Asia."
    )
    assert join_sentences(["no final stop", "Next"]) == "no final stop Next"


def test_sentences_that_bring_their_own_spacing_or_continue_a_quotation_are_kept_as_they_are():
    assert join_sentences(["Paris is big.", " It is old."]) == "Paris is big. It is old."
    assert join_sentences(['the "Crack a Smile...and More!', '" album.']) == (
        'the "Crack a Smile...and More!" album.'
    )
    assert (
        join_sentences(['won in 2010. "', 'Lucifer" also won']) == 'won in 2010. "Lucifer" also won'
    )
    assert join_sentences(['album, "I..', ".", 'Amanda Lepore"']) == 'album, "I...Amanda Lepore"'


def test_passages_are_one_per_line():
    assert join_passages(["First passage.", "Second passage."]) == "First passage.\nSecond passage."


def test_a_hotpotqa_row_rewritten_without_leading_spaces_keeps_its_sentences_apart():
    row = {
        "id": "q1",
        "question": "Which city?",
        "answer": "Tokyo",
        "context": {
            "title": ["Tokyo"],
            "sentences": [["Tokyo is a large city.", "Japan is in Asia."]],
        },
    }
    (example,) = DATASETS.get("hotpotqa")._convert_all([row], "f.jsonl")
    assert example.context == "Tokyo: Tokyo is a large city. Japan is in Asia."
