"""Every message the API sends an operator carries a stable code and its parameters beside the
English detail, so that the console (and any client) can say it in its own language: a wrong
password, a field out of its limits, an unknown path, a plan too big for one battery."""

from __future__ import annotations

from pathlib import Path

from tests.api.harness import running_api

#: A hand-drawn area of several square kilometres near Weihai (lat, lon): far over a battery.
HUGE_AREA = [[37.40, 122.00], [37.40, 122.06], [37.44, 122.06], [37.44, 122.00]]


async def test_problems_carry_a_code_and_params_beside_the_detail(tmp_path: Path) -> None:
    async with running_api(tmp_path) as api:
        wrong = await api.client.post(
            "/api/auth/token", data={"username": "commander", "password": "not-it"}
        )
        assert wrong.status_code == 401
        body = wrong.json()
        assert body["code"] == "auth.wrong_credentials" and body["detail"]
        assert body["params"]["field"] == "password"

        missing = await api.get("/api/no-such-thing")
        assert missing.status_code == 404
        assert missing.json()["code"] == "http.404" and "params" in missing.json()

        too_long = await api.get("/api/audit", params={"limit": 5000})
        assert too_long.status_code == 422
        body = too_long.json()
        assert body["code"] == "validation.less_than_equal", body
        assert body["params"] == {"field": "limit", "limit": 1000}
        assert body["errors"][0]["code"] == "validation.less_than_equal"

        templates = (await api.get("/api/templates")).json()
        survey = next(t for t in templates if t["id"] == "RUR-01")
        preview = await api.post(
            f"/api/templates/{survey['id']}/plan", "commander",
            json={"inputs": {"area": HUGE_AREA}},
        )
        assert preview.status_code == 200, preview.text
        refusal = next(v for v in preview.json()["violations"] if v["field"] == "energy_pct")
        assert refusal["code"] == "mission.out_of_battery"
        params = refusal["params"]
        assert params["value"] > params["limit"] and params["battery_pct"] == 100
        assert "reserve_pct" in params and refusal["detail"]  # the English text stays
