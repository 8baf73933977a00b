"""The flown track of every mission: the drone's position sampled from the telemetry the
dispatcher already follows, kept as evidence of where the drone was and when.

:class:`TrackRecorder` takes a sample every ``interval_s`` (2 s) and whenever the mission's
current item changes (an item reached) or the flight's phase changes (take-off, return,
landing), and hands the samples to the store writer (:mod:`jinghang.store.writer`) for
``mission_track_points`` in batches (every ``flush_after_s``, at ``max_batch`` points, when a
flight ends and when the dispatcher stops), so the follow loop never waits on the database.
A stale position (link lost, no fix) is not sampled. After a restart the follower of a flight
still in the air feeds the same mission id, so its track continues where it stopped. When a
flight ends, the digest of its whole track goes into the audit trail
(:mod:`jinghang.store.audit_tracks`), handed in after its last points, so the writer commits
it once all of them are stored.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import time
from collections.abc import Callable
from typing import Any

from sqlmodel import Session

from jinghang.store import Store, TrackPointCreate, add_track_points
from jinghang.store.audit_tracks import record_track_digest
from jinghang.store.writer import StoreWriter

log = logging.getLogger(__name__)


def _finite(value: float | None) -> float | None:
    if value is None or math.isnan(value) or math.isinf(value):
        return None
    return float(value)


def sample_of(state: Any, at: dt.datetime) -> TrackPointCreate | None:
    """One track point from a vehicle state, or ``None`` when it has no fresh position."""
    if getattr(state, "link_lost", False):
        return None
    lat, lon = _finite(state.latitude_deg), _finite(state.longitude_deg)
    if lat is None or lon is None or (lat == 0.0 and lon == 0.0):
        return None
    return TrackPointCreate(
        time=at,
        latitude_deg=lat,
        longitude_deg=lon,
        relative_altitude_m=_finite(state.relative_altitude_m),
        heading_deg=_finite(state.heading_deg),
        ground_speed_m_s=_finite(state.ground_speed_m_s),
        battery_pct=_finite(state.battery_pct),
        current_seq=state.mission_current_seq,
    )


class TrackRecorder:
    """Samples the position of each flying mission and writes them to the store in batches
    through ``writer`` (its own when none is given)."""

    def __init__(
        self,
        store: Store,
        *,
        writer: StoreWriter | None = None,
        interval_s: float = 2.0,
        flush_after_s: float = 5.0,
        max_batch: int = 200,
        monotonic: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    ) -> None:
        self.store = store
        self.writer = writer or StoreWriter(store)
        self.interval_s = interval_s
        self.flush_after_s = flush_after_s
        self.max_batch = max_batch
        self._monotonic = monotonic
        self._wall_clock = wall_clock
        self._pending: list[tuple[int, TrackPointCreate]] = []
        self._oldest_s: float | None = None
        #: mission id -> (monotonic time of its last sample, the item it was flying to, phase)
        self._last: dict[int, tuple[float, int | None, object]] = {}
        #: Points written since start (for the benchmark and the log).
        self.written = 0

    def observe(self, mission_id: int, state: Any, *, phase: object = None,
                force: bool = False) -> bool:
        """Sample ``state`` for ``mission_id`` when it is due; True when a point was taken."""
        now_s = self._monotonic()
        last = self._last.get(mission_id)
        seq = state.mission_current_seq
        due = (force or last is None or now_s - last[0] >= self.interval_s
               or seq != last[1] or phase != last[2])
        taken = False
        if due:
            point = sample_of(state, self._wall_clock())
            if point is not None:
                self._pending.append((mission_id, point))
                self._last[mission_id] = (now_s, seq, phase)
                if self._oldest_s is None:
                    self._oldest_s = now_s
                taken = True
        if self._pending and (len(self._pending) >= self.max_batch or (
                self._oldest_s is not None and now_s - self._oldest_s >= self.flush_after_s)):
            self.flush()
        return taken

    def finish(self, mission_id: int, state: Any | None = None) -> None:
        """The flight ended: take its last position (if given), hand in what is pending,
        then the audit of the track's digest (committed after its points)."""
        if state is not None:
            self.observe(mission_id, state, force=True)
        self._last.pop(mission_id, None)
        self.flush()

        def digest(session: Session) -> None:
            record_track_digest(session, mission_id)

        self.writer.post(digest, what=f"audit of the track of mission {mission_id}")

    def flush(self) -> None:
        """Hand the pending samples to the writer as one batch (one transaction)."""
        if not self._pending:
            return
        batch = self._pending
        self._pending = []
        self._oldest_s = None

        def write(session: Session) -> int:
            return add_track_points(session, batch)

        self.writer.post(write, what=f"{len(batch)} track points", on_done=self._written)

    def _written(self, count: int) -> None:
        self.written += count
