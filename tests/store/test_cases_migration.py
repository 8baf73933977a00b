"""Migration 0005 carries incidents of the older model (the incident's state was its flight's)
into cases and sorties: under way stays open with a sortie in its flight's state, waiting
stays open with a sortie waiting for a drone, flown is closed (outcome flown, a landed sortie),
refused is closed (outcome not_flown, the reason as the note), cancelled stays cancelled."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import sqlalchemy as sa
from alembic import command

from jinghang.store import get_incident, list_sorties, open_store
from jinghang.store.engine import make_engine
from jinghang.store.migrate import alembic_config

OLD = [  # (id, state, mission id, vehicle, reason)
    (1, "en_route", 11, 2, "JH-2: 0.4 km away"),
    (2, "queued", None, None, "waiting for a drone: JH-2: busy with incident 1"),
    (3, "closed", 12, 1, "first flight flown; drone landed"),
    (4, "failed", None, None, "no drone can fly this incident: JH-1: out of range"),
    (5, "cancelled", None, None, "cancelled by chief"),
]


def test_older_incidents_become_cases_with_sorties(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = make_engine(url)
    command.upgrade(alembic_config(engine), "0002_track_points")
    now = dt.datetime(2026, 11, 30, 8, 0, tzinfo=dt.UTC)
    with engine.begin() as c:
        for incident_id, state, mission, vehicle, reason in OLD:
            c.execute(sa.text(
                "INSERT INTO incidents (id, playbook_id, title, description, latitude_deg, "
                "longitude_deg, priority, state, reason, source, reported_by, "
                "vehicle_system_id, "  # identity-rename: keep (the schema before 0009)
                "mission_id, needs_confirmation, confirmed_by, created_at, updated_at, closed_at) "
                "VALUES (:id, 'P01', '', '', 37.5, 122.1, 2, :state, :reason, 'operator', 'li', "
                ":vehicle, :mission, 0, '', :now, :now, :closed)"),
                {"id": incident_id, "state": state, "reason": reason, "vehicle": vehicle,
                 "mission": mission, "now": now,
                 "closed": now if state in ("closed", "failed", "cancelled") else None})
    engine.dispose()

    store = open_store(url)  # upgrades to the newest revision
    try:
        with store.read_session() as s:
            cases = {i: get_incident(s, i) for i, *_ in OLD}
            assert len(list_sorties(s)) == 3
    finally:
        store.close()
    flying = cases[1]
    assert flying.state == "open"
    assert [(x.state, x.drone_id, x.mission_id) for x in flying.sorties] == [
        ("en_route", 2, 11)]
    waiting = cases[2]
    assert waiting.state == "open"
    assert [(x.state, x.drone_id) for x in waiting.sorties] == [("planned", None)]
    flown = cases[3]
    assert (flown.state, flown.outcome) == ("closed", "flown")
    assert [(x.state, x.drone_id) for x in flown.sorties] == [("landed", 1)]
    refused = cases[4]
    assert (refused.state, refused.outcome) == ("closed", "not_flown")
    assert "out of range" in refused.outcome_note and refused.sorties == []
    assert cases[5].state == "cancelled" and cases[5].sorties == []
