"""The audit trail over the API: entries with the user, and tampering detected."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from tests.api.harness import running_api


async def test_tampered_audit_row_is_detected(tmp_path: Path) -> None:
    async with running_api(tmp_path) as api:
        for name in ("Zhang San", "Li Si", "Wang Wu"):
            response = await api.patch("/api/users/observer", "admin", json={"full_name": name})
            assert response.status_code == 200
        before = (await api.get("/api/audit/verify")).json()
        assert before["ok"] is True and before["checked"] >= 3
        trail = (await api.get("/api/audit", params={"action": "user.update"})).json()
        victim = trail[1]
        assert victim["details"]["full_name"] == "Li Si"
        # someone with database access rewrites history
        with sqlite3.connect(tmp_path / "jinghang.db") as db:
            db.execute("UPDATE audit_entries SET actor = 'nobody' WHERE seq = ?", (victim["seq"],))
        after = (await api.get("/api/audit/verify")).json()
        assert after["ok"] is False
        assert after["first_bad_seq"] == victim["seq"]
        assert after["problem"] == "edited"


async def test_deleted_audit_row_is_detected(tmp_path: Path) -> None:
    async with running_api(tmp_path) as api:
        for name in ("A", "B", "C", "D"):
            await api.patch("/api/users/observer", "admin", json={"full_name": name})
        trail = (await api.get("/api/audit")).json()
        with sqlite3.connect(tmp_path / "jinghang.db") as db:
            db.execute("DELETE FROM audit_entries WHERE seq = ?", (trail[2]["seq"],))
        after = (await api.get("/api/audit/verify")).json()
        assert after["ok"] is False and after["problem"] == "deleted"
        assert after["first_bad_seq"] == trail[2]["seq"]


async def test_audit_view_can_ask_for_the_newest_entries_first(tmp_path: Path) -> None:
    async with running_api(tmp_path) as api:
        for name in ("A", "B", "C"):
            await api.patch("/api/users/observer", "admin", json={"full_name": name})
        oldest_first = (await api.get("/api/audit", params={"action": "user.update"})).json()
        newest_first = (
            await api.get("/api/audit", params={"action": "user.update", "order": "desc"})
        ).json()
        assert [e["seq"] for e in newest_first] == [e["seq"] for e in reversed(oldest_first)]
        assert newest_first[0]["details"]["full_name"] == "C"
        latest = (await api.get("/api/audit", params={"order": "desc", "limit": 1})).json()
        assert latest[0]["seq"] == max(e["seq"] for e in oldest_first)
        bad = await api.get("/api/audit", params={"order": "sideways"})
        assert bad.status_code == 422
        assert "order" in bad.text


async def test_console_takes_a_deployments_own_tile_server(tmp_path: Path) -> None:
    from tests.api.harness import make_settings

    async with running_api(tmp_path) as api:
        offline = (await api.get("/api/settings/console")).json()
        assert offline["tile_url"] == ""  # the offline base map shipped with the console
    settings = make_settings(
        tmp_path, database_url=f"sqlite:///{tmp_path / 'second.db'}",
        console_tile_url="http://tiles.police.local/{z}/{x}/{y}.png",
        console_tile_attribution="Weihai PSB",
    )
    async with running_api(tmp_path, settings=settings) as api:
        own = (await api.get("/api/settings/console")).json()
        assert own["tile_url"] == "http://tiles.police.local/{z}/{x}/{y}.png"
        assert own["tile_attribution"] == "Weihai PSB"


async def test_admins_export_signed_checkpoints_that_verify_the_trail_elsewhere(
    tmp_path: Path,
) -> None:
    from jinghang.store.audit_checkpoints import Checkpoint
    from jinghang.store.audit_verify import verify_chain

    async with running_api(tmp_path) as api:
        for name in ("A", "B", "C"):
            await api.patch("/api/users/observer", "admin", json={"full_name": name})
        for role in ("observer", "commander"):
            refused = await api.get("/api/audit/checkpoints", as_user=role)
            assert refused.status_code == 403
        exported = await api.get("/api/audit/checkpoints", as_user="admin")
        assert exported.status_code == 200
        document = exported.json()
        assert document["format"] == "jinghang-audit-checkpoints/1"
        head = document["checkpoints"][-1]
        newest = (await api.get("/api/audit", params={"order": "desc", "limit": 1})).json()[0]
        assert (head["seq"], head["hash"]) == (newest["seq"], newest["hash"])
        checkpoints = [Checkpoint.model_validate(c) for c in document["checkpoints"]]
        assert all(c.signature_ok() for c in checkpoints)
        # the tail after the exported head is cut, and the head moved back
        with sqlite3.connect(tmp_path / "jinghang.db") as db:
            db.execute("DELETE FROM audit_entries WHERE seq >= ?", (head["seq"],))
            db.execute("DELETE FROM audit_checkpoints")
            previous = db.execute("SELECT seq, hash FROM audit_entries ORDER BY seq DESC "
                                  "LIMIT 1").fetchone()
            db.execute("UPDATE audit_head SET seq = ?, hash = ?", previous)
        shown = (await api.get("/api/audit/verify")).json()
        assert shown["ok"] is True  # the database alone cannot tell...
        with api.services.store.read_session() as session:
            report = verify_chain(session, checkpoints=checkpoints)
        assert not report.ok and report.problem == "tail deleted"  # ...the export does
        assert report.first_bad_seq == head["seq"]


async def test_verify_names_the_row_and_a_stable_code(tmp_path: Path) -> None:
    async with running_api(tmp_path) as api:
        for name in ("A", "B", "C"):
            await api.patch("/api/users/observer", "admin", json={"full_name": name})
        with sqlite3.connect(tmp_path / "jinghang.db") as db:
            db.execute("UPDATE audit_entries SET target_id = 'x' WHERE seq = 2")
        shown = (await api.get("/api/audit/verify")).json()
        assert shown["ok"] is False
        assert (shown["first_bad_seq"], shown["first_bad_id"]) == (2, 2)
        assert shown["code"] == "audit.chain.edited"


async def test_a_flown_incident_is_in_the_chain_states_commands_and_track(
    tmp_path: Path,
) -> None:
    from jinghang.store.audit_tracks import verify_track_digests
    from tests.api.harness import flying_api, near, sortie_state_is

    async with flying_api(tmp_path, drones=1) as api:
        point = near(300, 100)
        response = await api.post("/api/incidents", "commander", json={
            "playbook_id": "P01", "latitude_deg": point[0], "longitude_deg": point[1],
            "title": "110: audit coverage"})
        assert response.status_code == 201, response.text
        incident_id = response.json()["incident"]["id"]
        await sortie_state_is(api, incident_id, "landed", timeout_s=240)  # the case stays open
        record = (await api.get(f"/api/incidents/{incident_id}/record")).json()
        mission_id = record["missions"][0]["id"]

        async def entries(**params: str) -> list[dict[str, object]]:
            got = await api.get("/api/audit", params={**params, "limit": "1000"})
            return list(got.json())

        states = [e["action"] for e in await entries(target_type="incident",
                                                     target_id=str(incident_id))]
        assert "sortie.launching" in states and "sortie.landed" in states
        sortie = [e["action"] for e in await entries(target_type="mission",
                                                     target_id=str(mission_id))]
        assert "mission.flying" in sortie and "mission.completed" in sortie
        commands = await entries(action="vehicle.command")
        assert commands and all(e["actor"] for e in commands)
        tracks = await entries(action="mission.track", target_id=str(mission_id))
        assert len(tracks) == 1
        assert tracks[0]["details"]["points"] == len(record["track"])  # type: ignore[index]
        assert (await api.get("/api/audit/verify")).json()["ok"] is True
        with api.services.store.read_session() as session:
            assert verify_track_digests(session).ok
        with sqlite3.connect(tmp_path / "jinghang.db") as db:
            db.execute("UPDATE mission_track_points SET latitude_deg = latitude_deg + 0.01 "
                       "WHERE id = (SELECT MIN(id) FROM mission_track_points)")
        with api.services.store.read_session() as session:
            report = verify_track_digests(session)
        assert not report.ok and report.mission_id == mission_id
