"""Error classes in the Baseweight benchmark's style: why one scored example is wrong.

The classes are issue 31's list; where the Baseweight benchmark's ``classify_errors.py`` has
a class of its own, its name is given with the rule below.

:func:`error_class` classifies one result record into exactly one class, or None when it is
right. The first rule that holds decides, in this order:

1. ``timeout``: the record's own failure is a timeout or deadline. Its ``error`` opens
   with the exception's type name (``TimeoutError: ...``); that type decides
   (``TimeoutError``, ``APITimeoutError``, ``ReadTimeout`` match :data:`TIMEOUT_PATTERN`),
   so a :data:`QUOTING_TYPES` failure that quotes another item's error ("CircuitOpenError:
   ... (last error: request deadline ...)") is ``error``. A
   :data:`DESCRIBED_TYPES` failure (a provider call that failed for good) carries its
   cause's own description as its message, which is read by the same rule
   ("ProviderCallError: APITimeoutError: ..." by ``APITimeoutError``); a failure with no
   type name is a plain message, read whole ("ReadTimeout (after 3 attempts)", "Request timed
   out", the call process's "request deadline").
2. ``error``: any other ``error`` (the call or the pipeline failed; no answer was scored).
   Baseweight calls this ``api_error``.
3. right (None): the primary score is perfect (``>= 1.0``). The primary score is the first
   of the given score names the record carries (the experiment's metric order), else its
   first score, else 1.0 when the prediction equals a reference and 0.0 otherwise (an
   experiment with corpus-level metrics only).
4. ``refusal``: the prediction, or every raw output (one per request), opens with a refusal:
   its first :data:`REFUSAL_WINDOW` characters, lowercased, contain a phrase of
   :data:`REFUSAL_PHRASES` ("i cannot", "i can't", "as an ai", ...).
5. ``invalid_label``: the prediction is ``<invalid>`` (``INVALID_PREDICTION``): the answer
   names no label of a classification task or no option of a multiple-choice one.
6. ``format_error``: a task that needs a format got an answer that does not have it: a
   ``code`` prediction that is empty or is not valid Python (``ast.parse`` fails), a
   ``retrieval`` prediction with no passage number (Baseweight's ``format_violation``).
7. Span tasks (``extraction``, CUAD; ``rag_qa``, short answers quoted from the context), with
   an answer "absent" when it is empty or after Baseweight's normalization (lowercase, drop
   ``[^\\w\\s]``) reads as one of :data:`ABSENT_ANSWERS` ("not found", "none", ...):

   - ``false_positive``: every reference is absent (no clause), the prediction is not
     (Baseweight's ``hallucinated`` on a ``Not found.`` question);
   - ``missed_clause``: a reference is present, the prediction is absent;
   - ``partial_span``: the token F1 (Baseweight's) of the prediction against the best
     present reference lies strictly between 0 and 1 (Baseweight's ``partial``).
8. ``wrong_label``: wrong otherwise (a wrong label, letter, span, passage list, program or
   text; Baseweight's ``wrong_class``).

A summary's ``error_classes`` counts its scored records and its failed ones (those with an
error); skipped items are not counted. A comparison's ``error_flips`` (:func:`error_flips`)
looks at its pairs only (an unpaired example is listed apart, with why it has no pair).
"""

from __future__ import annotations

import ast
import re
from collections import Counter
from collections.abc import Iterable, Sequence

from parity.evals.metrics.cuad import baseweight_tokens, token_f1
from parity.evals.tasks.base import INVALID_PREDICTION
from parity.record.record import EvalRecord

TIMEOUT = "timeout"
ERROR = "error"
REFUSAL = "refusal"
INVALID_LABEL = "invalid_label"
FORMAT_ERROR = "format_error"
FALSE_POSITIVE = "false_positive"
MISSED_CLAUSE = "missed_clause"
PARTIAL_SPAN = "partial_span"
WRONG_LABEL = "wrong_label"
# Every class, in the order of the rules (and of the counts in a summary).
ERROR_CLASSES = (
    TIMEOUT, ERROR, REFUSAL, INVALID_LABEL, FORMAT_ERROR,
    FALSE_POSITIVE, MISSED_CLAUSE, PARTIAL_SPAN, WRONG_LABEL,
)  # fmt: skip

TIMEOUT_PATTERN = re.compile(r"time[ds]?[\s_-]?out|deadline", re.IGNORECASE)
# ``TypeName: message``, the form every caught exception is recorded in.
_TYPE_PREFIX = re.compile(r"([A-Za-z_][\w.]*): ")
# Types whose message describes their own cause (the provider failure they stand for).
DESCRIBED_TYPES = frozenset({"ProviderCallError", "RemoteCallFailed"})
# Types whose message quotes another item's error (an open circuit's last error).
QUOTING_TYPES = frozenset({"CircuitOpenError"})
REFUSAL_WINDOW = 160
REFUSAL_PHRASES = (
    "i cannot", "i can't", "i can not", "i'm not able", "i am not able", "i'm unable",
    "i am unable", "i won't", "i will not", "i refuse", "as an ai", "i'm sorry, but",
    "i am sorry, but", "sorry, i can",
)  # fmt: skip
ABSENT_ANSWERS = ("", "not found", "none", "na", "no answer", "unanswerable", "not applicable")
SPAN_TASKS = frozenset({"extraction", "rag_qa"})
FLIP_EXAMPLES = 5  # example ids kept per class of error flips


def primary_score(record: EvalRecord, score_names: Sequence[str] = ()) -> float:
    """The score that decides whether ``record`` is right (rule 3 of the module)."""
    for name in (*score_names, *record.scores):
        if name in record.scores:
            return record.scores[name]
    return float(record.prediction in record.references)


def is_refusal(text: str) -> bool:
    """True when ``text`` opens with a phrase of :data:`REFUSAL_PHRASES`."""
    opening = text.strip()[:REFUSAL_WINDOW].lower().replace("\u2019", "'")
    return any(phrase in opening for phrase in REFUSAL_PHRASES)


def is_absent_answer(text: str) -> bool:
    """True for an abstention: empty, or one of :data:`ABSENT_ANSWERS` once normalized."""
    return " ".join(baseweight_tokens(text)) in ABSENT_ANSWERS


def _refused(record: EvalRecord) -> bool:
    raw = record.raw_output
    return is_refusal(record.prediction) or (bool(raw) and all(is_refusal(t) for t in raw))


def _format_broken(task: str, prediction: str) -> bool:
    if not prediction.strip():
        return task in ("code", "retrieval")
    if task == "code":
        try:
            ast.parse(prediction)
        except (SyntaxError, ValueError):
            return True
    return False


def _span_class(record: EvalRecord) -> str | None:
    present = [r for r in record.references if not is_absent_answer(r)]
    answered = not is_absent_answer(record.prediction)
    if not present:
        return FALSE_POSITIVE if answered else None
    if not answered:
        return MISSED_CLAUSE
    overlap = token_f1(record.prediction, present)["token_f1"]
    return PARTIAL_SPAN if 0.0 < overlap < 1.0 else None


def failure_class(error: str) -> str:
    """``timeout`` or ``error`` for a failed record's ``error`` (rule 1 of the module): by its
    own exception type where the text names one, else by the message."""
    typed = _TYPE_PREFIX.match(error)
    if typed is None:
        return TIMEOUT if TIMEOUT_PATTERN.search(error) else ERROR
    type_name = typed.group(1)
    if type_name in DESCRIBED_TYPES:  # its cause: a type of its own, or a plain message
        return failure_class(error[typed.end() :])
    if type_name in QUOTING_TYPES:
        return ERROR
    return TIMEOUT if TIMEOUT_PATTERN.search(type_name) else ERROR


def error_class(record: EvalRecord, task: str, score_names: Sequence[str] = ()) -> str | None:
    """The one error class of ``record`` (an example of a ``task`` task), or None when it is
    right; ``score_names`` orders the scores (the experiment's). Rules: the module's."""
    if record.error:
        return failure_class(record.error)
    if primary_score(record, score_names) >= 1.0:
        return None
    if _refused(record):
        return REFUSAL
    if record.prediction == INVALID_PREDICTION:
        return INVALID_LABEL
    if _format_broken(task, record.prediction):
        return FORMAT_ERROR
    if task in SPAN_TASKS:
        return _span_class(record) or WRONG_LABEL
    return WRONG_LABEL


def error_counts(
    records: Iterable[EvalRecord], task: str, score_names: Sequence[str] = ()
) -> dict[str, int]:
    """How many of ``records`` fall in each class (classes with none left out), in
    :data:`ERROR_CLASSES` order: a summary's ``error_classes``."""
    counts = Counter(error_class(r, task, score_names) for r in records)
    return {name: counts[name] for name in ERROR_CLASSES if counts[name]}


def example_class(
    group: Sequence[EvalRecord], task: str, score_names: Sequence[str] = ()
) -> str | None:
    """One example's class over its repeats: None when every repeat is right, else the most
    common class among the wrong ones (ties: the first in :data:`ERROR_CLASSES`)."""
    counts = Counter(c for r in group if (c := error_class(r, task, score_names)) is not None)
    if not counts:
        return None
    return max(ERROR_CLASSES, key=lambda name: (counts[name], -ERROR_CLASSES.index(name)))


def error_flips(
    keys: Sequence[str],
    candidate: Sequence[Sequence[EvalRecord]],
    baseline: Sequence[Sequence[EvalRecord]],
    task: str,
    score_names: Sequence[str] = (),
) -> dict[str, dict[str, dict[str, object]]]:
    """The paired examples (``keys``, with each side's records) one side gets wrong and the
    other right, by the wrong side's class: ``candidate_wrong_baseline_right`` and
    ``baseline_wrong_candidate_right``, each ``{class: {"count": n, "examples": [ids]}}``
    with up to :data:`FLIP_EXAMPLES` ids, classes in :data:`ERROR_CLASSES` order."""
    flips: dict[str, dict[str, list[str]]] = {
        "candidate_wrong_baseline_right": {},
        "baseline_wrong_candidate_right": {},
    }
    for key, cand, base in zip(keys, candidate, baseline, strict=True):
        cand_class = example_class(cand, task, score_names)
        base_class = example_class(base, task, score_names)
        if cand_class is not None and base_class is None:
            flips["candidate_wrong_baseline_right"].setdefault(cand_class, []).append(key)
        elif base_class is not None and cand_class is None:
            flips["baseline_wrong_candidate_right"].setdefault(base_class, []).append(key)
    return {
        direction: {
            name: {"count": len(by_class[name]), "examples": by_class[name][:FLIP_EXAMPLES]}
            for name in ERROR_CLASSES
            if name in by_class
        }
        for direction, by_class in flips.items()
    }
