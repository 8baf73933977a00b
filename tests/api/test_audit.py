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
