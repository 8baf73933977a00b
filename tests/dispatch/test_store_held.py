"""A store write held for 2 s while a drone flies a case on the built-in simulator (on SQLite
another connection holds the file's write lock; on PostgreSQL another session holds the audit
chain's lock, which every audited write takes): telemetry keeps arriving, a command's
acknowledgement comes back as fast as before, an operator's recall is sent at once, and
afterwards every record is there, in order, and the audit chain verifies."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa

from jinghang.store import IncidentCreate, Store, list_audit, list_commands, verify_chain
from tests.dispatch.conftest import dispatch_world, near

HOLD_S = 2.0


async def _ack_round_trip_s(vehicle: object, on: bool) -> float:
    started = time.monotonic()
    await vehicle.set_spotlight(on, relay=0, actor="pilot.wang")  # type: ignore[attr-defined]
    return time.monotonic() - started


@contextmanager
def _held_sqlite(path: Path) -> Iterator[None]:
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")  # every write to the store waits from now on
    try:
        yield
    finally:
        holder.execute("ROLLBACK")
        holder.close()


@contextmanager
def _held_postgres(store: Store) -> Iterator[None]:
    from jinghang.store.audit import PG_AUDIT_LOCK_KEY

    with store.engine.connect() as holder:
        holder.execute(sa.text("SELECT pg_advisory_lock(:k)"), {"k": PG_AUDIT_LOCK_KEY})
        try:
            yield
        finally:
            holder.execute(sa.text("SELECT pg_advisory_unlock(:k)"), {"k": PG_AUDIT_LOCK_KEY})


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest) -> Store | None:
    if request.param == "sqlite":
        return None
    return request.getfixturevalue("postgres_store")  # type: ignore[no-any-return]


async def test_a_held_store_write_does_not_delay_telemetry_or_acks(
        tmp_path: Path, backend: Store | None) -> None:
    async with dispatch_world(tmp_path, drones=1, db_name="held.db", store=backend) as w:
        lat, lon = near(400, 150)
        report = await w.dispatcher.report_incident(
            IncidentCreate(playbook_id="P01", latitude_deg=lat, longitude_deg=lon,
                           title="110: held store"), actor="operator.li")
        case_id = report.incident.id
        await w.sortie_is(case_id, "en_route", "on_scene", timeout_s=60)
        vehicle = w.fleet.vehicles[1]
        before_s = max([await _ack_round_trip_s(vehicle, on) for on in (True, False)])

        telemetry: list[float] = []

        async def watch_telemetry() -> None:
            async with w.bus.subscribe("telemetry") as sub:
                while True:
                    await sub.get()
                    telemetry.append(time.monotonic())

        watcher = asyncio.create_task(watch_telemetry())
        await asyncio.sleep(0.3)
        held = _held_sqlite(tmp_path / "held.db") if backend is None else _held_postgres(backend)
        with held:
            held_from = time.monotonic()
            during_s = [await _ack_round_trip_s(vehicle, on) for on in (True, False, True)]
            recall = asyncio.create_task(w.dispatcher.recall(case_id, actor="commander.zhao"))
            await w.until(lambda: vehicle.state.mode == "RTL", timeout_s=HOLD_S,
                          what="the drone returning while the store is held")
            returning_at = time.monotonic() - held_from
            await asyncio.sleep(held_from + HOLD_S - time.monotonic())
            assert not recall.done()  # the recall's records wait for the store...
        held_until = time.monotonic()
        await asyncio.wait_for(recall, 15)  # ...and go in once it is free
        watcher.cancel()

        # Telemetry kept arriving at its own rate (~4 Hz on the bus): a loop stuck on the
        # database would leave a gap as long as the hold.
        during = [t for t in telemetry if held_from <= t <= held_until]
        gaps = [b - a for a, b in zip([held_from, *during], [*during, held_until],
                                      strict=True)]
        assert len(during) >= 4, f"{len(during)} telemetry updates in {HOLD_S} s"
        assert max(gaps) < HOLD_S / 2, f"telemetry stalled {max(gaps):.2f} s in the hold"
        # A command's acknowledgement came back as fast as before the store was held.
        assert max(during_s) < max(0.5, 3 * before_s), (before_s, during_s)
        assert returning_at < 1.0  # the recall went to the drone at once

        await w.sortie_is(case_id, "landed", timeout_s=90)
        await w.dispatcher.journal.settle()
        with w.store.read_session() as s:
            commands = [c.command for c in list_commands(s, drone_id=1)]
            audit = list_audit(s, target_type="incident", target_id=case_id, limit=1000)
            report_chain = verify_chain(s)
        # five spotlight commands, then the RTL of the recall, in the order they were sent
        spot = [i for i, c in enumerate(commands) if "spotlight" in c.lower()
                or "relay" in c.lower()]
        assert len(spot) == 5, commands
        rtl = [i for i, c in enumerate(commands) if "rtl" in c.lower()
               or "return" in c.lower()]
        assert rtl and rtl[-1] > spot[-1], commands
        actions = [e.action for e in audit]
        steps = [a for a in actions if a.startswith("sortie.")]
        assert steps == ["sortie.launching", "sortie.en_route", *(
            ["sortie.on_scene"] if "sortie.on_scene" in steps else []),
            "sortie.returning", "sortie.landed"], actions
        assert [e.seq for e in audit] == sorted(e.seq for e in audit)
        assert report_chain.ok, report_chain.detail
