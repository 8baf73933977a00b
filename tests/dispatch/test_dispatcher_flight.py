"""A case's sortie flown to the end on the built-in simulator, the case closed by a commander
with an outcome, with the record of who did what."""

from __future__ import annotations

from pathlib import Path

import pytest

from jinghang.store import (
    IncidentCreate,
    Store,
    list_audit,
    list_commands,
    list_events,
    verify_chain,
)
from tests.dispatch.conftest import dispatch_world, near


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Store | None:
    """The flight test runs on the default SQLite file and on a real PostgreSQL server."""
    if request.param == "sqlite":
        return None
    return request.getfixturevalue("postgres_store")  # type: ignore[no-any-return]


async def test_a_sortie_is_flown_to_the_end_and_the_case_closed_with_an_outcome(
    tmp_path: Path, store: Store | None
) -> None:
    async with dispatch_world(tmp_path, drones=1, store=store) as w:
        lat, lon = near(250, 100)
        report = await w.dispatcher.report_incident(
            IncidentCreate(playbook_id="P01", latitude_deg=lat, longitude_deg=lon,
                           title="110: fight reported"), actor="operator.li")
        assert report.choice is not None and report.choice.best is not None
        assert report.choice.best.drone_id == 1
        incident_id = report.incident.id
        await w.sortie_is(incident_id, "on_scene", timeout_s=60)
        await w.sortie_is(incident_id, "landed", timeout_s=90)
        assert w.incident(incident_id).state == "open"  # the drone is down, the case is not
        closed = await w.dispatcher.close(incident_id, actor="chief.wang", outcome="resolved",
                                          note="suspects detained")
        assert (closed.state, closed.outcome, closed.closed_by) == (
            "closed", "resolved", "chief.wang")
        with w.store.read_session() as s:
            states = [e.to_state for e in list_events(s, incident_id=incident_id)
                      if e.kind == "sortie.state"]
            case_states = [e.to_state for e in list_events(s, incident_id=incident_id)
                           if e.kind == "incident.state"]
            commands = [(c.command, c.result) for c in list_commands(s, incident_id=incident_id)]
            audit = [(a.actor, a.action) for a in list_audit(s, limit=1000)]
            assert verify_chain(s).ok
        await w.settle()
    assert states == ["planned", "launching", "en_route", "on_scene", "returning", "landed"]
    assert case_states == ["open", "closed"]
    assert ("upload_mission", "ACCEPTED") in commands
    assert ("start_mission", "ACCEPTED") in commands
    assert ("operator.li", "incident.report") in audit
    assert ("dispatcher", "sortie.landed") in audit
    assert ("chief.wang", "incident.closed") in audit
    assert ("dispatcher", "vehicle.command") in audit
    assert any(e["topic"] == "mission.progress" for e in w.events)
    closed = [e for e in w.events if e["topic"] == "incident" and e["state"] == "closed"]
    assert closed and closed[0]["id"] == incident_id
