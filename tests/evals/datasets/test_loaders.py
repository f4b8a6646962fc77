"""Every loader on the shipped real sample, on schema fixtures, and on malformed files."""

import json

import pytest

from parity.config.errors import DataError
from parity.evals.datasets import DATASETS
from tests.conftest import REPO

FIXTURES = REPO / "tests" / "data" / "schema_fixtures"

SHIPPED = {
    # name: (split, subset, rows, first gold answer)
    "hotpotqa": ("validation", None, 32, ("yes",)),
    "financebench": ("train", None, 50, ("$1577.00",)),
    "banking77": ("test", None, 3080, ("card_arrival",)),
    "ledgar": ("test", None, 60, None),
    "financial_phrasebank": ("train", None, 60, ("negative",)),
    "medmcqa": ("validation", None, 50, ("A",)),
    "mbpp": ("test", None, 30, None),
    "cuad": ("test", None, 41, ("SUPPLY CONTRACT",)),
    "ms_marco": ("test", None, 1, ("3",)),
    "qmsum": ("test", "specific", None, None),
}


@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_shipped_sample_loads(name):
    split, subset, rows, first_answer = SHIPPED[name]
    loaded = DATASETS.get(name).load(split, "shipped", None, subset)
    assert loaded.examples and "shipped real sample" in loaded.note
    if rows is not None:
        assert len(loaded.examples) == rows
    if first_answer is not None:
        assert loaded.examples[0].answers == first_answer
    assert len({e.id for e in loaded.examples}) == len(loaded.examples)


def test_longbench_all_tasks_skips_the_missing_one_with_a_note():
    loaded = DATASETS.get("longbench").load("test", "shipped", None, None)
    assert sorted(e.metadata["subset"] for e in loaded.examples) == [
        "2wikimqa",
        "multifieldqa_en",
        "qasper",
    ]
    assert "narrativeqa: skipped" in loaded.note


def test_qmsum_flattens_meetings_into_queries():
    loaded = DATASETS.get("qmsum").load("test", "shipped", None, None)
    assert len(loaded.examples) == 155
    specific = [e for e in loaded.examples if e.metadata["subset"] == "specific"]
    general = [e for e in loaded.examples if e.metadata["subset"] == "general"]
    assert specific and general
    assert len(specific[0].context) < len(general[0].context)  # span turns vs whole meeting


def test_cuad_is_balanced_between_present_and_absent():
    loader = DATASETS.get("cuad")
    balanced = loader.select(loader.load("test", "shipped", None).examples, seed=1)
    present = [e for e in balanced if e.metadata["present"]]
    assert len(present) == 6 and len(balanced) == 12
    assert all(e.answers == ("Not found.",) for e in balanced if not e.metadata["present"])


def test_labels_follow_hub_classlabel_order():
    assert DATASETS.get("financial_phrasebank").label_names() == ["negative", "neutral", "positive"]
    assert len(DATASETS.get("banking77").label_names()) == 77
    assert len(DATASETS.get("ledgar").label_names()) == 100


@pytest.mark.parametrize(
    ("name", "fixture", "subset", "expected"),
    [
        (
            "ethic",
            "ethic_recalling.jsonl",
            "Recalling",
            [("first listed item", "second listed item"), ("alpha", "beta")],
        ),
        ("ms_marco", "ms_marco_v2.1.jsonl", None, [("2",)]),
        ("longbench", "longbench_narrativeqa.jsonl", "narrativeqa", [("FIXTURE answer",)]),
    ],
)
def test_loaders_without_real_samples_read_schema_fixtures(name, fixture, subset, expected):
    loaded = DATASETS.get(name).load(None, "shipped", str(FIXTURES / fixture), subset)
    assert [e.answers for e in loaded.examples] == expected


def test_ethic_ships_nothing_and_says_how_to_get_it():
    with pytest.raises(DataError, match=r"set dataset\.source: hub or dataset\.path"):
        DATASETS.get("ethic").load(None, "shipped", None, "Recalling")


@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_malformed_rows_give_a_clear_error(name, tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps({"unexpected": 1}) + "\n")
    with pytest.raises(DataError, match="lacks field"):
        DATASETS.get(name).load(None, "shipped", str(path))


def test_invalid_json_and_bad_labels(tmp_path):
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"text": "a", "label": 1}\n{not json\n')
    with pytest.raises(DataError, match=r"broken.jsonl:2: not valid JSON"):
        DATASETS.get("banking77").load(None, "shipped", str(broken))
    out_of_range = tmp_path / "labels.jsonl"
    out_of_range.write_text('{"text": "a", "label": 500}\n')
    with pytest.raises(DataError, match="label 500 is not an index"):
        DATASETS.get("banking77").load(None, "shipped", str(out_of_range))


def test_unknown_subset_and_truncated_download():
    with pytest.raises(DataError, match="has no task 'narrative'"):
        DATASETS.get("longbench").load("test", "shipped", None, "narrative")
    loader = DATASETS.get("banking77")
    with pytest.raises(DataError, match="has 5 rows, expected 3080"):
        loader._check_row_count([{}] * 5, "test")


def test_hub_source_uses_datasets_load_dataset(tmp_path, monkeypatch):
    """``source: hub`` goes through the real ``datasets.load_dataset``; a local folder named
    like the Hub id is what it resolves first, so the real code path runs offline."""
    shipped = REPO / "evals" / "data" / "banking77"
    folder = tmp_path / "PolyAI" / "banking77"
    folder.mkdir(parents=True)
    (folder / "test.jsonl").write_text((shipped / "test.jsonl").read_text())
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    loaded = DATASETS.get("banking77").load("test", "hub", None)
    assert len(loaded.examples) == 3080 and loaded.source == "PolyAI/banking77"
    (folder / "test.jsonl").write_text(
        (shipped / "test.jsonl").read_text().split("\n", 1)[0] + "\n"
    )
    with pytest.raises(DataError, match="has 1 rows, expected 3080"):
        DATASETS.get("banking77").load("test", "hub", None)


def test_auto_source_falls_back_to_the_shipped_sample_offline(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    loaded = DATASETS.get("medmcqa").load(None, "auto", None)
    assert len(loaded.examples) == 50 and "shipped real sample" in loaded.note
