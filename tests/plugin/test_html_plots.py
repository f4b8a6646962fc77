"""The HTML report's plots: hand-written SVG (well-formed, escaped) and the data behind each
plot (the Pareto frontier, compression deltas, whiskers, confusion counts, histograms), and
a plot without data left out with a note."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from parity.report.html import plots, svg


def parse(chart: str) -> ET.Element:
    return ET.fromstring(chart)  # well-formed XML, or this raises


def summary(experiment_id, mean, cost=None, dataset="hotpotqa", **extra):
    stats = {"mean": mean, "ci95_low": mean - 0.1, "ci95_high": mean + 0.1}
    return {"experiment_id": experiment_id, "dataset": dataset, "task": "rag_qa",
            "metrics": {"f1": stats}, "cost": {"mean_usd": cost},
            "tco": {"cost_per_query_usd": cost}, **extra}  # fmt: skip


def test_nice_ticks_are_round_and_cover_the_range():
    assert svg.nice_ticks(0.0, 1.0) == [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]
    assert svg.nice_ticks(3.0, 47.0) == [10.0, 20.0, 30.0, 40.0]


def test_the_pareto_frontier_is_every_point_no_other_beats_on_cost_and_score():
    points = [svg.Point("cheap", 1.0, 0.5), svg.Point("best", 2.0, 0.7),
              svg.Point("worse", 3.0, 0.6), svg.Point("tie", 2.0, 0.7)]  # fmt: skip
    marked = {p.label: p.marked for p in plots.pareto(points)}
    assert marked == {"cheap": True, "best": True, "worse": False, "tie": True}


def test_accuracy_vs_cost_draws_the_frontier_and_a_whisker_per_experiment():
    figures = plots.cost_accuracy(
        [summary("a", 0.5, 1e-4), summary("b", 0.7, 2e-4), summary("c", 0.6, 3e-4)]
    )
    (figure,) = figures
    root = parse(figure.svg)
    circles = [c for c in root.iter("circle")]
    assert [c.get("class") for c in circles] == ["point marked", "point marked", "point"]
    assert len(root.findall("polyline")) == 1
    assert "red: the Pareto frontier" in "".join(root.itertext())
    assert len([w for w in root.iter("line") if w.get("class") == "whisker"]) == 3
    assert figure.title == "f1 vs cost per query: hotpotqa"


def test_accuracy_vs_cost_is_left_out_with_a_note_without_two_priced_experiments():
    (figure,) = plots.cost_accuracy([summary("a", 0.5, None), summary("b", 0.7, 1e-4)])
    assert figure.svg is None and "known cost per query" in figure.note


def test_compression_delta_plots_each_compressed_pair_at_its_ratio():
    compressed = summary("squeezed", 0.6, measurements={"compression_ratio": {"mean": 0.3}},
                         comparison={"baseline": "full", "metrics": {"f1": {
                             "difference": -0.1, "ci_low": -0.2, "ci_high": 0.0}}})  # fmt: skip
    figure = plots.compression_delta([summary("full", 0.7), compressed])
    root = parse(figure.svg)
    (circle,) = root.iter("circle")
    assert "squeezed vs full" in circle.find("title").text
    assert "compression ratio (compressed / original tokens) 0.3" in circle.find("title").text
    assert any(line.get("class") == "zero" for line in root.iter("line"))
    assert plots.compression_delta([summary("full", 0.7)]).svg is None


def test_bars_per_experiment_and_per_task_carry_interval_whiskers():
    (figure,) = plots.experiment_bars([summary("a", 0.5, condition="zero-shot"), summary("b", 0.7)])
    root = parse(figure.svg)
    assert len(root.findall("rect")) == 2
    assert (
        len([w for w in root.iter("line") if w.get("class") == "whisker"]) == 2 * 3
    )  # stem, 2 caps
    assert "a (zero-shot)" in "".join(root.itertext())
    assert (
        plots.experiment_bars([summary("a", 0.5)])[0].note
        == "no dataset has two experiments in this run"
    )
    per_task = {"qasper": {"metrics": {"f1": {"mean": 0.2, "ci95_low": 0.1, "ci95_high": 0.3}}},
                "2wikimqa": {"metrics": {"f1": {"mean": 0.4, "ci95_low": 0.3, "ci95_high": 0.5}}}}  # fmt: skip
    tasks = plots.task_bars(summary("lb", 0.3, per_task=per_task))
    assert len(parse(tasks.svg).findall("rect")) == 2
    assert plots.task_bars(summary("a", 0.5)) is None


def test_confusion_matrix_counts_gold_by_predicted_label():
    rows = [{"gold": ["a"], "pred": "a"}, {"gold": ["a"], "pred": "b"}, {"gold": ["b"], "pred": "b"},
            {"gold": ["b"], "pred": "<invalid>"}, {"gold": ["a"], "pred": "a"}]  # fmt: skip
    figure = plots.confusion({"task": "classification"}, rows)
    cells = {c.find("title").text: c for c in parse(figure.svg).iter("rect")}
    assert set(cells) == {f"gold {g}, predicted {p}: {n}" for g, p, n in [
        ("a", "a", 2), ("a", "b", 1), ("a", "<invalid>", 0),
        ("b", "a", 0), ("b", "b", 1), ("b", "<invalid>", 1)]}  # fmt: skip
    assert plots.confusion({"task": "rag_qa"}, rows) is None


def test_confusion_matrix_keeps_the_most_frequent_labels_and_counts_the_rest_as_other():
    rows = [
        {"gold": [f"label{i:02d}"], "pred": f"label{i:02d}"}
        for i in range(30)
        for _ in range(1 + (i < 10))
    ]
    texts = "".join(parse(plots.confusion({"task": "classification"}, rows).svg).itertext())
    assert "(other)" in texts and "label00" in texts and "label29" not in texts


def test_histograms_count_every_value_once_and_note_a_missing_quantity():
    chart = plots.distribution([0.0, 0.05, 0.5, 1.0, 1.0], "f1", unit=True)
    counts = [int(r.find("title").text.rsplit(": ", 1)[1]) for r in parse(chart).iter("rect")]
    assert counts == [2, 0, 0, 0, 0, 1, 0, 0, 0, 2]
    assert plots.distribution([], "f1") is None
    figures = plots.distributions(summary("a", 0.5), [{"metrics": {"f1": 1.0}, "latency_ms": 10.0}])
    assert [f.title for f in figures if f.svg] == ["f1 score histogram", "Latency histogram"]
    assert [f.note for f in figures if not f.svg] == ["no row of this experiment carries it"] * 2


def test_every_label_is_escaped():
    hostile = '</svg><script>alert(1)</script>&"'
    charts = [
        svg.scatter([svg.Point(hostile, 1.0, 0.5), svg.Point("b", 2.0, 0.6)], hostile, hostile),
        svg.bars([svg.Bar(hostile, 0.5, 0.4, 0.6)], hostile),
        svg.heatmap([hostile], [hostile], [[1]], hostile, hostile),
        svg.histogram([1], [0.0, 1.0], hostile),
    ]
    for chart in charts:
        root = parse(chart)
        assert "<script" not in chart and [e.tag for e in root.iter()].count("svg") == 1
        shown = "".join(root.itertext()) + "".join(
            v for e in root.iter() for v in e.attrib.values()
        )
        assert hostile in shown  # as text, whole (a tooltip holds what a tick label shortens)


def test_a_histogram_counts_in_whole_numbers_and_writes_large_values_plainly():
    chart = svg.histogram([2, 1], [1000.0, 2000.0, 3000.0], "input tokens")
    ticks = [t.text for t in parse(chart).iter("text") if t.get("class") == "tick"]
    assert ticks == ["0", "1", "2", "1,000", "1,500", "2,000", "2,500", "3,000"]


def test_confusion_columns_follow_the_rows_so_right_answers_lie_on_the_diagonal():
    rows = [{"gold": ["b"], "pred": "b"}, {"gold": ["d"], "pred": "a"}, {"gold": ["d"], "pred": "d"},
            {"gold": ["b"], "pred": "<invalid>"}]  # fmt: skip
    root = parse(plots.confusion({"task": "classification"}, rows).svg)
    cells = [r.find("title").text for r in root.iter("rect")]
    assert cells[:3] == [
        "gold b, predicted b: 1",
        "gold b, predicted d: 0",
        "gold b, predicted a: 0",
    ]
    assert cells[4:7] == [
        "gold d, predicted b: 0",
        "gold d, predicted d: 1",
        "gold d, predicted a: 1",
    ]
    assert cells[3] == "gold b, predicted <invalid>: 1"


def test_an_experiment_without_a_primary_metric_has_a_plain_score_histogram_caption():
    failed = {"experiment_id": "a", "metrics": {"f1": {"mean": None}}}
    figures = plots.distributions(failed, [{"latency_ms": 10.0}])
    assert figures[0].title == "Score histogram" and figures[0].svg is None
    assert figures[0].note == "no example was scored (every item failed or was skipped)"
    assert all("None" not in figure.title for figure in figures)


def many_labels_rows():
    """77 labels: the 15 most frequent kept, (other) pooling 62 labels, mostly right."""
    rows = [
        {"gold": [f"label{i:02d}"], "pred": f"label{i:02d}"} for i in range(77) for _ in range(2)
    ]
    rows += [{"gold": ["label70"], "pred": "label71"}, {"gold": ["label00"], "pred": "label00"}]
    return rows


def test_the_other_row_and_column_stay_out_of_the_colour_scale_and_say_so():
    figure = plots.confusion({"task": "classification"}, many_labels_rows())
    cells = {r.find("title").text: r for r in parse(figure.svg).iter("rect")}
    other = cells["gold (other), predicted (other): 124"]
    assert other.get("class") == "cell aside" and other.get("fill-opacity") == "0.300"
    assert cells["gold label00, predicted label00: 3"].get("fill-opacity") == "1.000"
    assert all(r.get("class") == "cell aside" for t, r in cells.items() if "(other)" in t)
    assert figure.note == (
        "(other) pools the 62 labels beyond the 15 most frequent; its row and column are grey, "
        "outside the colour scale and the diagonal: (other) → (other) mixes right and wrong "
        "predictions."
    )
    assert plots.confusion({"task": "classification"}, [{"gold": ["a"], "pred": "a"}]).note is None


def test_a_truncated_confusion_label_shows_its_whole_text_on_hover():
    label = "a label far longer than the twenty-two characters shown"
    figure = plots.confusion({"task": "classification"}, [{"gold": [label], "pred": label}])
    ticks = [t for t in parse(figure.svg).iter("text") if t.get("class") == "tick"]
    assert len(ticks) == 2
    assert all(t.find("title").text == label for t in ticks)
    assert all(t.find("title").tail == label[:21] + "…" for t in ticks)
