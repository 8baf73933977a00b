"""The dispatcher's journal: every state change of a case or a sortie checked against its
lifecycle, written to the store with the actor, put in the audit trail and published on the
event bus; and the coded events the alerts are raised from.

Topics: ``incident`` (a case changed: ``{id, state, from_state, outcome, ...}``), ``sortie``
(``{code: "sortie.state", id, incident_id, state, from_state, drone_id, ...}`` and
the coded sortie, pilot and drone events), ``case`` (``case.unassigned`` ...) and
``dispatcher`` (``dispatch.job_failed``). An event whose code is one of
:data:`jinghang.alerts.codes.CODES` raises that alert (one per cause, counted); the others
are events only. Codes and their parameters are listed in docs/INTERFACES.md.

Writes go through the :class:`~jinghang.store.writer.StoreWriter`, in order, so that the loop
that carries the vehicles' links does not wait on the database: :meth:`Journal.move_case` and
:meth:`Journal.move_sortie` check the step against the state the journal knows (the store's,
with the steps still being written on top), publish it at once and hand the write to the
writer; :meth:`Journal.post` hands in any other write that needs no answer, and
``await`` :meth:`Journal.write` one that does (a new row's id). :meth:`Journal.settle` waits
(without blocking the loop) for what was handed in, so that a reader of the store sees it.
Nothing here writes the database on the caller's thread.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from typing import Any, TypeVar

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
from jinghang.store.models import utc_now
from jinghang.store.writer import StoreWriter

log = logging.getLogger(__name__)
T = TypeVar("T")
_SORTIE_FINAL = frozenset({"landed", "aborted", "failed"})
_CASE_FINAL = frozenset({"closed", "cancelled", "failed"})
_MIRRORED = ("drone_id", "mission_id", "confirmed_by")


class Journal:
    """Records and publishes what happens to cases and sorties; see the module docstring."""

    def __init__(self, store: Store, bus: EventBus, writer: StoreWriter | None = None) -> None:
        self.store = store
        self.bus = bus
        self.writer = writer or StoreWriter(store)
        #: Steps handed to the writer and not yet committed: id -> (version, what they set).
        self._cases: dict[int, tuple[int, dict[str, Any]]] = {}
        self._sorties: dict[int, tuple[int, SortiePublic]] = {}
        self._versions = itertools.count(1)

    # ------------------------------------------------------------------ writing

    def post(self, job: Callable[[Session], Any], *, what: str,
             on_done: Callable[[Any], None] | None = None,
             on_error: Callable[[BaseException], None] | None = None) -> None:
        """Hand a write to the writer without waiting (after every write before it);
        ``on_done(result)`` / ``on_error(exc)`` are called on the loop afterwards."""
        self.writer.post(job, what=what, on_done=on_done, on_error=on_error)

    async def write(self, job: Callable[[Session], T], *, what: str) -> T:
        """Hand a write to the writer and wait, without blocking the loop, for its result."""
        return await self.writer.submit(job, what=what)

    async def settle(self) -> None:
        """Wait until every write handed in so far is in the store."""
        await self.writer.settle()

    @contextmanager
    def read(self) -> Iterator[Session]:
        with self.store.read_session() as session:
            yield session

    def case(self, case_id: int) -> IncidentPublic:
        """The case as stored, with the steps still being written on top."""
        with self.read() as s:
            case = get_incident(s, case_id)
        pending = self._cases.get(case_id)
        if pending is not None:
            case = case.model_copy(update=pending[1])
        if any(x.id in self._sorties for x in case.sorties):
            case = case.model_copy(update={"sorties": [
                self._sorties[x.id][1] if x.id in self._sorties else x for x in case.sorties]})
        return case

    def sortie(self, sortie_id: int) -> SortiePublic:
        """The sortie as stored, or as its step still being written leaves it."""
        pending = self._sorties.get(sortie_id)
        if pending is not None:
            return pending[1]
        with self.read() as s:
            return get_sortie(s, sortie_id)

    def _forget(self, table: dict[int, Any], key: int, version: int, _result: object) -> None:
        """A step is in the store (or failed: then the store is the truth): forget it."""
        if key in table and table[key][0] == version:
            del table[key]

    # ------------------------------------------------------------------ state changes

    def move_case(self, case_id: int, to_state: CaseState, *, actor: str,
                  reason: str | None = None, code: str | None = None,
                  params: dict[str, Any] | None = None, **fields: Any) -> IncidentPublic:
        """Check one step of a case, publish it, and hand its record and audit (with who)
        to the writer; the audit keeps the reason's ``code`` and ``params``."""
        current = self.case(case_id)
        check_case_transition(current.state, to_state, case_id=case_id)
        now = utc_now()
        update: dict[str, Any] = {**(self._cases.get(case_id, (0, {}))[1]),
                                  "state": to_state.value, "updated_at": now, **fields}
        if reason is not None:
            update["reason"] = reason[:1024]
        if to_state.value in _CASE_FINAL:
            update["closed_at"] = now
        version = next(self._versions)
        self._cases[case_id] = (version, update)
        case = current.model_copy(update=update)
        details: dict[str, Any] = {"from": current.state, "to": to_state.value, **fields}
        if reason:
            details["reason"] = reason
        if code:
            details.update(code=code, params=params or {})

        def job(s: Session) -> None:
            set_incident_state(s, case_id, to_state.value, actor=actor, reason=reason,
                               **fields)
            append_audit(s, actor=actor, action=f"incident.{to_state.value}",
                         target_type="incident", target_id=case_id, details=details)

        forget = partial(self._forget, self._cases, case_id, version)
        self.writer.post(job, what=f"incident {case_id} -> {to_state.value}",
                         on_done=forget, on_error=forget)
        self.publish_case(case, from_state=current.state, actor=actor)
        return case

    def publish_case(self, case: IncidentPublic, *, from_state: str, actor: str) -> None:
        self.bus.publish("incident", {
            "id": case.id, "state": case.state, "from_state": from_state,
            "outcome": case.outcome, "reason": case.reason, "priority": case.priority,
            "playbook_id": case.playbook_id, "drone_id": case.drone_id,
            "mission_id": case.mission_id, "actor": actor,
        })

    def move_sortie(self, sortie_id: int, to_state: SortieState, *, actor: str,
                    reason: str | None = None, code: str | None = None,
                    data: dict[str, Any] | None = None, params: dict[str, Any] | None = None,
                    **fields: Any) -> SortiePublic:
        """Check one step of a sortie, publish it on ``sortie``, and hand its record and
        audit to the writer; ``params`` are the figures of the reason's ``code``."""
        current = self.sortie(sortie_id)
        check_sortie_transition(current.state, to_state, sortie_id=sortie_id)
        now = utc_now()
        update: dict[str, Any] = {"state": to_state.value, "updated_at": now, **fields}
        if reason is not None:
            update["reason"] = reason[:1024]
        if code is not None:
            update["code"] = code[:48]
        if to_state.value == "launching" and current.launched_at is None:
            update["launched_at"] = now
        elif to_state.value == "on_scene" and current.on_scene_at is None:
            update["on_scene_at"] = now
        elif to_state.value in _SORTIE_FINAL:
            update["ended_at"] = now
        sortie = current.model_copy(update=update)
        version = next(self._versions)
        self._sorties[sortie_id] = (version, sortie)
        mirrored = {k: v for k, v in fields.items() if k in _MIRRORED and v is not None}
        if mirrored:  # the case shows its latest sortie's drone and mission
            case_update = {**self._cases.get(sortie.incident_id, (0, {}))[1], **mirrored}
            self._cases[sortie.incident_id] = (version, case_update)
        details: dict[str, Any] = {"sortie_id": sortie_id, "from": current.state,
                                   "to": to_state.value, **fields}
        if reason:
            details["reason"] = reason
        if code:
            details["code"] = code
        if params:
            details["params"] = params
            data = {**(data or {}), "params": params}

        def job(s: Session) -> None:
            stored = set_sortie_state(s, sortie_id, to_state.value, actor=actor, reason=reason,
                                      code=code, data=data, **fields)
            append_audit(s, actor=actor, action=f"sortie.{to_state.value}",
                         target_type="incident", target_id=stored.incident_id, details=details)

        def forget(_result: object) -> None:
            self._forget(self._sorties, sortie_id, version, None)
            self._forget(self._cases, sortie.incident_id, version, None)

        self.writer.post(job, what=f"sortie {sortie_id} -> {to_state.value}",
                         on_done=forget, on_error=forget)
        self.bus.publish("sortie", {
            "code": "sortie.state", "id": sortie.id, "incident_id": sortie.incident_id,
            "state": sortie.state, "from_state": current.state,
            "drone_id": sortie.drone_id, "mission_id": sortie.mission_id,
            "reason": sortie.reason, "reason_code": sortie.code,
            "reason_params": params or {}, "actor": actor,
        })
        return sortie

    # ------------------------------------------------------------------ coded events

    def event(self, topic: str, code: str, **data: Any) -> None:
        """A coded event for the alerts (``topic`` ``case`` or ``sortie``)."""
        self.bus.publish(topic, {"code": code, **data})
