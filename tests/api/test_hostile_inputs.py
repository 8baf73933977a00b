"""Hostile inputs against a real server (uvicorn on 127.0.0.1): every one gets a short 4xx
problem naming the field and the limit, never a 500, a hang or an echo of what was sent; a
large plan preview runs off the event loop."""

from __future__ import annotations

import asyncio
import json
import math
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from jinghang.limits import Limits
from tests.api.harness import BASE, make_settings, running_api

BIG = 2**63  # one past SQLite's largest integer
PROBLEM = "application/problem+json"


def assert_problem(response: httpx.Response, status: int, field: str | None = None) -> dict:
    assert response.status_code == status, response.text[:500]
    assert response.headers["content-type"].startswith(PROBLEM)
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    if field is not None:
        assert field in str(body.get("field")), body
    return body


def circle(n: int, radius_deg: float = 0.01) -> list[list[float]]:
    return [
        [
            BASE[0] + radius_deg * math.cos(2 * math.pi * i / n),
            BASE[1] + 1.25 * radius_deg * math.sin(2 * math.pi * i / n),
        ]
        for i in range(n)
    ]


async def test_ids_offsets_and_after_seq_past_64_bits_are_refused(tmp_path: Path) -> None:
    async with running_api(tmp_path) as api:
        reads = [
            (f"/api/incidents/{BIG}", "incident_id"),
            (f"/api/incidents/{BIG}/record", "incident_id"),
            (f"/api/incidents/{BIG}/proposal", "incident_id"),
            (f"/api/incidents?offset={BIG}", "offset"),
            (f"/api/missions/{BIG}", "mission_id"),
            (f"/api/missions/{BIG}/track.geojson", "mission_id"),
            (f"/api/missions?incident_id={BIG}", "incident_id"),
            (f"/api/patrols/{BIG}", "schedule_id"),
            (f"/api/patrols/{BIG}/runs", "schedule_id"),
            (f"/api/audit?after_seq={BIG}", "after_seq"),
            (f"/api/recordings?incident_id={BIG}", "incident_id"),
        ]
        for path, field in reads:
            body = assert_problem(await api.get(path), 422, field)
            assert "9223372036854775807" in json.dumps(body), body
        writes = [
            ("post", f"/api/incidents/{BIG}/confirm", None),
            ("post", f"/api/incidents/{BIG}/cancel", None),
            ("post", f"/api/incidents/{BIG}/recall", None),
            ("post", f"/api/incidents/{BIG}/redirect", {"latitude_deg": 1, "longitude_deg": 1}),
            ("patch", f"/api/patrols/{BIG}", {"enabled": False}),
            ("delete", f"/api/patrols/{BIG}", None),
        ]
        for method, path, payload in writes:
            kw = {"json": payload} if payload is not None else {}
            response = await getattr(api, method)(path, "commander", **kw)
            assert_problem(response, 422)


@pytest.mark.parametrize("number", ["NaN", "Infinity", "-Infinity", "1e400"])
async def test_non_finite_numbers_are_refused_naming_the_field(
    tmp_path: Path, number: str
) -> None:
    async with running_api(tmp_path) as api:
        raw = '{"playbook_id": "P01", "latitude_deg": NUM, "longitude_deg": 122.1}'.replace(
            "NUM", number
        )
        response = await api.client.post(
            "/api/incidents", content=raw,
            headers={**api.auth("commander"), "content-type": "application/json"},
        )
        body = assert_problem(response, 422, "latitude_deg")
        assert body["code"] == "number_not_finite"
        # In a template's parameters too (a dict of anything).
        raw = '{"inputs": {"point": [37.5, 122.1]}, "params": {"altitude_m": NUM}}'.replace(
            "NUM", number
        )
        response = await api.client.post(
            "/api/templates/SAF-01/plan", content=raw,
            headers={**api.auth("observer"), "content-type": "application/json"},
        )
        assert_problem(response, 422, "params.altitude_m")


async def test_integers_past_64_bits_and_broken_json_in_a_body_name_the_field(
    tmp_path: Path,
) -> None:
    async with running_api(tmp_path) as api:
        headers = {**api.auth("observer"), "content-type": "application/json"}
        for digits in (20, 5000):
            raw = '{"inputs": {"point": [37.5, 122.1]}, "params": {"altitude_m": 1' + (
                "0" * digits
            ) + "}}"
            response = await api.client.post(
                "/api/templates/SAF-01/plan", content=raw, headers=headers
            )
            assert_problem(response, 422, "params.altitude_m")
        response = await api.client.post(
            "/api/templates/SAF-01/plan", content=b'{"inputs": ', headers=headers
        )
        body = assert_problem(response, 422, "body")
        assert "not valid JSON" in body["detail"]


async def test_a_lone_surrogate_is_refused_naming_the_field(tmp_path: Path) -> None:
    async with running_api(tmp_path) as api:
        raw = (
            '{"playbook_id": "P01", "latitude_deg": 37.5, "longitude_deg": 122.1, '
            '"title": "\\ud800"}'
        )
        response = await api.client.post(
            "/api/incidents", content=raw,
            headers={**api.auth("commander"), "content-type": "application/json"},
        )
        body = assert_problem(response, 422, "title")
        assert body["code"] == "text_not_unicode"
        # Not UTF-8 at all.
        response = await api.client.post(
            "/api/incidents", content=b'{"title": "\xff\xfe"}',
            headers={**api.auth("commander"), "content-type": "application/json"},
        )
        assert_problem(response, 400, "body")


async def test_big_bodies_get_413_without_being_read_or_echoed(tmp_path: Path) -> None:
    limit = Limits().json_body_bytes
    async with running_api(tmp_path) as api:
        title = "x" * (5 * 1024 * 1024)
        payload = {"playbook_id": "P01", "latitude_deg": 37.5, "longitude_deg": 122.1,
                   "title": title}
        response = await api.post("/api/incidents", "commander", json=payload)
        body = assert_problem(response, 413, "body")
        assert str(limit) in body["limit"]
        assert len(response.content) < 2000

        async def chunks():  # no Content-Length: the server counts as it reads
            for _ in range(64):
                yield b" " * 65536

        response = await api.client.post(
            "/api/missions/plan", content=chunks(),
            headers={**api.auth("observer"), "content-type": "application/json"},
        )
        assert_problem(response, 413, "body")


async def test_a_long_string_is_refused_with_a_short_excerpt(tmp_path: Path) -> None:
    async with running_api(tmp_path) as api:
        payload = {"playbook_id": "P01", "latitude_deg": 37.5, "longitude_deg": 122.1,
                   "title": "y" * 200_000}
        response = await api.post("/api/incidents", "commander", json=payload)
        body = assert_problem(response, 422, "title")
        assert body["limit"] == "max_length 256"
        assert body["value"].startswith("y" * 80) and body["value"].endswith("(200000 characters)")
        assert len(response.content) < 3000


async def test_nesting_past_the_limit_is_refused(tmp_path: Path) -> None:
    async with running_api(tmp_path) as api:
        for depth in (100, 100_000):
            raw = '{"inputs": {}, "params": {"a": ' + "[" * depth + "]" * depth + "}}"
            response = await api.client.post(
                "/api/templates/SAF-01/plan", content=raw,
                headers={**api.auth("observer"), "content-type": "application/json"},
            )
            body = assert_problem(response, 422 if len(raw) < 1024 * 1024 else 413)
            assert body["code"] in {"body_too_deep", "body_too_large"}


async def test_incident_areas_are_checked_as_polygons(tmp_path: Path) -> None:
    async with running_api(tmp_path) as api:
        base = {"playbook_id": "P07", "latitude_deg": BASE[0], "longitude_deg": BASE[1]}
        bowtie = [[37.50, 122.10], [37.51, 122.11], [37.50, 122.11], [37.51, 122.10]]
        response = await api.post("/api/incidents", "commander", json={**base, "area": bowtie})
        body = assert_problem(response, 422, "area")
        assert "crosses itself" in body["detail"]

        many = circle(Limits().vertices + 1)
        response = await api.post("/api/incidents", "commander", json={**base, "area": many})
        body = assert_problem(response, 422, "area")
        assert len(response.content) < 5000

        huge = circle(100_000)
        response = await api.post("/api/incidents", "commander", json={**base, "area": huge})
        assert_problem(response, 413)

        collinear = [[37.50, 122.10], [37.51, 122.11], [37.52, 122.12]]
        response = await api.post("/api/incidents", "commander", json={**base, "area": collinear})
        assert_problem(response, 422, "area")


async def test_a_collinear_area_does_not_plan_into_a_survey(tmp_path: Path) -> None:
    async with running_api(tmp_path) as api:
        collinear = [[37.50, 122.10], [37.51, 122.11], [37.52, 122.12]]
        response = await api.post(
            "/api/templates/RUR-01/plan", "observer", json={"inputs": {"area": collinear}}
        )
        body = assert_problem(response, 422, "area")
        assert "sliver" in body["detail"]


async def test_a_large_preview_does_not_delay_health(tmp_path: Path) -> None:
    """The issue's timed assert: /api/health answers within 50 ms while a 10,000-vertex
    survey compiles (about 0.6 s of CPU, which used to stall the whole loop)."""
    async with running_api(tmp_path) as api:
        area = circle(10_000, radius_deg=0.02)
        latencies_s: list[float] = []
        async with httpx.AsyncClient(base_url=api.url) as probe:
            await probe.get("/api/health")  # a warm connection

            async def probe_health() -> None:
                while True:
                    start = time.perf_counter()
                    assert (await probe.get("/api/health")).status_code == 200
                    latencies_s.append(time.perf_counter() - start)
                    await asyncio.sleep(0.02)

            prober = asyncio.create_task(probe_health())
            await asyncio.sleep(0.1)
            preview = asyncio.create_task(
                api.post("/api/templates/RUR-01/plan", "observer", json={"inputs": {"area": area}})
            )
            await asyncio.wait([preview])
            prober.cancel()
        worst_s = max(latencies_s)
        response = await preview
        assert response.status_code == 200, response.text[:300]
        assert len(response.json()["items"]) > 100
        assert len(latencies_s) >= 10, latencies_s
        assert worst_s < 0.050, f"/api/health took {worst_s * 1000:.0f} ms during the preview"


async def test_a_preview_past_its_time_limit_gets_504(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, limits=Limits(cpu_timeout_s=0.5))
    async with running_api(tmp_path, settings=settings) as api:
        area = circle(10_000, radius_deg=0.08)  # a survey of ~2 s of CPU
        response = await api.post(
            "/api/templates/RUR-01/plan", "observer", json={"inputs": {"area": area}}
        )
        body = assert_problem(response, 504)
        assert body["code"] == "cpu_timeout"
        # The worker is free again: a small preview still answers.
        response = await api.post(
            "/api/templates/SAF-01/plan", "observer", json={"inputs": {"point": list(BASE)}}
        )
        assert response.status_code == 200, response.text[:300]


async def test_openapi_documents_every_problem_response(tmp_path: Path) -> None:
    async with running_api(tmp_path) as api:
        doc = (await api.client.get("/api/openapi.json")).json()
        assert "Problem" in doc["components"]["schemas"]
        for path, item in doc["paths"].items():
            if not path.startswith("/api/"):
                continue
            for method, operation in item.items():
                responses = operation["responses"]
                for status in ("400", "413", "422", "500"):
                    content = responses[status]["content"]
                    assert PROBLEM in content, (method, path, status)
                if operation.get("security"):
                    assert {"401", "403"} <= set(responses), (method, path)
