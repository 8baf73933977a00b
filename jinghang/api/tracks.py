"""The flown track of a mission for the API: the record's ``track`` (one point per sample,
every mission of an incident one after the other) and its GeoJSON export (a LineString
Feature from :func:`jinghang.missions.formats.geojson.track_to_geojson`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from jinghang.api.services import Services
from jinghang.errors import JinghangError
from jinghang.missions.formats.geojson import TrackPoint, track_to_geojson
from jinghang.store.missions import get_mission
from jinghang.store.schemas import MissionPublic, TrackPointPublic
from jinghang.store.tracks import list_track_points


class TrackTooShort(JinghangError):
    code = "track.too_short"
    status_code = 404
    title = "No flown track"


def _utc(moment: dt.datetime) -> dt.datetime:
    return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment.astimezone(dt.UTC)


def track_json(points: Sequence[TrackPointPublic]) -> list[dict[str, Any]]:
    """The track as the record shows it: position, height above home and UTC time."""
    return [
        {
            "mission_id": p.mission_id,
            "latitude_deg": p.latitude_deg,
            "longitude_deg": p.longitude_deg,
            "relative_altitude_m": p.relative_altitude_m,
            "heading_deg": p.heading_deg,
            "ground_speed_m_s": p.ground_speed_m_s,
            "battery_pct": p.battery_pct,
            "current_seq": p.current_seq,
            "time": _utc(p.time).isoformat(),
        }
        for p in points
    ]


def incident_track(session: Any, missions: Sequence[MissionPublic]) -> list[TrackPointPublic]:
    """The tracks of an incident's missions, oldest mission first."""
    points: list[TrackPointPublic] = []
    for mission in sorted(missions, key=lambda m: m.id):
        points.extend(list_track_points(session, mission.id))
    return points


def mission_track_geojson(services: Services, mission_id: int) -> dict[str, Any]:
    """A mission's flown track as a GeoJSON LineString Feature ([lon, lat, alt] positions,
    ``properties.times_s`` from the first sample, ``properties.times`` in UTC)."""
    with services.store.read_session() as session:
        mission = get_mission(session, mission_id)
        points = list_track_points(session, mission_id)
    if len(points) < 2:
        raise TrackTooShort(
            f"mission {mission_id} has {len(points)} flown position(s); a track needs 2",
            field="mission_id", value=mission_id, limit=">= 2 positions",
        )
    start = _utc(points[0].time)
    track = [
        TrackPoint(
            time_s=(_utc(p.time) - start).total_seconds(),
            latitude_deg=p.latitude_deg,
            longitude_deg=p.longitude_deg,
            relative_altitude_m=p.relative_altitude_m or 0.0,
        )
        for p in points
    ]
    return track_to_geojson(
        track,
        name=f"mission {mission_id} flown track",
        mission_id=mission_id,
        incident_id=mission.incident_id,
        patrol_run_id=mission.patrol_run_id,
        drone_id=mission.drone_id,
        start_time=start.isoformat(),
        times=[_utc(p.time).isoformat() for p in points],
    )
