"""The track recorder: a sample every interval and on every item reached, none from a stale
position, written to the store in batches (not one write per sample)."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from pathlib import Path

from jinghang.dispatch.track import TrackRecorder
from jinghang.store import MissionCreate, Store, create_mission, list_track_points, open_store


@dataclass
class State:
    latitude_deg: float = 37.5
    longitude_deg: float = 122.1
    relative_altitude_m: float = 30.0
    heading_deg: float = 90.0
    ground_speed_m_s: float = 8.0
    battery_pct: float | None = 95.0
    mission_current_seq: int | None = 1
    link_lost: bool = False


class Clock:
    def __init__(self) -> None:
        self.now_s = 0.0

    def __call__(self) -> float:
        return self.now_s


def _recorder(tmp_path: Path) -> tuple[Store, int, TrackRecorder, Clock]:
    store = open_store(f"sqlite:///{tmp_path / 'track.db'}")
    with store.transaction() as s:
        mission_id = create_mission(s, MissionCreate(drone_id=1), created_by="t").id
    clock = Clock()
    start = dt.datetime(2026, 7, 1, 6, 0, tzinfo=dt.UTC)
    recorder = TrackRecorder(store, interval_s=2.0, flush_after_s=5.0, monotonic=clock,
                             wall_clock=lambda: start + dt.timedelta(seconds=clock.now_s))
    return store, mission_id, recorder, clock


def _stored(store: Store, mission_id: int, recorder: TrackRecorder) -> int:
    recorder.writer.flush()  # what was handed to the store writer is in
    with store.read_session() as s:
        return len(list_track_points(s, mission_id))


def test_samples_every_interval_and_on_each_item_reached_in_batches(tmp_path: Path) -> None:
    store, mission_id, recorder, clock = _recorder(tmp_path)
    try:
        state = State()
        taken = []
        for step in range(40):  # 4 s of telemetry at 10 Hz
            clock.now_s = step * 0.1
            state.latitude_deg = 37.5 + step * 1e-5
            if step == 15:
                state.mission_current_seq = 2  # item 1 reached
            taken.append(recorder.observe(mission_id, state))
        # at 0 s, on the item reached at 1.5 s, then 2 s after that
        assert [i for i, t in enumerate(taken) if t] == [0, 15, 35]
        assert _stored(store, mission_id, recorder) == 0  # still batched, nothing written yet
        clock.now_s = 5.0  # not due (1.5 s after the last), but the oldest is 5 s old
        assert recorder.observe(mission_id, state) is False
        assert _stored(store, mission_id, recorder) == 3  # written as one batch
        state.link_lost = True  # a stale position is never evidence
        clock.now_s = 9.0
        assert recorder.observe(mission_id, state) is False
        state.link_lost = False
        state.relative_altitude_m = math.nan
        recorder.finish(mission_id, state)
        recorder.writer.flush()
        with store.read_session() as s:
            track = list_track_points(s, mission_id)
        assert len(track) == 4 and track[-1].relative_altitude_m is None
        assert [p.current_seq for p in track] == [1, 2, 2, 2]
        assert recorder.written == 4
    finally:
        store.close()
