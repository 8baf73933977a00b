"""Probe finding: text with NUL or other control characters, or a bidirectional override
(U+202E, which makes a title read backwards on screen), was stored as sent. Every JSON body
is refused with a 422 naming the field and the character; tabs and line breaks still pass."""

from __future__ import annotations

import json
from pathlib import Path

from tests.api.harness import running_api
from tests.api.test_hostile_inputs import assert_problem

INCIDENT = {"playbook_id": "P01", "latitude_deg": 37.5, "longitude_deg": 122.1}


async def test_control_characters_and_bidi_overrides_are_refused(tmp_path: Path) -> None:
    async with running_api(tmp_path) as api:
        headers = {**api.auth("commander"), "content-type": "application/json"}
        for title, shown in (("a\x00b", "U+0000"), ("bell\x07", "U+0007"),
                             ("esc\x1b[2J", "U+001B"), ("\u202eexe.txt", "U+202E"),
                             ("del\x7f", "U+007F")):
            raw = json.dumps({**INCIDENT, "title": title})
            response = await api.client.post("/api/incidents", content=raw, headers=headers)
            body = assert_problem(response, 422, "title")
            assert body["code"] == "text_control_char" and shown in body["detail"]
        # in a key as well
        raw = json.dumps({**INCIDENT, "title": "t", "x\x00": 1})
        response = await api.client.post("/api/incidents", content=raw, headers=headers)
        assert_problem(response, 422, "body")
        assert (await api.get("/api/incidents")).json() == []
        # tabs and line breaks are text
        user = {"username": "night.shift", "password": "Xy7!night-shift-2026",
                "role": "observer", "full_name": "张三\t(夜班)\r\n值班"}
        created = await api.post("/api/users", "admin", json=user)
        assert created.status_code == 201, created.text
        assert created.json()["full_name"] == user["full_name"]
        user = {**user, "username": "spoof", "full_name": "\u202enimda"}
        assert_problem(await api.post("/api/users", "admin", json=user), 422, "full_name")
