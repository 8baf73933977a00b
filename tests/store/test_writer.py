"""The store writer: jobs are committed in the order they were handed in (audit chain order
included, on SQLite and PostgreSQL), a held database does not hold the loop, a full queue
makes ``submit`` wait and ``post`` keep every job, a failing job is dropped with an alert and
the next one runs, and closing commits what is queued."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlmodel import Session

from jinghang.alerts import AlertService
from jinghang.api.runtime import store_writer
from jinghang.api.services import Services
from jinghang.config import Settings
from jinghang.events import EventBus
from jinghang.store import (
    MissionCreate,
    NotFound,
    Store,
    add_mission_event,
    append_audit,
    create_mission,
    list_audit,
    list_events,
    open_store,
    verify_chain,
)
from jinghang.store.alerts import list_alerts
from jinghang.store.writer import StoreWriter


def _audit(n: int) -> Any:
    def job(s: Session) -> int:
        return append_audit(s, actor="loop", action="test.post", details={"n": n}).seq
    return job


@contextmanager
def held_sqlite(path: Path) -> Iterator[None]:
    """Another connection holds the database's write lock for the block."""
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    try:
        yield
    finally:
        other.execute("ROLLBACK")
        other.close()


async def _ticks_while(seconds: float) -> int:
    """How often the loop ran a 10 ms timer during ``seconds``."""
    ticks = 0
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        await asyncio.sleep(0.01)
        ticks += 1
    return ticks


def test_jobs_commit_in_order_and_the_chain_verifies(store: Store) -> None:
    """Posts from the loop interleaved with writes from other threads (the API's
    threadpool): the chain verifies, and the loop's rows are in the order they were posted."""
    writer = StoreWriter(store)

    def api_thread(name: str) -> None:
        for n in range(15):
            with store.transaction() as s:
                append_audit(s, actor=name, action="test.api", details={"n": n})

    async def main() -> int:
        threads = [threading.Thread(target=api_thread, args=(f"api{i}",)) for i in range(2)]
        for t in threads:
            t.start()
        for n in range(60):
            writer.post(_audit(n), what=f"audit {n}")
            if n % 10 == 0:
                await asyncio.sleep(0)
        mission = await writer.submit(lambda s: create_mission(
            s, MissionCreate(drone_id=1), created_by="t"), what="mission")
        for t in threads:
            t.join()
        await writer.settle()
        return mission.id

    mission_id = asyncio.run(main())
    writer.close()
    assert mission_id > 0
    with store.read_session() as s:
        posted = list_audit(s, action="test.post", limit=1000)
        report = verify_chain(s)
    assert [e.details["n"] for e in posted] == list(range(60))
    assert [e.seq for e in posted] == sorted(e.seq for e in posted)
    assert report.ok, report.detail
    assert report.checked >= 90


def test_a_held_sqlite_file_does_not_hold_the_loop(tmp_path: Path) -> None:
    path = tmp_path / "held.db"
    store = open_store(f"sqlite:///{path}")
    writer = StoreWriter(store)

    async def main() -> tuple[int, bool]:
        with held_sqlite(path):
            for n in range(20):
                writer.post(_audit(n), what=f"audit {n}")
            ticks = await _ticks_while(1.0)  # the loop runs while the writer waits
            still_waiting = writer.pending > 0
        await writer.settle()
        return ticks, still_waiting

    try:
        ticks, still_waiting = asyncio.run(main())
        assert still_waiting  # the writes really waited for the lock
        assert ticks > 20  # ~100 at 10 ms; the loop was never stuck on the database
        with store.read_session() as s:
            assert [e.details["n"] for e in list_audit(s, action="test.post")] == list(range(20))
            assert verify_chain(s).ok
    finally:
        writer.close()
        store.close()


@pytest.mark.postgres
def test_a_held_postgres_audit_lock_does_not_hold_the_loop(postgres_store: Store) -> None:
    """PostgreSQL: another session holds the audit chain's advisory lock."""
    from jinghang.store.audit import PG_AUDIT_LOCK_KEY

    writer = StoreWriter(postgres_store)
    other = postgres_store.engine.connect()

    async def main() -> int:
        other.execute(sa.text("SELECT pg_advisory_lock(:k)"), {"k": PG_AUDIT_LOCK_KEY})
        for n in range(10):
            writer.post(_audit(n), what=f"audit {n}")
        ticks = await _ticks_while(1.0)
        assert writer.pending > 0
        other.execute(sa.text("SELECT pg_advisory_unlock(:k)"), {"k": PG_AUDIT_LOCK_KEY})
        other.commit()
        await writer.settle()
        return ticks

    try:
        assert asyncio.run(main()) > 20
        with postgres_store.read_session() as s:
            assert [e.details["n"] for e in list_audit(s, action="test.post")] == list(range(10))
            assert verify_chain(s).ok
    finally:
        other.close()
        writer.close()


def test_a_full_queue_makes_submit_wait_and_post_keep_every_job(tmp_path: Path) -> None:
    path = tmp_path / "full.db"
    store = open_store(f"sqlite:///{path}")
    states: list[tuple[bool, str | None]] = []
    writer = StoreWriter(store, max_pending=5, on_state=lambda ok, e: states.append((ok, e)))

    async def main() -> tuple[bool, int]:
        with held_sqlite(path):
            for n in range(12):  # beyond the bound: kept, and the writer says it is behind
                writer.post(_audit(n), what=f"audit {n}")
            waiting = asyncio.create_task(writer.submit(_audit(99), what="audit 99"))
            await _ticks_while(0.5)
            submit_waited = not waiting.done()
        seq = await waiting
        return submit_waited, seq

    try:
        submit_waited, seq = asyncio.run(main())
        assert submit_waited
        with store.read_session() as s:
            rows = [e.details["n"] for e in list_audit(s, action="test.post")]
        assert rows == [*range(12), 99]  # nothing dropped, the waiting one last
        assert seq == len(rows)
        assert states[0][0] is False and "waiting" in (states[0][1] or "")
        assert states[-1] == (True, None)  # back once the backlog went in
    finally:
        writer.close()
        store.close()


def test_a_failing_job_is_dropped_with_an_alert_and_the_next_runs(tmp_path: Path) -> None:
    """Wired as the server wires it: the alert service raises ``component.stopped``."""
    store = open_store(f"sqlite:///{tmp_path / 'fail.db'}")
    bus = EventBus()
    services = Services(settings=Settings(), bus=bus, store=store)
    services.alerts = AlertService(store, bus)
    writer = store_writer(services)

    def bad(s: Session) -> None:
        add_mission_event(s, kind="x", actor="t")
        raise NotFound("no mission 404", field="mission_id", value=404)

    async def main() -> None:
        writer.post(bad, what="a bad write")
        writer.post(lambda s: add_mission_event(s, kind="after", actor="t"), what="next")
        with pytest.raises(NotFound):
            await writer.submit(bad, what="another bad write")
        await asyncio.sleep(0.05)
        assert services.supervisor.status["store-writer"].down  # health shows it
        await writer.submit(lambda s: add_mission_event(s, kind="after", actor="t"),
                            what="a good write")
        await asyncio.sleep(0.05)  # the callbacks run on the loop

    try:
        asyncio.run(main())
        with store.read_session() as s:
            kinds = [e.kind for e in list_events(s, limit=100)]
            alerts = list_alerts(s, state="open")
        assert kinds.count("after") == 2 and "x" not in kinds  # the failed one rolled back
        assert writer.failed == 2
        stopped = [a for a in alerts if a.code == "component.stopped"]
        assert stopped and stopped[0].params["component"] == "store-writer"
        assert "bad write: NotFound" in stopped[0].params["error"]  # one alert, counted
        assert stopped[0].count == 2
        # the later write went in: the writer is well again
        assert services.supervisor.status["store-writer"].state.value == "running"
    finally:
        writer.close()
        store.close()


def test_close_commits_what_is_queued_and_the_writer_starts_again(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'close.db'}")
    writer = StoreWriter(store)
    try:
        for n in range(200):
            writer.post(_audit(n), what=f"audit {n}")
        writer.close()
        assert writer.pending == 0
        writer.post(_audit(200), what="after close")
        assert writer.flush(10.0)
        with store.read_session() as s:
            assert len(list_audit(s, action="test.post", limit=1000)) == 201
    finally:
        writer.close()
        store.close()
