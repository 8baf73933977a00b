"""Signing in, tokens, roles: 401 without a token, 403 for the wrong role, problems naming
the field at fault, and the server refusing a placeholder secret outside the demo."""

from __future__ import annotations

from pathlib import Path

import pytest

from jinghang.api.app import create_app
from jinghang.api.services import Services
from jinghang.config import Settings
from jinghang.errors import ConfigError
from jinghang.events import EventBus
from tests.api.harness import make_settings, running_api


async def test_sign_in_and_who_am_i(tmp_path: Path) -> None:
    async with running_api(tmp_path) as api:
        response = await api.get("/api/auth/me", as_user="pilot")
        assert response.status_code == 200
        assert response.json() == {"username": "pilot", "role": "pilot"}


async def test_wrong_password_is_401_problem_and_audited(tmp_path: Path) -> None:
    async with running_api(tmp_path) as api:
        response = await api.client.post(
            "/api/auth/token", data={"username": "pilot", "password": "not-it"}
        )
        assert response.status_code == 401
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.json()["field"] == "password"
        trail = (await api.get("/api/audit", params={"action": "auth.login_failed"})).json()
        assert [e["actor"] for e in trail] == ["pilot"]


async def test_no_token_is_401_and_bad_token_is_401(tmp_path: Path) -> None:
    async with running_api(tmp_path) as api:
        response = await api.client.get("/api/fleet")
        assert response.status_code == 401
        assert response.headers["www-authenticate"] == "Bearer"
        assert response.json()["status"] == 401
        forged = await api.client.get("/api/fleet", headers={"Authorization": "Bearer abc.def.ghi"})
        assert forged.status_code == 401
        assert forged.json()["field"] == "token"


async def test_observer_cannot_manage_users_admin_can(tmp_path: Path) -> None:
    async with running_api(tmp_path) as api:
        new_user = {"username": "wang.wei", "password": "long-enough-1", "role": "pilot"}
        refused = await api.post("/api/users", "observer", json=new_user)
        assert refused.status_code == 403
        assert refused.json()["field"] == "role"
        created = await api.post("/api/users", "admin", json=new_user)
        assert created.status_code == 201
        assert "password" not in created.text and "hash" not in created.text
        token = await api.login("wang.wei", "long-enough-1")
        assert token
        users = (await api.get("/api/users", as_user="admin")).json()
        assert "wang.wei" in [u["username"] for u in users]
        # every state-changing request is in the trail with the user, refused ones too
        trail = (await api.get("/api/audit")).json()
        posts = [
            (e["actor"], e["action"], e["details"]["status"])
            for e in trail
            if e["details"].get("path") == "/api/users"
        ]
        assert posts == [("observer", "POST /api/users", 403), ("admin", "user.create", 201)]


async def test_disabled_user_loses_access(tmp_path: Path) -> None:
    async with running_api(tmp_path) as api:
        changed = await api.patch("/api/users/pilot", "admin", json={"disabled": True})
        assert changed.status_code == 200
        assert (await api.get("/api/auth/me", as_user="pilot")).status_code == 401


async def test_validation_problem_names_field_and_limit(tmp_path: Path) -> None:
    async with running_api(tmp_path) as api:
        response = await api.post(
            "/api/users", "admin", json={"username": "x!", "password": "short", "role": "pilot"}
        )
        assert response.status_code == 422
        body = response.json()
        assert response.headers["content-type"].startswith("application/problem+json")
        fields = {e["field"] for e in body["errors"]}
        assert {"username", "password"} <= fields
        password_error = next(e for e in body["errors"] if e["field"] == "password")
        assert password_error["limit"] == "min_length 8"


def test_placeholder_secret_refused_outside_demo(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'x.db'}")
    services = Services(settings=settings, bus=EventBus(), store=None)
    with pytest.raises(ConfigError) as caught:
        create_app(settings, services)
    assert caught.value.field == "secret_key"
    demo = make_settings(tmp_path, demo=True, secret_key="change-me")
    create_app(demo, Services(settings=demo, bus=EventBus(), store=None))


async def test_openapi_documents_the_resources(tmp_path: Path) -> None:
    async with running_api(tmp_path) as api:
        schema = (await api.client.get("/api/openapi.json")).json()
        assert "/api/auth/token" in schema["paths"]
        assert "/api/fleet" in schema["paths"]
        assert (await api.client.get("/api/docs")).status_code == 200


async def test_an_unexpected_failure_is_a_500_problem_without_internals(tmp_path: Path) -> None:
    import httpx

    settings = make_settings(tmp_path)
    app = create_app(settings, Services(settings=settings, bus=EventBus(), store=None))

    async def broken() -> None:
        raise RuntimeError("secret internals")

    app.add_api_route("/api/broken", broken)
    app.router.routes.insert(0, app.router.routes.pop())  # ahead of the console's mount at /
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        response = await client.get("/api/broken")
    assert response.status_code == 500
    assert response.headers["content-type"].startswith("application/problem+json")
    assert "secret internals" not in response.text
