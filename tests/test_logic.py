"""screener.logic: the four-valued screening truth over Kleene's strong logic."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from screener.logic import Status, agree, all_of, any_of, negate
from tests.strategies import statuses

MET, NOT_MET, UNKNOWN, REVIEW = Status.MET, Status.NOT_MET, Status.UNKNOWN, Status.REVIEW
ALL = list(Status)

status_lists = st.lists(statuses, max_size=8)


def truth(status: Status) -> bool | None:
    """The three-valued projection: `unknown` and `review` are both undetermined."""
    return {MET: True, NOT_MET: False}.get(status)


def both_orders(a: Status, b: Status, result: Status) -> list[tuple[Status, Status, Status]]:
    return [(a, b, result), (b, a, result)]


# ---------------------------------------------------------------- the table of the spec

AND_TABLE = [
    *both_orders(MET, MET, MET),
    *both_orders(MET, UNKNOWN, UNKNOWN),
    *both_orders(MET, REVIEW, REVIEW),
    *(row for x in ALL for row in both_orders(NOT_MET, x, NOT_MET)),
    *both_orders(UNKNOWN, UNKNOWN, UNKNOWN),
    *both_orders(UNKNOWN, REVIEW, REVIEW),
    *both_orders(REVIEW, REVIEW, REVIEW),
]

OR_TABLE = [
    *(row for x in ALL for row in both_orders(MET, x, MET)),
    *both_orders(NOT_MET, NOT_MET, NOT_MET),
    *both_orders(NOT_MET, UNKNOWN, UNKNOWN),
    *both_orders(NOT_MET, REVIEW, REVIEW),
    *both_orders(UNKNOWN, UNKNOWN, UNKNOWN),
    *both_orders(UNKNOWN, REVIEW, REVIEW),
    *both_orders(REVIEW, REVIEW, REVIEW),
]


def test_tables_cover_every_pair() -> None:
    pairs = set(itertools.product(ALL, ALL))
    assert {(a, b) for a, b, _ in AND_TABLE} == pairs
    assert {(a, b) for a, b, _ in OR_TABLE} == pairs


@pytest.mark.parametrize(("a", "b", "expected"), AND_TABLE)
def test_conjunction_table(a: Status, b: Status, expected: Status) -> None:
    assert all_of([a, b]) is expected


@pytest.mark.parametrize(("a", "b", "expected"), OR_TABLE)
def test_disjunction_table(a: Status, b: Status, expected: Status) -> None:
    assert any_of([a, b]) is expected


@pytest.mark.parametrize(
    ("status", "expected"),
    [(MET, NOT_MET), (NOT_MET, MET), (UNKNOWN, UNKNOWN), (REVIEW, REVIEW)],
)
def test_negation_table(status: Status, expected: Status) -> None:
    assert negate(status) is expected


def test_definite() -> None:
    assert [s for s in ALL if s.definite] == [MET, NOT_MET]


def test_identity_elements() -> None:
    # Kleene's identities: the empty conjunction is true, the empty disjunction false.
    assert all_of([]) is MET
    assert any_of([]) is NOT_MET


def test_accepts_any_iterable() -> None:
    assert all_of(iter([MET, UNKNOWN])) is UNKNOWN
    assert any_of(s for s in [NOT_MET, REVIEW]) is REVIEW


# ---------------------------------------------------------------- laws


@given(status_lists)
def test_de_morgan_is_exact(xs: list[Status]) -> None:
    assert negate(all_of(xs)) is any_of(map(negate, xs))
    assert negate(any_of(xs)) is all_of(map(negate, xs))


@given(statuses)
def test_double_negation(x: Status) -> None:
    assert negate(negate(x)) is x


@given(st.data(), status_lists)
def test_commutativity(data: st.DataObject, xs: list[Status]) -> None:
    shuffled = data.draw(st.permutations(xs))
    assert all_of(shuffled) is all_of(xs)
    assert any_of(shuffled) is any_of(xs)


@given(statuses, statuses, statuses)
def test_associativity(a: Status, b: Status, c: Status) -> None:
    assert all_of([all_of([a, b]), c]) is all_of([a, all_of([b, c])]) is all_of([a, b, c])
    assert any_of([any_of([a, b]), c]) is any_of([a, any_of([b, c])]) is any_of([a, b, c])


@given(status_lists, status_lists)
def test_grouping_does_not_matter(xs: list[Status], ys: list[Status]) -> None:
    assert all_of([all_of(xs), all_of(ys)]) is all_of(xs + ys)
    assert any_of([any_of(xs), any_of(ys)]) is any_of(xs + ys)


@given(statuses)
def test_idempotence(x: Status) -> None:
    assert all_of([x, x]) is x
    assert any_of([x, x]) is x


# Absorption, a ∧ (a ∨ b) = a, holds only on the three-valued truth projection,
# not on the labels: with a = unknown, b = review the mandated table gives
# a ∨ b = review and then unknown ∧ review = review, not unknown. The label says
# "a person must decide" once a review leaf takes part, even where data alone
# could have settled the result.
@given(statuses, statuses)
def test_absorption_on_truth(a: Status, b: Status) -> None:
    assert truth(all_of([a, any_of([a, b])])) == truth(a)
    assert truth(any_of([a, all_of([a, b])])) == truth(a)


def test_absorption_fails_on_labels() -> None:
    assert all_of([UNKNOWN, any_of([UNKNOWN, REVIEW])]) is REVIEW
    assert any_of([UNKNOWN, all_of([UNKNOWN, REVIEW])]) is REVIEW


@given(status_lists)
def test_kleene_on_truth(xs: list[Status]) -> None:
    # The projection of the result is Kleene's strong conjunction/disjunction.
    values = [truth(x) for x in xs]
    expected_and = False if False in values else (True if all(values) else None)
    expected_or = True if True in values else (False if values.count(False) == len(xs) else None)
    assert truth(all_of(xs)) == expected_and
    assert truth(any_of(xs)) == expected_or


@given(status_lists)
def test_undetermined_label(xs: list[Status]) -> None:
    # An undetermined result is `review` exactly when a review input takes part.
    for result in (all_of(xs), any_of(xs)):
        if not result.definite:
            assert (result is REVIEW) == (REVIEW in xs)


# ---------------------------------------------------------------- agree


@pytest.mark.parametrize(
    ("readings", "expected"),
    [
        ([MET, MET], MET),
        ([NOT_MET, NOT_MET, NOT_MET], NOT_MET),
        ([MET, NOT_MET], REVIEW),
        ([NOT_MET, MET, MET], REVIEW),
        ([MET, NOT_MET, UNKNOWN], REVIEW),
        ([MET, REVIEW], REVIEW),
        ([UNKNOWN, REVIEW], REVIEW),
        ([REVIEW, REVIEW], REVIEW),
        ([MET, UNKNOWN], UNKNOWN),
        ([NOT_MET, UNKNOWN], UNKNOWN),
        ([UNKNOWN, UNKNOWN], UNKNOWN),
        ([MET], MET),
        ([UNKNOWN], UNKNOWN),
        ([REVIEW], REVIEW),
    ],
)
def test_agree_examples(readings: list[Status], expected: Status) -> None:
    assert agree(readings) is expected


@given(st.lists(statuses, min_size=1, max_size=6))
def test_agree_is_definite_only_when_all_readings_agree(xs: list[Status]) -> None:
    result = agree(xs)
    if result.definite:
        assert all(x is result for x in xs)
    definite = {x for x in xs if x.definite}
    if all(x.definite for x in xs) and len(definite) == 1:
        assert result is xs[0]
    elif len(definite) > 1 or REVIEW in xs:
        assert result is REVIEW
    else:
        assert result is UNKNOWN


@given(st.data(), st.lists(statuses, min_size=1, max_size=6))
def test_agree_ignores_order(data: st.DataObject, xs: list[Status]) -> None:
    assert agree(data.draw(st.permutations(xs))) is agree(xs)
