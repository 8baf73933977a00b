"""The flown track of a mission: points added in batches come back in time order."""

from __future__ import annotations

import datetime as dt

import pytest
from pydantic import ValidationError

from jinghang.store import (
    MissionCreate,
    Store,
    TrackPointCreate,
    add_track_points,
    create_mission,
    list_track_points,
)

T0 = dt.datetime(2026, 7, 1, 6, 0, tzinfo=dt.UTC)


def _point(seconds: float, lat: float) -> TrackPointCreate:
    return TrackPointCreate(time=T0 + dt.timedelta(seconds=seconds), latitude_deg=lat,
                            longitude_deg=122.1, relative_altitude_m=30.0, heading_deg=90.0,
                            ground_speed_m_s=8.0, battery_pct=97.0, current_seq=2)


def test_track_points_are_kept_per_mission_in_time_order(store: Store) -> None:
    with store.transaction() as s:
        first = create_mission(s, MissionCreate(drone_id=1), created_by="t")
        second = create_mission(s, MissionCreate(drone_id=2), created_by="t")
    with store.transaction() as s:
        added = add_track_points(s, [(first.id, _point(4, 37.52)), (second.id, _point(0, 37.6)),
                                     (first.id, _point(0, 37.50)), (first.id, _point(2, 37.51))])
    assert added == 4
    with store.read_session() as s:
        track = list_track_points(s, first.id)
        other = list_track_points(s, second.id)
    assert [p.latitude_deg for p in track] == [37.50, 37.51, 37.52]
    assert track[0].time.replace(tzinfo=dt.UTC) == T0
    assert track[0].battery_pct == 97.0 and track[0].current_seq == 2
    assert [p.latitude_deg for p in other] == [37.6]


def test_a_track_point_off_the_globe_is_refused() -> None:
    with pytest.raises(ValidationError, match="latitude_deg"):
        TrackPointCreate(time=T0, latitude_deg=91.0, longitude_deg=122.1)
