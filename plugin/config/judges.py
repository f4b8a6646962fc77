"""The ``judge`` entries of an experiment's ``metrics`` and its ``judge_calibration``.

``metrics: [exact_match, {name: judge, model: "openai:gpt-4o-mini", rubric: correctness,
scale: pass_fail}]``: a judge names any configured provider's model (a ``provider:model``
string, or a ``model:`` mapping with that provider's keys such as ``base_url``), a rubric and
a scale. A rubric is a shipped one (``correctness``, ``faithfulness``, ``summary``: the
prompts ``judge_<rubric>.yaml``), the user's own prompt file (a ``.yaml`` path, relative to
the config, as a task's ``prompt:``), or a criterion in words (``rubric: "Is the answer
polite?"`` or ``rubric: {text: ...}``). Each judge is the score ``judge_<label>``: the
rubric's name, the file's stem, ``custom`` for words, or ``as: <label>``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from parity.config.errors import DataError
from parity.config.model_config import ModelConfig
from parity.config.registry import closest
from parity.config.schema import Context, Field, check_mapping, positive
from parity.evals.datasets.base import read_rows
from parity.evals.metrics.judge import JUDGE_PREFIX, SCALES
from parity.prompts import load_template

JUDGE = "judge"
RUBRICS = ("correctness", "faithfulness", "summary")
CUSTOM_RUBRIC = "custom"  # the shipped template a criterion in words fills
DEFAULT_SCALE = "pass_fail"
DEFAULT_JUDGE_MAX_TOKENS = 256
_LABEL = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_]*$")
JUDGE_SCHEMA = {
    "name": Field((str,), required=True, example="judge"),
    "model": Field((str, dict), required=True, example='"openai:gpt-4o-mini"'),
    "rubric": Field((str, dict), required=True, example="correctness"),
    "scale": Field((str,), choices=tuple(SCALES), example=DEFAULT_SCALE),
    "as": Field((str,), example="correct"),
    "max_tokens": Field((int,), check=positive, example="256"),
}
CALIBRATION_SCHEMA = {
    "against": Field((str,), example="exact_match"),
    "labels": Field((str,), example="data/judge_labels.jsonl"),
    "judges": Field((list,), items=str, example="[judge_correctness]"),
    "min_kappa": Field((float,), example="0.4"),
    "threshold": Field((float,), example="0.5"),
}
LABEL_VALUES = {"pass": True, "true": True, "1": True, "correct": True, "c": True,
                "fail": False, "false": False, "0": False, "incorrect": False, "i": False}  # fmt: skip
LABELS_FIX = 'one row per example: {"id": "<example id>", "label": "pass"} (or fail)'
ParseModel = Callable[[Mapping[str, Any], Context], ModelConfig]
Resolve = Callable[[str, str], str]  # (a path as written, the config's path) -> the file


@dataclass(frozen=True)
class JudgeSpec:
    """One judge of an experiment: its score name, model, rubric prompt and scale."""

    score_name: str  # judge_<label>
    model: ModelConfig
    prompt: str  # a shipped template's name (judge_correctness) or a template file's path
    scale: str = DEFAULT_SCALE
    criterion: str = ""  # a rubric in words (the custom template's {criterion})
    max_tokens: int = DEFAULT_JUDGE_MAX_TOKENS

    @property
    def rubric(self) -> str:
        """The rubric as reports name it: shipped name, file stem, or ``custom``."""
        return Path(self.prompt).stem.removeprefix(JUDGE_PREFIX)


@dataclass(frozen=True)
class JudgeCalibration:
    """``judge_calibration``: the judges' agreement with gold labels, optionally gated by
    ``min_kappa``. The gold is ``against``, another score of the experiment (at least
    ``threshold`` passes), or ``labels``, pass/fail by example id from a labelled file
    (``against`` then names the file)."""

    against: str
    judges: tuple[str, ...]
    min_kappa: float | None = None
    threshold: float = 0.5
    labels: Mapping[str, bool] | None = field(default=None, compare=False)


def is_judge_entry(raw: Any) -> bool:
    """Whether a ``metrics`` entry is a judge (a mapping naming ``judge``)."""
    return isinstance(raw, Mapping) and raw.get("name") == JUDGE


def parse_judge(
    raw: Mapping[str, Any], ctx: Context, parse_model: ParseModel, resolve: Resolve
) -> JudgeSpec:
    """One ``{name: judge, ...}`` entry of ``metrics`` (``ctx`` locates it); the config's
    ``parse_model`` reads its model, ``resolve`` finds a rubric file beside the config."""
    check_mapping(raw, JUDGE_SCHEMA, ctx, "a judge metric")
    model_raw = raw["model"]
    model = parse_model(
        {"name": model_raw} if isinstance(model_raw, str) else model_raw, ctx.child("judge")
    )
    prompt, criterion, label = _rubric(raw["rubric"], ctx, resolve)
    label = raw.get("as", label)
    if not _LABEL.match(label):
        raise ctx.error(
            f"judge label {label!r} may hold only letters, digits and '_'",
            key=ctx.key("as"),
            fix="e.g. as: polite",
        )
    _check_examples(prompt, ctx)
    return JudgeSpec(
        score_name=f"{JUDGE_PREFIX}{label}",
        model=model,
        prompt=prompt,
        scale=raw.get("scale", DEFAULT_SCALE),
        criterion=criterion,
        max_tokens=raw.get("max_tokens", DEFAULT_JUDGE_MAX_TOKENS),
    )


def _rubric(raw: Any, ctx: Context, resolve: Resolve) -> tuple[str, str, str]:
    """The prompt, criterion and default label of a ``rubric:``."""
    if isinstance(raw, Mapping):
        check_mapping(raw, {"text": Field((str,), required=True)}, ctx.child("rubric"), "'rubric'")
        return f"{JUDGE_PREFIX}{CUSTOM_RUBRIC}", raw["text"], CUSTOM_RUBRIC
    if raw in RUBRICS:
        return f"{JUDGE_PREFIX}{raw}", "", raw
    if raw.endswith((".yaml", ".yml")):
        path = resolve(raw, ctx.path)
        if not Path(path).is_file():
            raise ctx.error(f"rubric file {path} does not exist", key=ctx.key("rubric"),
                            fix="point rubric: at your prompt file (relative to this config)")  # fmt: skip
        return path, "", re.sub(r"\W+", "_", Path(path).stem).strip("_") or CUSTOM_RUBRIC
    if " " not in raw.strip():  # one word: a misspelt rubric name, not a criterion
        hint = closest(raw, list(RUBRICS))
        raise ctx.error(
            f"unknown rubric {raw!r}; shipped: {', '.join(RUBRICS)}",
            key=ctx.key("rubric"),
            fix=(f"did you mean '{hint}'? " if hint else "")
            + 'Write a criterion in words (rubric: "Is the answer polite?") or a prompt file',
        )
    return f"{JUDGE_PREFIX}{CUSTOM_RUBRIC}", raw.strip(), CUSTOM_RUBRIC


def _check_examples(prompt: str, ctx: Context) -> None:
    """The rubric loads, and each of its worked examples has a ``reasoning`` and a
    ``verdict`` of pass or fail."""
    try:
        template = load_template(prompt)
    except DataError as exc:
        raise ctx.error(str(exc), key=ctx.key("rubric")) from None
    for number, example in enumerate(template.examples, 1):
        if "reasoning" not in example or example.get("verdict") not in ("pass", "fail"):
            raise ctx.error(
                f"rubric {prompt}: example {number} needs 'reasoning' and a 'verdict' of pass "
                "or fail",
                key=ctx.key("rubric"),
                fix="e.g. reasoning: The answer names Paris, as the reference does. verdict: pass",
            )


def check_judges(judges: Sequence[JudgeSpec], names: Sequence[str], ctx: Context) -> None:
    """Each judge's score name once, and none a registered metric's name."""
    seen = set(names)
    for judge in judges:
        if judge.score_name in seen:
            raise ctx.error(
                f"two metrics make the score '{judge.score_name}'",
                key="metrics",
                fix="give one judge another label: as: <label>",
            )
        seen.add(judge.score_name)


def parse_calibration(
    raw: Any,
    judges: Sequence[JudgeSpec],
    score_names: Sequence[str],
    ctx: Context,
    resolve: Resolve,
) -> JudgeCalibration | None:
    """``judge_calibration: {against: <score> | labels: FILE, judges: [...], min_kappa:
    0.4}``; ``resolve`` finds the labelled file beside the config."""
    if raw is None:
        return None
    sub = ctx.child("judge_calibration")
    check_mapping(raw, CALIBRATION_SCHEMA, sub, "'judge_calibration'")
    judged = [j.score_name for j in judges]
    if not judged:
        raise ctx.error("judge_calibration needs a judge among the metrics", key="judge_calibration",
                        fix="add {name: judge, model: ..., rubric: correctness} to metrics")  # fmt: skip
    if ("against" in raw) == ("labels" in raw):
        raise sub.error("set 'against' (a score) or 'labels' (a labelled file), one of them",
                        key=sub.key("against"), fix="e.g. against: exact_match")  # fmt: skip
    labels = None
    if "labels" in raw:
        path = resolve(raw["labels"], ctx.path)
        try:
            labels = read_labels(Path(path))
        except DataError as exc:
            raise sub.error(str(exc), key=sub.key("labels"), fix=LABELS_FIX) from None
    gold = [n for n in score_names if n not in judged]
    if labels is None and raw["against"] not in gold:
        hint = closest(raw["against"], gold)
        raise sub.error(
            f"'{raw['against']}' is not a score this experiment computes ({', '.join(gold)})",
            key=sub.key("against"),
            fix=f"did you mean '{hint}'?" if hint else "add the gold metric to metrics",
        )
    chosen = raw.get("judges") or judged
    for name in chosen:
        if name not in judged:
            raise sub.error(f"'{name}' is no judge of this experiment ({', '.join(judged)})",
                            key=sub.key("judges"))  # fmt: skip
    return JudgeCalibration(
        against=raw.get("against") or Path(raw["labels"]).name,
        judges=tuple(chosen),
        min_kappa=raw.get("min_kappa"),
        threshold=raw.get("threshold", 0.5),
        labels=labels,
    )


def read_labels(path: Path) -> dict[str, bool]:
    """A labelled file's gold verdicts by example id: rows with ``id`` and ``label`` (pass
    or fail, true or false, 1 or 0, correct or incorrect, C or I)."""
    if not path.is_file():
        raise DataError(f"labelled file {path} does not exist")
    labels: dict[str, bool] = {}
    for number, row in enumerate(read_rows(path), 1):
        value = str(row.get("label", "")).strip().lower()
        if "id" not in row or value not in LABEL_VALUES:
            raise DataError(f"{path} row {number} needs an id and a label, got {dict(row)!r}")
        labels[str(row["id"])] = LABEL_VALUES[value]
    if not labels:
        raise DataError(f"labelled file {path} has no rows")
    return labels
