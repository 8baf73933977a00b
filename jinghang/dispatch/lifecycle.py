"""The case and sortie lifecycles as explicit state machines.

A case (the incident) is ``open`` until a commander closes it with an outcome (``closed``)
or cancels it (``cancelled``); a playbook may close it when its last sortie lands. A drone
that cannot go never ends a case: it stays open, unassigned, with every drone's reason.

Its drone work is sorties, one drone each::

    planned       -> waiting_pilot | launching | aborted | failed
    waiting_pilot -> launching | planned | aborted | failed
    launching     -> en_route | returning | aborted | failed
    en_route      -> on_scene | returning | landed | failed
    on_scene      -> en_route | returning | landed | failed
    returning     -> landed | failed
    landed, aborted, failed: final

``planned`` without a drone means the case waits for one; ``waiting_pilot`` a drone is held
until a pilot (not the dispatcher) confirms; ``launching`` the mission is uploaded, the drone
armed and started; ``on_scene -> en_route`` is a redirect; ``landed`` straight from the
scene is a drone set down where it was. A refused launch ends the sortie ``failed`` and a new
``planned`` one takes its place while the case is open.
"""

from __future__ import annotations

import enum

from jinghang.dispatch.errors import IllegalTransition


class CaseState(enum.StrEnum):
    OPEN = "open"
    CLOSED = "closed"
    CANCELLED = "cancelled"


class SortieState(enum.StrEnum):
    PLANNED = "planned"
    WAITING_PILOT = "waiting_pilot"
    LAUNCHING = "launching"
    EN_ROUTE = "en_route"
    ON_SCENE = "on_scene"
    RETURNING = "returning"
    LANDED = "landed"
    ABORTED = "aborted"
    FAILED = "failed"


C = CaseState
S = SortieState

CASE_TRANSITIONS: dict[CaseState, frozenset[CaseState]] = {
    C.OPEN: frozenset({C.CLOSED, C.CANCELLED}),
    C.CLOSED: frozenset(),
    C.CANCELLED: frozenset(),
}

SORTIE_TRANSITIONS: dict[SortieState, frozenset[SortieState]] = {
    S.PLANNED: frozenset({S.WAITING_PILOT, S.LAUNCHING, S.ABORTED, S.FAILED}),
    S.WAITING_PILOT: frozenset({S.LAUNCHING, S.PLANNED, S.ABORTED, S.FAILED}),
    S.LAUNCHING: frozenset({S.EN_ROUTE, S.RETURNING, S.ABORTED, S.FAILED}),
    S.EN_ROUTE: frozenset({S.ON_SCENE, S.RETURNING, S.LANDED, S.FAILED}),
    S.ON_SCENE: frozenset({S.EN_ROUTE, S.RETURNING, S.LANDED, S.FAILED}),
    S.RETURNING: frozenset({S.LANDED, S.FAILED}),
    S.LANDED: frozenset(),
    S.ABORTED: frozenset(),
    S.FAILED: frozenset(),
}

SORTIE_FINAL = frozenset({S.LANDED, S.ABORTED, S.FAILED})
#: Sorties with a drone in the air (or about to be).
FLYING = frozenset({S.LAUNCHING, S.EN_ROUTE, S.ON_SCENE, S.RETURNING})
#: Sorties that wait for a drone or a confirmation.
WAITING = frozenset({S.PLANNED, S.WAITING_PILOT})

#: How a case may end: the outcome codes a commander chooses from (``flown`` is also what a
#: playbook's automatic close records).
OUTCOMES = ("resolved", "false_alarm", "referred", "no_action", "flown", "not_flown", "other")


def _check(
    kind: str,
    table: dict[str, frozenset[str]],
    source: str,
    target: str,
    ident: int | None,
) -> None:
    allowed = table[source]
    if target not in allowed:
        who = f"{kind} {ident}" if ident is not None else f"a {kind}"
        raise IllegalTransition(
            f"{who} cannot go from {source} to {target}",
            field="state",
            value=target,
            limit=sorted(str(s) for s in allowed),
            from_state=source,
            code=f"{kind}.illegal_transition",
        )


def check_case_transition(
    from_state: CaseState | str, to_state: CaseState | str, *, case_id: int | None = None
) -> CaseState:
    """The target state, or :class:`IllegalTransition` naming where the case may go."""
    source, target = CaseState(from_state), CaseState(to_state)
    _check("case", CASE_TRANSITIONS, source, target, case_id)  # type: ignore[arg-type]
    return target


def check_sortie_transition(
    from_state: SortieState | str, to_state: SortieState | str, *, sortie_id: int | None = None
) -> SortieState:
    """The target state, or :class:`IllegalTransition` naming where the sortie may go."""
    source, target = SortieState(from_state), SortieState(to_state)
    _check("sortie", SORTIE_TRANSITIONS, source, target, sortie_id)  # type: ignore[arg-type]
    return target


def can_sortie_transition(from_state: SortieState | str, to_state: SortieState | str) -> bool:
    return SortieState(to_state) in SORTIE_TRANSITIONS[SortieState(from_state)]
