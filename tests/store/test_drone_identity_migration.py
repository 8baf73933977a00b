"""Migration 0009 renames the drone's key in every table (``vehicles.system_id`` and every
``vehicle_system_id`` become ``drone_id``) and gives the register a link and a MAVLink system
id: on a database with drones, cases, sorties, missions, commands, alerts, recordings and
patrols, every reference still names the same drone afterwards, on SQLite and on PostgreSQL,
and a downgrade gives the old columns back with their values."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from sqlmodel import select

from jinghang.store import get_incident, get_vehicle, open_store
from jinghang.store.engine import make_engine, normalise_url
from jinghang.store.migrate import alembic_config
from jinghang.store.models import Alert, Mission, PatrolRun, Recording, VehicleCommand

NOW = dt.datetime(2026, 12, 1, 8, 0, tzinfo=dt.UTC)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database (no schema yet) on SQLite or on the session's PostgreSQL server."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'old.db'}"
        return
    server = request.getfixturevalue("postgres_url")
    name = f"jh_migrate_{os.getpid()}_{tmp_path.name[-12:]}".replace("-", "_").lower()
    admin = sa.create_engine(normalise_url(server), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield server.rsplit("/", 1)[0] + "/" + name
    finally:
        with admin.connect() as conn, contextlib.suppress(Exception):
            conn.execute(sa.text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()


def _filler(column: sa.Column[Any]) -> Any:
    kind = column.type
    if isinstance(kind, sa.Boolean):
        return False
    if isinstance(kind, sa.Integer):
        return 1
    if isinstance(kind, sa.Float | sa.Numeric):
        return 0.0
    if isinstance(kind, sa.DateTime):
        return NOW
    if isinstance(kind, sa.JSON):
        return {}
    return ""


def _insert(conn: sa.Connection, meta: sa.MetaData, table: str, **values: Any) -> None:
    """A row with ``values`` and a plain value in every other required column."""
    t = meta.tables[table]
    row = {c.name: _filler(c) for c in t.columns
           if not c.nullable and not c.primary_key and c.server_default is None}
    row.update(values)
    conn.execute(t.insert().values(**row))


def test_every_reference_to_a_drone_survives_the_rename(empty_url: str) -> None:
    engine = make_engine(empty_url)
    command.upgrade(alembic_config(engine), "0008_case_shares")
    meta = sa.MetaData()
    meta.reflect(engine)
    with engine.begin() as c:
        for system_id, name in ((3, "harbour"), (7, "shore")):
            _insert(c, meta, "vehicles", system_id=system_id, name=name,
                    base_latitude_deg=37.5, base_longitude_deg=122.1, status="available")
        _insert(c, meta, "incidents", id=1, playbook_id="P01", state="open", priority=2,
                vehicle_system_id=7, latitude_deg=37.5, longitude_deg=122.1)
        _insert(c, meta, "missions", id=5, vehicle_system_id=7, incident_id=1,
                state="flying")
        _insert(c, meta, "sorties", id=2, incident_id=1, playbook_id="P01", state="en_route",
                vehicle_system_id=7, mission_id=5)
        _insert(c, meta, "sorties", id=3, incident_id=1, playbook_id="P01", state="planned",
                vehicle_system_id=None)
        _insert(c, meta, "vehicle_commands", vehicle_system_id=3, command="pause")
        _insert(c, meta, "alerts", code="battery.low", vehicle_system_id=7, key="k")
        _insert(c, meta, "recordings", vehicle_system_id=3, incident_id=1)
        _insert(c, meta, "patrol_schedules", id=4, vehicle_system_id=3, name="night",
                template_id="SAF-01")
        _insert(c, meta, "patrol_runs", schedule_id=4, vehicle_system_id=3, status="done")
    engine.dispose()

    store = open_store(empty_url)  # upgrades to the newest revision
    try:
        with store.read_session() as s:
            harbour, shore = get_vehicle(s, 3), get_vehicle(s, 7)
            assert (harbour.name, shore.name) == ("harbour", "shore")
            assert (shore.link, shore.mavlink_system_id) == ("", None)  # speaks its drone id
            case = get_incident(s, 1)
            assert case.drone_id == 7
            assert sorted((x.id, x.drone_id) for x in case.sorties) == [(2, 7), (3, None)]
            assert [m.drone_id for m in s.exec(select(Mission)).all()] == [7]
            assert [x.drone_id for x in s.exec(select(VehicleCommand)).all()] == [3]
            assert [x.drone_id for x in s.exec(select(Alert)).all()] == [7]
            assert [x.drone_id for x in s.exec(select(Recording)).all()] == [3]
            assert [x.drone_id for x in s.exec(select(PatrolRun)).all()] == [3]
        inspector = sa.inspect(store.engine)
        assert {i["name"]: i["unique"] for i in inspector.get_indexes("vehicles")
                if i["column_names"] == ["drone_id"]} == {"ix_vehicles_drone_id": True}
    finally:
        store.close()

    engine = make_engine(empty_url)
    try:
        command.downgrade(alembic_config(engine), "0008_case_shares")
        with engine.connect() as c:
            assert c.execute(sa.text(
                "SELECT system_id, name FROM vehicles ORDER BY system_id")).all() == [
                (3, "harbour"), (7, "shore")]
            assert c.execute(sa.text(
                "SELECT id, vehicle_system_id FROM sorties ORDER BY id")).all() == [
                (2, 7), (3, None)]
    finally:
        engine.dispose()
