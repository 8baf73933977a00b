"""Share links over HTTP on the built-in simulator: a commander sends a link to one case; it
shows that case and only its own drones (not the rest of the fleet), expires, can be revoked,
stops with the case; forged, malformed and foreign tokens are refused with a code, never a
500; observers and pilots cannot make links; making and revoking are in the audit trail."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

from sqlmodel import select

from jinghang.api.security import issue_token
from jinghang.api.shares import issue_share_token
from jinghang.store.models import CaseShare
from jinghang.store.shares import get_share
from tests.api.harness import SECRET, flying_api, near, sortie_state_is


async def test_a_link_shows_its_case_and_only_its_drones_then_stops(tmp_path: Path) -> None:
    async with flying_api(tmp_path, drones=2) as api:
        lat, lon = near(300, 0)
        reported = await api.post("/api/incidents", "commander", json={
            "playbook_id": "P01", "latitude_deg": lat, "longitude_deg": lon,
            "title": "share test case"})
        assert reported.status_code == 201, reported.text
        incident_id = reported.json()["incident"]["id"]
        case = await sortie_state_is(api, incident_id, "en_route", "on_scene")
        drone = case["sorties"][0]["drone_id"]
        other = 2 if drone == 1 else 1

        for role in ("observer", "pilot"):
            refused = await api.post(f"/api/incidents/{incident_id}/share", role, json={})
            assert refused.status_code == 403, refused.text
        for bad in (10, 100_000, "soon"):
            wrong = await api.post(f"/api/incidents/{incident_id}/share", "commander",
                                   json={"expires_in_s": bad})
            assert wrong.status_code == 422 and wrong.json()["field"] == "expires_in_s"
        made = await api.post(f"/api/incidents/{incident_id}/share", "commander",
                              json={"expires_in_s": 600})
        assert made.status_code == 201, made.text
        share = made.json()
        url = share["url"]
        assert url.startswith("/share/")
        expires = dt.datetime.fromisoformat(share["expires_at"])
        assert 590 < (expires - dt.datetime.now(dt.UTC)).total_seconds() <= 600

        # no sign-in: the page and the state; the state names only the case's drone
        page = await api.client.get(url)
        assert page.status_code == 200 and "text/html" in page.headers["content-type"]
        state = await api.client.get(f"{url}/state")
        assert state.status_code == 200, state.text
        body = state.json()
        assert body["case"]["id"] == incident_id and body["case"]["title"] == "share test case"
        assert body["case"]["state"] == "open" and body["case"]["playbook_id"] == "P01"
        assert [d["drone_id"] for d in body["drones"]] == [drone]
        assert body["drones"][0]["latitude_deg"] is not None
        assert body["drones"][0]["battery_pct"] is not None
        assert f'"drone_id": {other}' not in state.text.replace('":', '": ')
        # another drone's video is not this link's; this server has no video at all
        foreign = await api.client.post(f"{url}/video/{other}/whep", content=b"v=0",
                                        headers={"Content-Type": "application/sdp"})
        assert foreign.status_code == 404
        assert foreign.json()["code"] == "share.drone_not_in_case"
        own = await api.client.post(f"{url}/video/{drone}/whep", content=b"v=0",
                                    headers={"Content-Type": "application/sdp"})
        assert own.status_code == 404 and own.json()["code"] == "share.no_video"

        listed = await api.get(f"/api/incidents/{incident_id}/shares", "commander")
        assert [s["id"] for s in listed.json()] == [share["id"]]
        assert (await api.get(f"/api/incidents/{incident_id}/shares", "observer")).status_code \
            == 403

        # revoked: the page and every request say so
        assert (await api.delete(f"/api/incidents/{incident_id}/share/{share['id']}",
                                 "pilot")).status_code == 403
        revoked = await api.delete(f"/api/incidents/{incident_id}/share/{share['id']}",
                                   "commander")
        assert revoked.status_code == 200 and revoked.json()["revoked_at"]
        gone = await api.client.get(f"{url}/state")
        assert gone.status_code == 403 and gone.json()["code"] == "share.revoked"
        assert (await api.client.get(url)).status_code == 403
        assert (await api.get(f"/api/incidents/{incident_id}/shares", "commander")).json() == []
        missing = await api.delete(f"/api/incidents/{incident_id}/share/999", "commander")
        assert missing.status_code == 404 and missing.json()["code"] == "share.not_found"

        # expired: the stored expiry passes (the store's own clock column moved back)
        second = (await api.post(f"/api/incidents/{incident_id}/share", "commander",
                                 json={})).json()
        assert (await api.client.get(f"{second['url']}/state")).status_code == 200
        with api.services.store.session() as session:
            row = session.exec(select(CaseShare).where(CaseShare.id == second["id"])).one()
            row.expires_at = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
            session.add(row)
            session.commit()
        expired = await api.client.get(f"{second['url']}/state")
        assert expired.status_code == 403 and expired.json()["code"] == "share.expired"
        # a token whose own expiry has passed, signed with the server's key
        with api.services.store.read_session() as session:
            stored = get_share(session, second["id"])
        assert stored is not None
        past = dataclasses.replace(stored, expires_at=dt.datetime.now(dt.UTC)
                                   - dt.timedelta(minutes=5))
        old = issue_share_token(past, secret_key=SECRET)
        answer = await api.client.get(f"/share/{old}/state")
        assert answer.status_code == 403 and answer.json()["code"] == "share.expired"

        # closing the case ends its links; a closed case cannot be shared
        third = (await api.post(f"/api/incidents/{incident_id}/share", "commander",
                                json={})).json()
        closed = await api.post(f"/api/incidents/{incident_id}/close", "commander",
                                json={"outcome": "resolved"})
        assert closed.status_code == 200, closed.text
        over = await api.client.get(f"{third['url']}/state")
        assert over.status_code == 403 and over.json()["code"] == "share.case_closed"
        late = await api.post(f"/api/incidents/{incident_id}/share", "commander", json={})
        assert late.status_code == 409 and late.json()["code"] == "share.case_closed"

        trail = (await api.get("/api/audit", params={"target_id": str(incident_id),
                                                     "limit": 1000})).json()
        actions = [(a["actor"], a["action"]) for a in trail]
        assert ("commander", "incident.share.create") in actions
        assert ("commander", "incident.share.revoke") in actions


async def test_forged_and_malformed_links_are_refused_with_a_code(tmp_path: Path) -> None:
    async with flying_api(tmp_path, drones=1) as api:
        lat, lon = near(200, 0)
        reported = await api.post("/api/incidents", "commander", json={
            "playbook_id": "P01", "latitude_deg": lat, "longitude_deg": lon})
        incident_id = reported.json()["incident"]["id"]
        share = (await api.post(f"/api/incidents/{incident_id}/share", "commander",
                                json={})).json()
        token = share["url"].removeprefix("/share/")
        with api.services.store.read_session() as session:
            stored = get_share(session, share["id"])
        assert stored is not None
        forged = issue_share_token(stored, secret_key="another-secret-0123456789abcdef-xyz")
        other_case = issue_share_token(dataclasses.replace(stored, incident_id=incident_id + 7),
                                       secret_key=SECRET)
        no_row = issue_share_token(dataclasses.replace(stored, id=2**62), secret_key=SECRET)
        huge = issue_share_token(dataclasses.replace(stored, id=2**70), secret_key=SECRET)
        bearer = issue_token("commander", "commander", secret_key=SECRET, lifetime_s=600)
        tampered = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
        for bad in (forged, other_case, no_row, huge, bearer, tampered, "x", "a.b.c",
                    "%00", "é" * 40, "A" * 1000):
            answer = await api.client.get(f"/share/{bad}/state")
            assert answer.status_code == 404, (bad, answer.text)
            assert answer.json()["code"] == "share.invalid"
        too_long = await api.client.get(f"/share/{'A' * 2000}/state")
        assert too_long.status_code in (404, 422)
        # a share token is no sign-in token
        signed_in = await api.client.get("/api/incidents",
                                         headers={"Authorization": f"Bearer {token}"})
        assert signed_in.status_code == 401
        # the real one still opens the case
        assert (await api.client.get(f"/share/{token}/state")).status_code == 200
        # a guesser is throttled
        codes = set()
        for _ in range(40):
            codes.add((await api.client.get(f"/share/{forged}/state")).json()["code"])
        assert "share.throttled" in codes
