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
