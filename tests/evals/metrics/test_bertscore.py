"""BERTScore with the shipped all-MiniLM-L6-v2 at layer 6 (offline)."""

import pytest

from parity import score
from parity.evals.metrics.bertscore import model_settings


def test_paraphrase_ranks_above_a_wrong_fact_and_unrelated_text():
    reference = ["The meeting was moved to Tuesday because the manager was ill."]
    paraphrase = score(
        "bertscore", "Because the manager was sick, the meeting moved to Tuesday.", reference
    )
    wrong = score(
        "bertscore", "The meeting was moved to Friday because the manager was ill.", reference
    )
    unrelated = score("bertscore", "Penguins live in the southern hemisphere.", reference)
    assert set(paraphrase) == {"bertscore_precision", "bertscore_recall", "bertscore_f1"}
    assert paraphrase["bertscore_f1"] > unrelated["bertscore_f1"]
    assert wrong["bertscore_f1"] > unrelated["bertscore_f1"]
    assert score("bertscore", reference[0], reference)["bertscore_f1"] == pytest.approx(
        1.0, abs=1e-4
    )


def test_model_and_layer_are_recorded():
    settings = model_settings()
    assert "all_minilm_l6_v2" in settings["model"] and settings["num_layers"] == 6


def test_loading_the_model_changes_nothing_process_wide():
    """The model loads by explicit local path, in a fresh process without HF_HUB_OFFLINE:
    no network, and the environment is left as it was (Hub loads later are unaffected)."""
    import subprocess
    import sys

    from tests.support.pytest_runs import clean_env

    env = {k: v for k, v in clean_env().items() if not k.startswith("HF_")}
    program = (
        "import os; from parity import score; "
        "s = score('bertscore', 'a cat', ['a cat']); "
        "print(round(s['bertscore_f1'], 3), sorted(k for k in os.environ if k.startswith('HF_')))"
    )
    result = subprocess.run(
        [sys.executable, "-c", program], env=env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\n")[-2] == "1.0 []"
