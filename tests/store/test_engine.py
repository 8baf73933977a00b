"""Opening the store: migrations to head, SQLite in WAL, bad URLs refused with the field."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import inspect, text

from jinghang.store import Store, StoreUnavailable, open_store
from jinghang.store.migrate import current_revision, head_revision


def test_open_creates_every_table_at_the_newest_revision(store: Store) -> None:
    tables = set(inspect(store.engine).get_table_names())
    assert {
        "users", "vehicles", "incidents", "missions", "mission_events", "vehicle_commands",
        "patrol_schedules", "patrol_runs", "recordings", "audit_entries", "audit_head",
    } <= tables
    assert current_revision(store.engine) == head_revision()


def test_sqlite_file_runs_in_wal_mode_with_a_busy_timeout(sqlite_store: Store) -> None:
    with sqlite_store.read_session() as session:
        assert session.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert int(session.execute(text("PRAGMA busy_timeout")).scalar() or 0) >= 5000


def test_reopening_a_migrated_database_keeps_its_rows(tmp_path: Path) -> None:
    from jinghang.store import VehicleCreate, get_vehicle, register_vehicle

    url = f"sqlite:///{tmp_path / 'again.db'}"
    first = open_store(url)
    with first.transaction() as s:
        register_vehicle(
            s, VehicleCreate(drone_id=7, name="d7", base_latitude_deg=37.5,
                             base_longitude_deg=122.1)
        )
    first.close()
    second = open_store(url)
    with second.read_session() as s:
        assert get_vehicle(s, 7).name == "d7"
    second.close()


def test_a_bad_url_is_refused_naming_the_setting() -> None:
    with pytest.raises(StoreUnavailable) as err:
        open_store("not a url at all")
    assert err.value.field == "database_url"


def test_an_unreachable_server_is_refused_naming_the_setting() -> None:
    from tests.conftest import free_tcp_port

    port = free_tcp_port()
    with pytest.raises(StoreUnavailable) as err:
        open_store(f"postgresql://nobody@127.0.0.1:{port}/none?connect_timeout=2")
    assert err.value.field == "database_url"


def test_a_failed_transaction_changes_nothing(store: Store) -> None:
    from jinghang.store import VehicleCreate, list_vehicles, register_vehicle

    with pytest.raises(RuntimeError), store.transaction() as s:
        register_vehicle(
            s, VehicleCreate(drone_id=9, name="d9", base_latitude_deg=1, base_longitude_deg=2)
        )
        raise RuntimeError("boom")
    with store.read_session() as s:
        assert list_vehicles(s) == []


def test_readers_are_not_held_up_by_an_open_write(sqlite_store: Store) -> None:
    from jinghang.store import append_audit, list_audit

    with sqlite_store.session() as writer:
        append_audit(writer, actor="a", action="x")  # holds SQLite's write lock
        with sqlite_store.read_session() as reader:
            assert list_audit(reader) == []  # the last committed state, at once
        writer.commit()
    with sqlite_store.read_session() as reader:
        assert [e.action for e in list_audit(reader)] == ["x"]


def test_the_migrations_build_exactly_the_schema_of_the_models(store: Store) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext
    from sqlmodel import SQLModel

    with store.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": False})
        differences = compare_metadata(context, SQLModel.metadata)
    assert differences == []
