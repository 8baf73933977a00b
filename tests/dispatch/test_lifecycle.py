"""The incident lifecycle: the allowed paths, and a typed error for every other."""

from __future__ import annotations

import itertools

import pytest

from jinghang.dispatch.errors import IllegalTransition
from jinghang.dispatch.lifecycle import (
    FINAL,
    TRANSITIONS,
    IncidentState,
    can_transition,
    check_transition,
)

S = IncidentState


def test_the_normal_life_of_an_incident_is_allowed() -> None:
    path = [S.REPORTED, S.ASSIGNED, S.LAUNCHING, S.EN_ROUTE, S.ON_SCENE, S.RETURNING, S.CLOSED]
    for a, b in itertools.pairwise(path):
        assert check_transition(a, b) is b


def test_a_refusing_drone_sends_the_incident_back_to_the_queue() -> None:
    assert can_transition(S.LAUNCHING, S.QUEUED) and can_transition(S.ASSIGNED, S.QUEUED)


def test_a_closed_incident_never_moves_and_the_error_says_where_it_could_go() -> None:
    for final in FINAL:
        assert TRANSITIONS[final] == frozenset()
    with pytest.raises(IllegalTransition) as err:
        check_transition("closed", "en_route", incident_id=7)
    assert err.value.field == "state" and err.value.value == "en_route"
    assert "incident 7" in str(err.value)
    with pytest.raises(IllegalTransition) as err:
        check_transition(S.REPORTED, S.ON_SCENE)
    assert err.value.limit == ["assigned", "cancelled", "failed", "queued"]
