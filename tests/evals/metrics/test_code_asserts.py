"""MBPP asserts split into sandbox calls and a trusted check, and the plain values between."""

import ast
import json
import math
import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from parity.evals.metrics.code_asserts import CallFailed, holds, parse_assert
from parity.evals.metrics.code_server import dumps, plain
from parity.evals.metrics.code_values import MAX_DEPTH, MAX_VALUES, NotPlainData, read_value
from tests.conftest import REPO


@pytest.mark.parametrize(
    ("line", "calls"),
    [
        ('assert remove_Occ("hello","l") == "heo"', ["remove_Occ('hello', 'l')"]),
        ("assert set(similar((3, 4), (4, 5))) == set((4, 5))", ["set(similar((3, 4), (4, 5)))"]),
        ("assert math.isclose(area(2), 12.566, rel_tol=0.001)", ["area(2)"]),
        ("assert list(squares([1, 2])) == [1, 4]", ["list(squares([1, 2]))"]),
        ("assert chain([Pair(5, 24), Pair(15, 25)], 2) == 2", ["chain([Pair(5, 24), Pair(15, 25)], 2)"]),
        ("assert is_balanced(root) == False", ["is_balanced(root)"]),
        ("assert not f(1) and f(2)[0] == abs(-3)", ["f(1)", "f(2)[0]"]),
        ("assert 2 * f(1) == 2 ** 3", ["f(1)"]),
    ],
)  # fmt: skip
def test_only_the_calls_go_to_the_sandbox(line, calls):
    assert list(parse_assert(line).calls) == calls


def test_for_every_shipped_assert_only_the_function_call_is_sent():
    """The expected side of each shipped MBPP assert stays in the trusted process."""
    lines = (REPO / "evals" / "data" / "mbpp" / "test.jsonl").read_text().splitlines()
    for row in map(json.loads, lines):
        for line in row["test_list"]:
            compare = ast.parse(line.strip()).body[0].test
            assert list(parse_assert(line).calls) == [ast.unparse(compare.left)], line


@pytest.mark.parametrize(
    "line",
    [
        "assert all(f(x) for x in [1, 2])",
        "assert f(1) == ''.join(['a'])",
        "assert f(1) == (lambda: 2)()",
        "assert f(1) == ().__class__",
        "assert f(1) ** 2 == 4",
        "assert f(1) * f(2) == [0]",
        "assert [0] * f(1) == [0]",
        "f(1) == 2",
        "assert f(1 ==",
    ],
)
def test_an_assert_that_cannot_be_checked_here_is_refused_by_name(line):
    with pytest.raises(ValueError, match="MBPP test"):
        parse_assert(line)


def test_the_check_runs_on_the_returned_values_only():
    check = parse_assert("assert math.isclose(area(2), 12.566, rel_tol=0.001)")
    assert holds(check, lambda call: 12.5664)
    assert not holds(check, lambda call: 3.0)
    assert not holds(check, lambda call: "not a number")


def test_a_failed_call_fails_the_assert():
    def fail(call):
        raise CallFailed("the program exited")

    assert not holds(parse_assert("assert f(1) == 1"), fail)
    assert not holds(parse_assert("assert not f(1)"), fail)


PLAIN = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text() | st.binary()
    | st.complex_numbers(),
    lambda inner: st.lists(inner) | st.tuples(inner, inner) | st.dictionaries(st.text(), inner)
    | st.frozensets(st.integers()) | st.sets(st.text()),
    max_leaves=20,
)  # fmt: skip


def _same(a, b):
    if isinstance(a, float) and math.isnan(a):
        return isinstance(b, float) and math.isnan(b)
    if isinstance(a, complex):
        return type(b) is complex and _same(a.real, b.real) and _same(a.imag, b.imag)
    if isinstance(a, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(map(_same, a, b))
    if isinstance(a, dict):
        return type(b) is dict and a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    return type(a) is type(b) and a == b


@given(PLAIN)
def test_plain_values_round_trip_through_json(value):
    assert _same(read_value(json.loads(dumps(plain(value)))), value)


def test_subclasses_arrive_as_their_base_and_other_objects_are_refused():
    from collections import Counter, namedtuple

    point = namedtuple("point", "x y")
    assert read_value(plain(Counter("aab"))) == {"a": 2, "b": 1}
    assert type(read_value(plain(point(1, 2)))) is tuple
    for value in (object(), iter([1]), (x for x in [1]), range(3), [1, map(str, [])]):
        with pytest.raises(TypeError, match="not plain data"):
            plain(value)


@pytest.mark.parametrize(
    "tagged",
    [["I", 1.5], ["I", True], ["S", 1], ["X", 1], ["L", [["N", None], "x"]], ["D", [["S", "k"]]], 5],
)  # fmt: skip
def test_a_malformed_reply_is_not_read_as_a_value(tagged):
    with pytest.raises(NotPlainData):
        read_value(tagged)


M61 = (1 << 61) - 1  # ints k * M61 all share one hash
COLLIDING = {
    "ints": [["I", k * M61] for k in range(1, 20_000)],
    "tuples": [["T", [["I", 0], ["I", k * M61]]] for k in range(1, 20_000)],
}


def _quick(action, seconds=2.0):
    start = time.perf_counter()
    result = action()
    assert time.perf_counter() - start < seconds
    return result


@pytest.mark.parametrize("kind", COLLIDING)
@pytest.mark.parametrize("tag", ["E", "Z", "D"])
def test_a_reply_set_or_dict_of_colliding_hashes_is_refused_quickly(tag, kind):
    items = COLLIDING[kind]
    payload = [[item, ["N", None]] for item in items] if tag == "D" else items

    def read():
        with pytest.raises(NotPlainData, match="share one hash"):
            read_value([tag, payload])

    _quick(read)


@pytest.mark.parametrize(
    "line", ["assert set(f(1) + []) == set(f(1) + [])", "assert dict(f(2) + []) == dict(f(2))"]
)
def test_the_trusted_set_and_dict_refuse_colliding_hashes_quickly(line):
    answers = {"f(1)": [k * M61 for k in range(1, 20_000)]}
    answers["f(2)"] = [(key, 0) for key in answers["f(1)"]]
    assert not _quick(lambda: holds(parse_assert(line), answers.__getitem__))


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 100_000])
def test_a_reply_nested_too_deep_is_refused_without_recursion_error(depth):
    tagged = ["L", []]
    for _ in range(depth):
        tagged = ["L", [tagged]]
    with pytest.raises(NotPlainData, match="deep"):
        read_value(tagged)


def test_a_reply_with_too_many_values_is_refused_quickly():
    many = ["L", [["I", k] for k in range(MAX_VALUES)]]
    with pytest.raises(NotPlainData, match="more than"):
        _quick(lambda: read_value(many))


def test_values_within_the_limits_are_read():
    nested = ["L", []]
    for _ in range(MAX_DEPTH - 1):
        nested = ["L", [nested]]
    assert read_value(["L", [["I", k] for k in range(MAX_VALUES - 1)]])[-1] == MAX_VALUES - 2
    assert read_value(nested) is not None
    assert read_value(["E", [["I", M61], ["I", 0], ["F", "0.0"], ["B", False]]]) == {0, M61}
    assert holds(
        parse_assert("assert set(f(1)) == {0, 1} and dict(a=1) == {'a': 1}"), lambda c: {0, 1}
    )


def test_a_large_multiple_of_a_returned_value_is_refused():
    with pytest.raises(ValueError, match="any size"):
        parse_assert("assert f(1) * 1000 == []")


@pytest.mark.parametrize(
    "line",
    [
        "assert math.factorial(f(1)) == 1",
        "assert math.comb(f(1), f(2)) == 1",
        "assert math.prod(f(1)) == 1",
        "assert f(1) % 2 == 1",
    ],
)
def test_an_assert_that_could_run_for_as_long_as_a_reply_chose_is_refused(line):
    with pytest.raises(ValueError, match="MBPP test"):
        parse_assert(line)


@pytest.mark.parametrize(
    ("line", "answer"),
    [
        ("assert sum(f(1), []) == sum(f(1), [])", [[0]] * 60_000),
        ("assert round(1, f(1)) == round(1, f(1))", -(10**7)),
        ("assert bytes(f(1)) == bytes(3)", 3),
    ],
)
def test_trusted_builtins_refuse_arguments_that_cost_any_time_or_memory(line, answer):
    assert not _quick(lambda: holds(parse_assert(line), lambda call: answer))
    answers = {"f(1)": [1, 2, 3], "f(2)": 6}
    kept = "assert sum(f(1), 0.5) == 6.5 and bytes(f(1)) == b'\\x01\\x02\\x03' and round(f(2), -1) == 10"
    assert holds(parse_assert(kept), answers.__getitem__)
