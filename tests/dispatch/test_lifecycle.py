"""The case and sortie lifecycles: the allowed paths, and a typed error for every other."""

from __future__ import annotations

import itertools

import pytest

from jinghang.dispatch.errors import IllegalTransition
from jinghang.dispatch.lifecycle import (
    CASE_TRANSITIONS,
    SORTIE_FINAL,
    SORTIE_TRANSITIONS,
    CaseState,
    SortieState,
    can_sortie_transition,
    check_case_transition,
    check_sortie_transition,
)

S = SortieState
C = CaseState


def test_the_normal_life_of_a_sortie_is_allowed() -> None:
    path = [S.PLANNED, S.WAITING_PILOT, S.LAUNCHING, S.EN_ROUTE, S.ON_SCENE, S.RETURNING,
            S.LANDED]
    for a, b in itertools.pairwise(path):
        assert check_sortie_transition(a, b) is b
    assert can_sortie_transition(S.PLANNED, S.LAUNCHING)  # no confirmation needed


def test_a_refused_launch_fails_the_sortie_and_a_drone_set_down_on_scene_has_landed() -> None:
    assert can_sortie_transition(S.LAUNCHING, S.FAILED)
    assert can_sortie_transition(S.ON_SCENE, S.LANDED)
    assert not can_sortie_transition(S.LAUNCHING, S.PLANNED)


def test_a_case_is_open_until_closed_or_cancelled_and_then_never_moves() -> None:
    assert check_case_transition(C.OPEN, C.CLOSED) is C.CLOSED
    assert check_case_transition(C.OPEN, C.CANCELLED) is C.CANCELLED
    assert CASE_TRANSITIONS[C.CLOSED] == CASE_TRANSITIONS[C.CANCELLED] == frozenset()
    with pytest.raises(IllegalTransition) as err:
        check_case_transition("closed", "open", case_id=7)
    assert err.value.field == "state" and err.value.value == "open"
    assert "case 7" in str(err.value) and err.value.code == "case.illegal_transition"


def test_an_ended_sortie_never_moves_and_the_error_says_where_it_could_go() -> None:
    for final in SORTIE_FINAL:
        assert SORTIE_TRANSITIONS[final] == frozenset()
    with pytest.raises(IllegalTransition) as err:
        check_sortie_transition("landed", "en_route", sortie_id=3)
    assert "sortie 3" in str(err.value)
    with pytest.raises(IllegalTransition) as err:
        check_sortie_transition(S.PLANNED, S.ON_SCENE)
    assert err.value.limit == ["aborted", "failed", "launching", "waiting_pilot"]
