"""The one fuzzy matcher behind every "did you mean" (issue 30, point 7): hand cases,
properties, provider aliases, data files and marker names."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from parity.config.registry import Registry
from parity.config.suggest import (
    Alias,
    closest,
    marker_spelling,
    respell_marker_expression,
    suggest,
    suggest_file,
)
from parity.evals.metrics.base import METRICS
from parity.evals.tasks.base import TASKS
from parity.fixtures.providers.base import PROVIDERS

# The registered names, written out so that the table does not move with the registries.
METRIC_NAMES = [
    "accuracy", "answer_detection_f1", "aupr", "bertscore", "exact_match", "f1", "macro_f1",
    "pass_at_1", "qa_f1", "retrieval_f1", "retrieval_precision", "retrieval_recall", "rouge1",
    "rouge2", "rougeL", "set_exact_match", "set_f1", "set_precision", "set_recall", "token_f1",
    "weighted_f1",
]  # fmt: skip
DATASET_NAMES = [
    "banking77", "cuad", "ethic", "financebench", "financial_phrasebank", "hotpotqa", "ledgar",
    "longbench", "mbpp", "medmcqa", "ms_marco", "qmsum",
]  # fmt: skip
PROVIDER_NAMES = [
    "anthropic", "claude", "gemini", "hf", "local", "openai", "openai-compatible", "vllm",
]  # fmt: skip
TASK_NAMES = [
    "classification", "code", "extraction", "multiple_choice", "rag_qa", "retrieval",
    "summarization",
]  # fmt: skip
DATASET_KEYS = ["name", "split", "task", "num_examples", "seed", "source", "path", "num_shots"]
CONDITIONS = ["zero-shot", "5-shot", "lora-full", "lora-adapter"]


@pytest.mark.parametrize(
    ("name", "candidates", "expected"),
    [
        # case, separators and noise suffixes
        ("f1_score", METRIC_NAMES, "f1"),
        ("F1-Score", METRIC_NAMES, "f1"),
        ("f1score", METRIC_NAMES, "f1"),
        ("accuracy_score", METRIC_NAMES, "accuracy"),
        ("rouge-l", METRIC_NAMES, "rougeL"),
        ("ROUGE_L", METRIC_NAMES, "rougeL"),
        ("rouge_l_score", METRIC_NAMES, "rougeL"),
        ("rouge-1", METRIC_NAMES, "rouge1"),
        ("bert_score", METRIC_NAMES, "bertscore"),
        ("exactmatch", METRIC_NAMES, "exact_match"),
        ("pass@1", METRIC_NAMES, "pass_at_1"),
        ("hotpot_qa", DATASET_NAMES, "hotpotqa"),
        ("ms-marco", DATASET_NAMES, "ms_marco"),
        ("openai_compatible", PROVIDER_NAMES, "openai-compatible"),
        ("multiple-choice", TASK_NAMES, "multiple_choice"),
        # words in another order; the one name that starts or ends with the words
        ("f1_macro", METRIC_NAMES, "macro_f1"),
        ("rag", TASK_NAMES, "rag_qa"),
        ("phrasebank", DATASET_NAMES, "financial_phrasebank"),
        # typing slips
        ("exact_mach", METRIC_NAMES, "exact_match"),
        ("hotpotq", DATASET_NAMES, "hotpotqa"),
        ("opnai", PROVIDER_NAMES, "openai"),
        ("summarisation", TASK_NAMES, "summarization"),
        ("questoin", ["question", "context"], "question"),
        ("num_exampels", DATASET_KEYS, "num_examples"),
        ("metrix", ["id", "model", "dataset", "task", "metrics"], "metrics"),
        ("3-shot", CONDITIONS, "5-shot"),
        ("exp_aa", ["exp_a", "b"], "exp_a"),
        # nothing close: no guess
        ("ollama", PROVIDER_NAMES, None),
        ("llama", PROVIDER_NAMES, None),
        ("f2", METRIC_NAMES, None),
        ("bleu", METRIC_NAMES, None),
        ("perplexity", METRIC_NAMES, None),
        ("squad", DATASET_NAMES, None),  # not 'cuad': two slips in five letters is too many
        ("set", METRIC_NAMES, None),  # set_f1, set_recall, ...: ambiguous
        ("precision", METRIC_NAMES, None),  # retrieval_ or set_precision: ambiguous
        ("xyz", METRIC_NAMES, None),
        ("", METRIC_NAMES, None),
        ("--", METRIC_NAMES, None),
    ],
)
def test_hand_cases(name, candidates, expected):
    assert closest(name, candidates) == expected


@pytest.mark.parametrize(
    ("provider", "base_url"),
    [
        ("ollama", "http://localhost:11434/v1"),
        ("Ollama", "http://localhost:11434/v1"),
        ("olama", "http://localhost:11434/v1"),
        ("lmstudio", "http://localhost:1234/v1"),
        ("lm-studio", "http://localhost:1234/v1"),
        ("LM_Studio", "http://localhost:1234/v1"),
        ("llamafile", "http://localhost:8080/v1"),
        ("llamacpp", "http://localhost:8080/v1"),
    ],
)
def test_local_servers_are_suggested_as_openai_compatible_with_their_base_url(provider, base_url):
    hint = PROVIDERS.suggestion(provider)
    assert hint is not None
    assert hint.startswith("did you mean 'openai-compatible'?")
    assert f"'openai-compatible:<model>' with base_url: {base_url}" in hint


def test_the_unknown_message_carries_the_suggestion():
    assert METRICS.unknown_message("f1_score").startswith(
        "unknown metric 'f1_score'; did you mean 'f1'? valid: accuracy,"
    )
    assert "did you mean 'rag_qa'?" in TASKS.unknown_message("qa")
    message = PROVIDERS.unknown_message("ollama")
    assert "did you mean 'openai-compatible'?" in message and "11434" in message
    assert "'vllm'" not in message.split("valid:")[0]


def test_an_alias_is_suggested_only_when_its_target_is_a_candidate():
    aliases = {"ollama": Alias("openai-compatible", "advice")}
    assert suggest("ollama", ["openai", "vllm"], aliases) is None
    found = suggest("ollama", ["openai-compatible"], aliases)
    assert found is not None and found.hint() == "did you mean 'openai-compatible'? (advice)"


def test_a_registry_suggests_but_never_accepts_an_alias():
    registry: Registry[int] = Registry("thing", aliases={"other": Alias("one")})
    registry.register("one")(1)
    assert "other" not in registry
    with pytest.raises(KeyError, match="did you mean 'one'"):
        registry.get("other")


NAMES = st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJ0123456789_-.@", max_size=14)
UNRELATED = st.text(alphabet="ΔΘΛΞΠΣΦΨΩäöü", min_size=1, max_size=14)


@settings(max_examples=300, deadline=None)
@given(name=NAMES, candidates=st.lists(NAMES, max_size=8), target=NAMES)
def test_a_suggestion_is_always_a_candidate(name, candidates, target):
    assert closest(name, candidates) in [*candidates, None]
    found = suggest(name, candidates, {name: Alias(target)})
    assert found is None or found.name in candidates


@settings(max_examples=300, deadline=None)
@given(candidates=st.lists(NAMES, min_size=1, max_size=8))
def test_an_exact_candidate_matches_itself(candidates):
    for candidate in candidates:
        assert closest(candidate, candidates) == candidate


@settings(max_examples=300, deadline=None)
@given(
    candidates=st.lists(NAMES.filter(lambda n: any(c.isalnum() for c in n)), min_size=1, max_size=8)
)
def test_a_candidate_in_other_case_and_separators_is_found(candidates):
    for candidate in candidates:
        variant = candidate.upper().replace("_", "-")
        found = closest(variant, candidates)
        assert found is not None and squashed(found) == squashed(candidate)


def squashed(name: str) -> str:
    return "".join(c for c in name.replace("@", "at").casefold() if c.isalnum())


@settings(max_examples=300, deadline=None)
@given(name=UNRELATED, candidates=st.lists(NAMES, max_size=8))
def test_unrelated_names_get_no_suggestion(name, candidates):
    assert closest(name, candidates) is None


@pytest.mark.parametrize(
    ("missing", "present", "expected"),
    [
        ("capitals.jsonl", ["capitals.json", "notes.txt"], "capitals.json"),
        ("capitals.jsonl", ["capital.jsonl", "countries.jsonl"], "capital.jsonl"),
        ("capitals.jsonl", ["Capitals.CSV", "notes.txt"], "Capitals.CSV"),
        ("data.jsonl", ["train.jsonl", "test.jsonl"], None),
        ("capitals.jsonl", [".capitals.jsonl"], None),
    ],
)
def test_a_missing_data_file_suggests_the_file_beside_it(
    tmp_path, monkeypatch, missing, present, expected
):
    (tmp_path / "data").mkdir()
    for name in present:
        (tmp_path / "data" / name).write_text("{}\n")
    monkeypatch.chdir(tmp_path)
    found = suggest_file(Path("data") / missing)
    assert found == (Path("data") / expected if expected else None)


def test_a_missing_folder_suggests_no_file(tmp_path):
    assert suggest_file(tmp_path / "nowhere" / "capitals.jsonl") is None


MARKERS = ["openai_compatible", "hotpotqa", "gpt_4o", "slow"]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("openai-compatible", "openai_compatible"),
        ("openai_compatible", "openai_compatible"),
        ("gpt-4o", "gpt_4o"),
        ("HotpotQA", "hotpotqa"),
        ("vllm", None),
        ("hotpotq", None),  # a typo is for "did you mean", not a silent respelling
    ],
)
def test_marker_spelling(name, expected):
    assert marker_spelling(name, MARKERS) == expected


def test_a_mark_expression_is_respelled_word_by_word():
    expression = "openai-compatible and not (gpt-4o or slow) and 'openai-compatible' and vllm"
    assert respell_marker_expression(expression, MARKERS) == (
        "openai_compatible and not (gpt_4o or slow) and 'openai-compatible' and vllm"
    )
