"""The hash-chained audit trail: every kind of tampering is found, and where."""

from __future__ import annotations

import itertools
import threading

from sqlalchemy import text

from jinghang.store import Store, append_audit, list_audit, verify_chain


def _fill(store: Store, count: int) -> None:
    with store.transaction() as s:
        for n in range(count):
            append_audit(s, actor=f"user{n % 3}", action="incident.report",
                         target_type="incident", target_id=n,
                         details={"priority": n % 5, "note": "现场 §", "lat": 37.5 + n / 1000})


def test_an_untouched_trail_verifies_and_links_each_entry_to_the_last(store: Store) -> None:
    _fill(store, 5)
    with store.read_session() as s:
        report = verify_chain(s)
        entries = list_audit(s)
    assert report.ok and report.checked == 5
    assert entries[0].prev_hash == "0" * 64
    assert all(b.prev_hash == a.hash for a, b in itertools.pairwise(entries))
    assert entries[2].details["note"] == "现场 §"


def test_an_edited_entry_is_found(store: Store) -> None:
    _fill(store, 6)
    with store.transaction() as s:
        s.execute(text("UPDATE audit_entries SET actor = 'mallory' WHERE seq = 3"))
    with store.read_session() as s:
        report = verify_chain(s)
    assert not report.ok and report.first_bad_seq == 3 and report.problem == "edited"


def test_edited_details_are_found(store: Store) -> None:
    _fill(store, 4)
    with store.transaction() as s:
        s.execute(text("UPDATE audit_entries SET details = '{\"priority\": 0}' WHERE seq = 2"))
    with store.read_session() as s:
        report = verify_chain(s)
    assert (report.ok, report.first_bad_seq, report.problem) == (False, 2, "edited")


def test_a_deleted_entry_is_found(store: Store) -> None:
    _fill(store, 6)
    with store.transaction() as s:
        s.execute(text("DELETE FROM audit_entries WHERE seq = 4"))
    with store.read_session() as s:
        report = verify_chain(s)
    assert (report.ok, report.first_bad_seq, report.problem) == (False, 4, "deleted")


def test_a_deleted_newest_entry_is_found(store: Store) -> None:
    _fill(store, 3)
    with store.transaction() as s:
        s.execute(text("DELETE FROM audit_entries WHERE seq = 3"))
    with store.read_session() as s:
        report = verify_chain(s)
    assert (report.ok, report.first_bad_seq, report.problem) == (False, 3, "tail deleted")


def test_swapped_entries_are_found(store: Store) -> None:
    _fill(store, 5)
    with store.transaction() as s:
        s.execute(text("UPDATE audit_entries SET seq = -1 WHERE seq = 2"))
        s.execute(text("UPDATE audit_entries SET seq = 2 WHERE seq = 3"))
        s.execute(text("UPDATE audit_entries SET seq = 3 WHERE seq = -1"))
    with store.read_session() as s:
        report = verify_chain(s)
    assert not report.ok and report.first_bad_seq == 2


def test_writers_racing_never_fork_the_chain(store: Store) -> None:
    def writer(name: str) -> None:
        for n in range(10):
            with store.transaction() as s:
                append_audit(s, actor=name, action="tick", details={"n": n})

    threads = [threading.Thread(target=writer, args=(f"w{i}",)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with store.read_session() as s:
        report = verify_chain(s)
        assert report.ok and report.checked == 40
        assert [e.seq for e in list_audit(s, limit=100)] == list(range(1, 41))


def test_details_json_cannot_hold_are_kept_as_text_and_still_verify(store: Store) -> None:
    import datetime as dt

    with store.transaction() as s:
        entry = append_audit(s, actor="api", action="patrol.create",
                             details={"at": dt.datetime(2026, 7, 1, 6, 0), "ok": True})
    assert entry.details == {"at": "2026-07-01 06:00:00", "ok": True}
    with store.read_session() as s:
        assert verify_chain(s).ok
