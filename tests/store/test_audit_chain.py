"""The keyed audit chain: a row edited, deleted or rewritten with a recomputed chain is named;
a truncated tail is found against an exported checkpoint; legacy rows are sealed; the trail
is read in batches; flown tracks are in the chain; ``jinghang audit`` exits 0, 1 or 2."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from sqlalchemy import event, text

from jinghang.store import MissionCreate, Store, TrackPointCreate, create_mission, open_store
from jinghang.store.audit import append_audit, list_audit, verify_chain
from jinghang.store.audit_checkpoints import (
    Checkpoint,
    checkpoint_head,
    export_document,
    list_checkpoints,
)
from jinghang.store.audit_key import (
    DEVELOPMENT_KEY,
    GENESIS_HASH,
    AuditKey,
    entry_body,
    keyed_hash,
    legacy_hash,
)
from jinghang.store.audit_tracks import record_track_digest, verify_track_digests
from jinghang.store.engine import make_engine
from jinghang.store.migrate import alembic_config
from jinghang.store.tracks import add_track_points

ROOT = Path(__file__).resolve().parents[2]
KEY_HEX = "5e" * 32
KEY = AuditKey.from_hex(KEY_HEX)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "audit.db"


@pytest.fixture
def keyed_sqlite(db_path: Path) -> Iterator[Store]:
    store = open_store(f"sqlite:///{db_path}", audit_key=KEY)
    try:
        yield store
    finally:
        store.close()


@pytest.fixture
def keyed_postgres(postgres_url: str) -> Iterator[Store]:
    import sqlalchemy as sa

    from jinghang.store.engine import normalise_url

    name = f"jh_audit_{os.getpid()}_{next(_COUNTER)}"
    admin = sa.create_engine(normalise_url(postgres_url), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    store = open_store(postgres_url.rsplit("/", 1)[0] + "/" + name, audit_key=KEY)
    try:
        yield store
    finally:
        store.close()
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()


_COUNTER = iter(range(1_000_000))


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def keyed(request: pytest.FixtureRequest) -> Store:
    """A store opened with the audit key, on a SQLite file and on a real PostgreSQL."""
    return request.getfixturevalue(f"keyed_{request.param}")  # type: ignore[no-any-return]


def _fill(store: Store, count: int, start: int = 0) -> None:
    with store.transaction() as s:
        for n in range(start, start + count):
            append_audit(s, actor=f"user{n % 3}", action="incident.report",
                         target_type="incident", target_id=n, details={"n": n, "note": "现场"})


def _verify(store: Store, **kwargs: Any) -> Any:
    with store.read_session() as s:
        return verify_chain(s, **kwargs)


def _rows(store: Store) -> list[dict[str, Any]]:
    with store.read_session() as s:
        return [dict(r._mapping) for r in s.execute(text(
            "SELECT id, seq, created_at, actor, action, target_type, target_id, details, "
            "prev_hash, hash, key_id FROM audit_entries ORDER BY seq"))]


def _body(row: dict[str, Any], prev_hash: str) -> dict[str, Any]:
    details = row["details"]
    return entry_body(
        seq=row["seq"], created_at=dt.datetime.fromisoformat(str(row["created_at"])),
        actor=row["actor"], action=row["action"], target_type=row["target_type"],
        target_id=row["target_id"],
        details=json.loads(details) if isinstance(details, str) else details,
        prev_hash=prev_hash)


def _rewrite_from(store: Store, seq: int, digest: Any, key_id: str,
                  until: int | None = None) -> None:
    """What a database writer without the key can do: rewrite the rows from ``seq`` on (to
    ``until``) with hashes it computes itself (``digest(body)``), relinked, and move the head
    along."""
    rows = _rows(store)[:until]
    prev = GENESIS_HASH if seq == 1 else rows[seq - 2]["hash"]
    with store.transaction() as s:
        for row in rows[seq - 1:]:
            new_hash = digest(_body(row, prev))
            s.execute(text("UPDATE audit_entries SET prev_hash = :p, hash = :h, key_id = :k "
                           "WHERE id = :id"), {"p": f"{row['id']:064d}", "h": new_hash, "k": key_id,
                                                 "id": row["id"]})
            prev = new_hash
        # prev_hash is unique: set the real values once every row has moved
        prev = GENESIS_HASH if seq == 1 else rows[seq - 2]["hash"]
        for row in rows[seq - 1:]:
            s.execute(text("UPDATE audit_entries SET prev_hash = :p WHERE id = :id"),
                      {"p": prev, "id": row["id"]})
            prev = s.execute(text("SELECT hash FROM audit_entries WHERE id = :id"),
                             {"id": row["id"]}).scalar_one()
        if until is None:
            s.execute(text("UPDATE audit_head SET hash = :h, key_id = :k"),
                      {"h": prev, "k": key_id})


def test_an_intact_keyed_trail_verifies(keyed: Store) -> None:
    _fill(keyed, 12)
    report = _verify(keyed)
    assert report.ok and report.checked == 12 and report.legacy_entries == 0
    entries = _rows(keyed)
    assert {e["key_id"] for e in entries} == {KEY.key_id}
    # the hash is a MAC with the key, not the plain SHA-256 of the row
    assert entries[0]["hash"] == keyed_hash(KEY, _body(entries[0], GENESIS_HASH))
    assert entries[0]["hash"] != legacy_hash(_body(entries[0], GENESIS_HASH))
    assert report.head_seq == 12 and report.head_hash == entries[-1]["hash"]


def test_an_edited_row_is_named(keyed: Store) -> None:
    _fill(keyed, 8)
    with keyed.transaction() as s:
        s.execute(text("UPDATE audit_entries SET actor = 'mallory' WHERE seq = 5"))
    report = _verify(keyed)
    assert (report.ok, report.first_bad_seq, report.problem) == (False, 5, "edited")
    assert report.first_bad_id == 5 and report.checked == 4


def test_a_deleted_row_is_named(keyed: Store) -> None:
    _fill(keyed, 8)
    with keyed.transaction() as s:
        s.execute(text("DELETE FROM audit_entries WHERE seq = 3"))
    report = _verify(keyed)
    assert (report.ok, report.first_bad_seq, report.problem) == (False, 3, "deleted")
    assert "3..3" in report.detail


def test_a_rewrite_with_a_recomputed_unkeyed_chain_is_named(keyed: Store) -> None:
    _fill(keyed, 10)
    with keyed.transaction() as s:
        s.execute(text("UPDATE audit_entries SET actor = 'mallory' WHERE seq = 6"))
    # rows 6..10 rehashed with SHA-256 and relinked, as the unkeyed chain allowed
    _rewrite_from(keyed, 6, legacy_hash, "")
    report = _verify(keyed)
    assert (report.ok, report.first_bad_seq, report.problem) == (False, 6, "unkeyed")


def test_a_whole_trail_rewritten_unkeyed_is_named(keyed: Store) -> None:
    _fill(keyed, 6)
    with keyed.transaction() as s:
        s.execute(text("DELETE FROM audit_checkpoints"))
    _rewrite_from(keyed, 1, legacy_hash, "")
    report = _verify(keyed)
    assert (report.ok, report.first_bad_seq, report.problem) == (False, 1, "unsealed")


def test_a_rewrite_with_another_key_is_named(keyed: Store) -> None:
    _fill(keyed, 7)
    guessed = AuditKey(b"g" * 32)
    # keeping this trail's key id: the MAC does not hold
    _rewrite_from(keyed, 4, lambda body: keyed_hash(guessed, {**body}), KEY.key_id)
    report = _verify(keyed)
    assert (report.ok, report.first_bad_seq, report.problem) == (False, 4, "edited")
    # with the public development key and its id: named as such
    _rewrite_from(keyed, 4, lambda body: keyed_hash(DEVELOPMENT_KEY, body),
                  DEVELOPMENT_KEY.key_id)
    report = _verify(keyed)
    assert (report.ok, report.first_bad_seq, report.problem) == (False, 4, "wrong key")
    assert "development key" in report.detail


def test_a_truncated_tail_is_found_against_an_exported_checkpoint(
    keyed: Store, tmp_path: Path
) -> None:
    _fill(keyed, 20)
    with keyed.transaction() as s:
        checkpoint_head(s, KEY)
        exported = export_document(KEY, list_checkpoints(s))
    assert exported["checkpoints"][-1]["seq"] == 20
    rows = _rows(keyed)
    # the tail deleted, the head moved back and the stored checkpoints deleted with it
    with keyed.transaction() as s:
        s.execute(text("DELETE FROM audit_entries WHERE seq > 14"))
        s.execute(text("UPDATE audit_head SET seq = 14, hash = :h"), {"h": rows[13]["hash"]})
        s.execute(text("DELETE FROM audit_checkpoints"))
    assert _verify(keyed).ok  # the database alone cannot tell
    checkpoints = [Checkpoint.model_validate(c) for c in exported["checkpoints"]]
    report = _verify(keyed, checkpoints=checkpoints)
    assert (report.ok, report.first_bad_seq, report.problem) == (False, 15, "tail deleted")
    assert "names entry 20" in report.detail


def test_stored_checkpoints_find_a_truncated_tail_and_a_forged_checkpoint(
    db_path: Path,
) -> None:
    store = open_store(f"sqlite:///{db_path}",
                       audit_key=AuditKey(KEY.secret, checkpoint_interval_s=0))
    try:
        _fill(store, 6)  # a checkpoint with every append
        assert len(list_checkpoints_of(store)) == 6
        rows = _rows(store)
        with store.transaction() as s:
            s.execute(text("DELETE FROM audit_entries WHERE seq = 6"))
            s.execute(text("UPDATE audit_head SET seq = 5, hash = :h"), {"h": rows[4]["hash"]})
        report = _verify(store)
        assert (report.ok, report.first_bad_seq, report.problem) == (False, 6, "tail deleted")
        with store.transaction() as s:
            s.execute(text("DELETE FROM audit_checkpoints WHERE seq = 6"))
            s.execute(text("UPDATE audit_checkpoints SET created_at = '2020-01-01 00:00:00' "
                           "WHERE seq = 2"))
        report = _verify(store)
        assert (report.ok, report.first_bad_seq, report.problem) == (False, 2,
                                                                      "forged checkpoint")
    finally:
        store.close()


def list_checkpoints_of(store: Store) -> list[Checkpoint]:
    with store.read_session() as s:
        return list_checkpoints(s)


def test_checkpoints_verify_with_the_public_key_alone(keyed: Store) -> None:
    _fill(keyed, 3)
    with keyed.transaction() as s:
        checkpoint = checkpoint_head(s, KEY)
    assert checkpoint is not None and checkpoint.signature_ok()
    assert checkpoint.public_key_hex == KEY.public_key_hex
    forged = checkpoint.model_copy(update={"seq": 2})
    assert not forged.signature_ok()


def test_legacy_rows_are_kept_and_sealed_by_the_first_keyed_row(db_path: Path) -> None:
    url = f"sqlite:///{db_path}"
    engine = make_engine(url)
    command.upgrade(alembic_config(engine), "0002_track_points")
    prev = GENESIS_HASH
    with engine.begin() as conn:  # rows as the unkeyed trail wrote them
        for seq in range(1, 6):
            at = dt.datetime(2026, 11, 1, 8, seq, tzinfo=dt.UTC)
            body = entry_body(seq=seq, created_at=at, actor="li", action="user.update",
                              target_type="user", target_id="7", details={"n": seq},
                              prev_hash=prev)
            digest = legacy_hash(body)
            conn.execute(text(
                "INSERT INTO audit_entries (seq, created_at, actor, action, target_type, "
                "target_id, details, prev_hash, hash) VALUES (:seq, :at, 'li', 'user.update', "
                "'user', '7', :details, :prev, :hash)"),
                {"seq": seq, "at": at.replace(tzinfo=None), "details": json.dumps({"n": seq}),
                 "prev": prev, "hash": digest})
            prev = digest
        conn.execute(text("INSERT INTO audit_head (id, seq, hash) VALUES (1, 5, :h)"),
                     {"h": prev})
    engine.dispose()
    store = open_store(url, audit_key=KEY)  # migrates, then seals
    try:
        with store.read_session() as s:
            seal = list_audit(s, after_seq=5)[0]
        assert seal.action == "audit.keyed" and seal.key_id == KEY.key_id
        assert seal.details == {"legacy_entries": 5, "legacy_head_hash": prev}
        _fill(store, 3)
        report = _verify(store)
        assert report.ok and report.checked == 9 and report.legacy_entries == 5
        # a legacy row edited and the legacy hashes recomputed: the seal no longer holds
        with store.transaction() as s:
            s.execute(text("UPDATE audit_entries SET actor = 'mallory' WHERE seq = 2"))
        _rewrite_from(store, 2, legacy_hash, "", until=5)
        report = _verify(store)
        # the legacy rows hold together again; the seal names the old last hash
        assert (report.ok, report.first_bad_seq, report.problem) == (False, 6, "unsealed")
    finally:
        store.close()


def test_the_trail_is_read_in_batches(keyed: Store) -> None:
    _fill(keyed, 95)
    selects: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT") and "FROM audit_entries" in statement:
            selects.append(statement)

    event.listen(keyed.engine, "before_cursor_execute", count)
    try:
        report = _verify(keyed, batch_size=10)
    finally:
        event.remove(keyed.engine, "before_cursor_execute", count)
    assert report.ok and report.checked == 95
    assert len(selects) == 11  # ten batches of ten (the last one short), and an empty one
    assert all("LIMIT" in s.upper() for s in selects)


def test_a_flown_track_is_in_the_chain_and_an_edit_to_it_is_named(keyed: Store) -> None:
    start = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)
    with keyed.transaction() as s:
        mission = create_mission(s, MissionCreate(drone_id=1, pattern="orbit"),
                                 created_by="li")
        add_track_points(s, [(mission.id, TrackPointCreate(
            time=start + dt.timedelta(seconds=2 * n), latitude_deg=37.5 + n / 1e4,
            longitude_deg=122.1, relative_altitude_m=60.0, current_seq=n)) for n in range(30)])
        entry = record_track_digest(s, mission.id)
    assert entry is not None and entry.details["points"] == 30
    with keyed.read_session() as s:
        assert verify_track_digests(s).ok
    with keyed.transaction() as s:
        s.execute(text("UPDATE mission_track_points SET latitude_deg = 37.6 WHERE id = 12"))
    with keyed.read_session() as s:
        report = verify_track_digests(s)
    assert not report.ok and report.mission_id == mission.id
    assert report.audit_seq == entry.seq


# -- the command line ---------------------------------------------------------------------


def _cli(*args: str, key_file: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("JINGHANG_")}
    env["PYTHONPATH"] = str(ROOT)
    if key_file is not None:
        env["JINGHANG_AUDIT_KEY_FILE"] = str(key_file)
    return subprocess.run([sys.executable, "-m", "jinghang.cli", "audit", *args],
                          capture_output=True, text=True, env=env, timeout=120, check=False)


def test_cli_verify_exit_codes(keyed_sqlite: Store, db_path: Path, tmp_path: Path) -> None:
    keyed = keyed_sqlite
    key_file = tmp_path / "audit.key"
    key_file.write_text(KEY_HEX + "\n", encoding="ascii")
    url = f"sqlite:///{db_path}"
    _fill(keyed, 10)

    intact = _cli("verify", "--database", url, key_file=key_file)
    assert intact.returncode == 0, intact.stderr
    assert "intact: 10 entries" in intact.stdout

    exported = tmp_path / "checkpoints.json"
    done = _cli("export-checkpoints", "--database", url, "--out", str(exported),
                key_file=key_file)
    assert done.returncode == 0, done.stderr
    assert json.loads(exported.read_text())["checkpoints"][-1]["seq"] == 10

    no_key = _cli("verify", "--database", url)
    assert no_key.returncode == 2 and "no audit key" in no_key.stderr

    wrong_key = tmp_path / "other.key"
    wrong_key.write_text("77" * 32, encoding="ascii")
    other = _cli("verify", "--database", url, "--key-file", str(wrong_key))
    assert other.returncode == 1 and "wrong key" in other.stdout

    rows = _rows(keyed)
    with keyed.transaction() as s:
        s.execute(text("DELETE FROM audit_entries WHERE seq > 7"))
        s.execute(text("UPDATE audit_head SET seq = 7, hash = :h"), {"h": rows[6]["hash"]})
        s.execute(text("DELETE FROM audit_checkpoints"))
    alone = _cli("verify", "--database", url, key_file=key_file)
    assert alone.returncode == 0  # nothing in the database shows the lost tail...
    against = _cli("verify", "--database", url, "--checkpoints", str(exported),
                   key_file=key_file)
    assert against.returncode == 1  # ...the exported checkpoint does
    assert "BROKEN at entry 8" in against.stdout and "tail deleted" in against.stdout

    with keyed.transaction() as s:
        s.execute(text("UPDATE audit_entries SET details = '{}' WHERE seq = 3"))
    edited = _cli("verify", "--database", url, key_file=key_file)
    assert edited.returncode == 1
    assert "BROKEN at entry 3 (row id 3): edited" in edited.stdout

    broken_file = tmp_path / "broken.json"
    broken_file.write_text("{nope", encoding="utf-8")
    unreadable = _cli("verify", "--database", url, "--checkpoints", str(broken_file),
                      key_file=key_file)
    assert unreadable.returncode == 2 and "not valid JSON" in unreadable.stderr


def test_cli_new_key_writes_a_private_key_and_never_overwrites(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "audit.key"
    made = _cli("new-key", str(path))
    assert made.returncode == 0, made.stderr
    assert len(bytes.fromhex(path.read_text().strip())) == 32
    assert path.stat().st_mode & 0o777 == 0o600
    again = _cli("new-key", str(path))
    assert again.returncode == 2 and "never overwritten" in again.stderr


def test_serve_refuses_to_start_without_an_audit_key(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("JINGHANG_")}
    env.update(PYTHONPATH=str(ROOT), JINGHANG_SECRET_KEY="s" * 32)
    done = subprocess.run([sys.executable, "-m", "jinghang.cli", "serve", "--port", "0"],
                          capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120,
                          check=False)
    assert done.returncode == 2
    assert "audit key" in done.stderr and "[audit_key_file]" in done.stderr
    assert not (tmp_path / "jinghang.db").exists()
    env["JINGHANG_AUDIT_KEY_HEX"] = "12"  # too short: named when the store would open
    env["JINGHANG_SIGNING"] = "off"  # else the missing signing master key is named first
    short = subprocess.run([sys.executable, "-m", "jinghang.cli", "serve", "--port", "0"],
                           capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120,
                           check=False)
    assert short.returncode == 2 and "[audit_key_hex]" in short.stderr


def test_the_demo_makes_its_own_audit_key_once(tmp_path: Path) -> None:
    from jinghang.api.demo import demo_settings

    first = demo_settings(tmp_path, host="127.0.0.1", port=0, sim_ports=[1, 2, 3], speedup=1)
    key_file = tmp_path / "audit.key"
    assert first.audit_key_file == str(key_file)
    assert key_file.stat().st_mode & 0o777 == 0o600
    secret = first.audit_secret()
    assert secret is not None and len(secret) == 32
    again = demo_settings(tmp_path, host="127.0.0.1", port=0, sim_ports=[1, 2, 3], speedup=1)
    assert again.audit_secret() == secret  # the same trail stays verifiable across runs
