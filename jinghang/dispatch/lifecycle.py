"""The incident lifecycle as an explicit state machine.

::

    reported -> queued | assigned | cancelled | failed
    queued   -> assigned | cancelled | failed
    assigned -> launching | queued | cancelled | failed
    launching-> en_route | queued | returning | cancelled | failed
    en_route -> on_scene | returning | failed
    on_scene -> en_route | returning | closed | failed
    returning-> closed | failed
    closed, cancelled, failed: final

``queued`` means waiting for a drone (with the reason); ``assigned`` a drone is chosen (and,
for playbooks that ask for it, waits for a pilot's confirmation); ``launching`` the mission
is being uploaded, the drone armed and put in AUTO; ``en_route`` flying to the scene;
``on_scene`` flying the playbook's first flight; ``returning`` on the way home (mission end
or recall); ``closed`` the drone is down and the record complete. A drone refusing (or
failing to arm) sends the incident from ``assigned``/``launching`` back to ``queued`` so the
next drone is tried. ``on_scene -> en_route`` is a redirect to a new point.
"""

from __future__ import annotations

import enum

from jinghang.dispatch.errors import IllegalTransition


class IncidentState(enum.StrEnum):
    REPORTED = "reported"
    QUEUED = "queued"
    ASSIGNED = "assigned"
    LAUNCHING = "launching"
    EN_ROUTE = "en_route"
    ON_SCENE = "on_scene"
    RETURNING = "returning"
    CLOSED = "closed"
    CANCELLED = "cancelled"
    FAILED = "failed"


S = IncidentState

TRANSITIONS: dict[IncidentState, frozenset[IncidentState]] = {
    S.REPORTED: frozenset({S.QUEUED, S.ASSIGNED, S.CANCELLED, S.FAILED}),
    S.QUEUED: frozenset({S.ASSIGNED, S.CANCELLED, S.FAILED}),
    S.ASSIGNED: frozenset({S.LAUNCHING, S.QUEUED, S.CANCELLED, S.FAILED}),
    S.LAUNCHING: frozenset({S.EN_ROUTE, S.QUEUED, S.RETURNING, S.CANCELLED, S.FAILED}),
    S.EN_ROUTE: frozenset({S.ON_SCENE, S.RETURNING, S.FAILED}),
    S.ON_SCENE: frozenset({S.EN_ROUTE, S.RETURNING, S.CLOSED, S.FAILED}),
    S.RETURNING: frozenset({S.CLOSED, S.FAILED}),
    S.CLOSED: frozenset(),
    S.CANCELLED: frozenset(),
    S.FAILED: frozenset(),
}

FINAL = frozenset({S.CLOSED, S.CANCELLED, S.FAILED})
#: States in which a drone is (or is about to be) in the air for the incident.
FLYING = frozenset({S.LAUNCHING, S.EN_ROUTE, S.ON_SCENE, S.RETURNING})
#: States in which the incident waits for a drone or a confirmation.
WAITING = frozenset({S.REPORTED, S.QUEUED, S.ASSIGNED})


def can_transition(from_state: IncidentState | str, to_state: IncidentState | str) -> bool:
    return IncidentState(to_state) in TRANSITIONS[IncidentState(from_state)]


def check_transition(
    from_state: IncidentState | str,
    to_state: IncidentState | str,
    *,
    incident_id: int | None = None,
) -> IncidentState:
    """The target state, or :class:`IllegalTransition` naming where the incident may go."""
    source = IncidentState(from_state)
    target = IncidentState(to_state)
    allowed = TRANSITIONS[source]
    if target not in allowed:
        who = f"incident {incident_id}" if incident_id is not None else "an incident"
        raise IllegalTransition(
            f"{who} cannot go from {source.value} to {target.value}",
            field="state",
            value=target.value,
            limit=sorted(s.value for s in allowed),
            from_state=source.value,
        )
    return target
