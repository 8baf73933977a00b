"""The dispatcher's journal: every state change of a case or a sortie checked against its
lifecycle, written to the store with the actor, put in the audit trail and published on the
event bus; and the coded events the alerts are raised from.

Topics: ``incident`` (a case changed: ``{id, state, from_state, outcome, ...}``), ``sortie``
(``{code: "sortie.state", id, incident_id, state, from_state, vehicle_system_id, ...}`` and
the coded sortie and drone events), ``case`` (``case.unassigned`` ...), and the older
free-text ``alert``. Codes and their parameters are listed in docs/INTERFACES.md.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlmodel import Session

from jinghang.dispatch.lifecycle import (
    CaseState,
    SortieState,
    check_case_transition,
    check_sortie_transition,
)
from jinghang.events import EventBus
from jinghang.store import (
    IncidentPublic,
    SortiePublic,
    Store,
    append_audit,
    get_incident,
    get_sortie,
    set_incident_state,
    set_sortie_state,
)

log = logging.getLogger(__name__)


class Journal:
    """Records and publishes what happens to cases and sorties; see the module docstring."""

    def __init__(self, store: Store, bus: EventBus) -> None:
        self.store = store
        self.bus = bus

    @contextmanager
    def tx(self) -> Iterator[Session]:
        """A write transaction (committed at the end of the block)."""
        with self.store.transaction() as session:
            yield session

    @contextmanager
    def read(self) -> Iterator[Session]:
        with self.store.read_session() as session:
            yield session

    def case(self, case_id: int) -> IncidentPublic:
        with self.read() as s:
            return get_incident(s, case_id)

    def sortie(self, sortie_id: int) -> SortiePublic:
        with self.read() as s:
            return get_sortie(s, sortie_id)

    # ------------------------------------------------------------------ state changes

    def move_case(self, case_id: int, to_state: CaseState, *, actor: str,
                  reason: str | None = None, **fields: Any) -> IncidentPublic:
        """Check and record one step of a case, audit it (with who), publish it."""
        with self.tx() as s:
            current = get_incident(s, case_id)
            check_case_transition(current.state, to_state, case_id=case_id)
            case = set_incident_state(s, case_id, to_state.value, actor=actor, reason=reason,
                                      **fields)
            details: dict[str, Any] = {"from": current.state, "to": to_state.value, **fields}
            if reason:
                details["reason"] = reason
            append_audit(s, actor=actor, action=f"incident.{to_state.value}",
                         target_type="incident", target_id=case_id, details=details)
        self.publish_case(case, from_state=current.state, actor=actor)
        return case

    def publish_case(self, case: IncidentPublic, *, from_state: str, actor: str) -> None:
        self.bus.publish("incident", {
            "id": case.id, "state": case.state, "from_state": from_state,
            "outcome": case.outcome, "reason": case.reason, "priority": case.priority,
            "playbook_id": case.playbook_id, "vehicle_system_id": case.vehicle_system_id,
            "mission_id": case.mission_id, "actor": actor,
        })

    def move_sortie(self, sortie_id: int, to_state: SortieState, *, actor: str,
                    reason: str | None = None, code: str | None = None,
                    data: dict[str, Any] | None = None, **fields: Any) -> SortiePublic:
        """Check and record one step of a sortie, audit it, publish it on ``sortie``."""
        with self.tx() as s:
            current = get_sortie(s, sortie_id)
            check_sortie_transition(current.state, to_state, sortie_id=sortie_id)
            sortie = set_sortie_state(s, sortie_id, to_state.value, actor=actor, reason=reason,
                                      code=code, data=data, **fields)
            details: dict[str, Any] = {"sortie_id": sortie_id, "from": current.state,
                                       "to": to_state.value, **fields}
            if reason:
                details["reason"] = reason
            if code:
                details["code"] = code
            append_audit(s, actor=actor, action=f"sortie.{to_state.value}",
                         target_type="incident", target_id=sortie.incident_id, details=details)
        self.bus.publish("sortie", {
            "code": "sortie.state", "id": sortie.id, "incident_id": sortie.incident_id,
            "state": sortie.state, "from_state": current.state,
            "vehicle_system_id": sortie.vehicle_system_id, "mission_id": sortie.mission_id,
            "reason": sortie.reason, "reason_code": sortie.code, "actor": actor,
        })
        return sortie

    # ------------------------------------------------------------------ coded events

    def event(self, topic: str, code: str, **data: Any) -> None:
        """A coded event for the alerts (``topic`` ``case`` or ``sortie``)."""
        self.bus.publish(topic, {"code": code, **data})

    def alert(self, level: str, message: str, **data: Any) -> None:
        """The older free-text alert (kept for the console until alerts are server state)."""
        self.bus.publish("alert", {"level": level, "message": message, **data})
