"""Flown-track recording cost: what sampling adds to the dispatcher's follow loop.

Feeds ``--flights`` flights' telemetry at the follow loop's rate (``--poll-hz``) for
``--minutes`` of flight time into one :class:`~jinghang.dispatch.track.TrackRecorder` on a
SQLite file (a simulated monotonic clock, so the run takes only as long as the work), with an
item reached every 30 s per flight. Prints the points written, the batches, the mean and worst
cost of one ``observe`` call (the one that flushes included), and the database file size.

    python3 bench/bench_track.py [--flights 20] [--minutes 30] [--poll-hz 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import require, run
from jinghang.dispatch.track import TrackRecorder
from jinghang.store import MissionCreate, create_mission, open_store


@dataclass
class State:
    latitude_deg: float
    longitude_deg: float = 122.1
    relative_altitude_m: float = 60.0
    heading_deg: float = 90.0
    ground_speed_m_s: float = 10.0
    battery_pct: float | None = 90.0
    mission_current_seq: int | None = 1
    link_lost: bool = False


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--flights", type=int, default=20)
    parser.add_argument("--minutes", type=float, default=30.0)
    parser.add_argument("--poll-hz", type=float, default=5.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.db"
        store = open_store(f"sqlite:///{path}")
        with store.transaction() as s:
            missions = [create_mission(s, MissionCreate(drone_id=i + 1),
                                       created_by="bench").id for i in range(args.flights)]
        sim_now = [0.0]
        recorder = TrackRecorder(store, monotonic=lambda: sim_now[0])
        flushes = [0]
        original_flush = recorder.flush

        def counting_flush() -> None:
            if recorder._pending:
                flushes[0] += 1
            original_flush()

        recorder.flush = counting_flush  # type: ignore[method-assign]
        states = [State(latitude_deg=37.5 + i * 1e-3) for i in range(args.flights)]
        costs: list[float] = []
        steps = int(args.minutes * 60 * args.poll_hz)
        for step in range(steps):
            sim_now[0] = step / args.poll_hz
            for mission_id, state in zip(missions, states, strict=True):
                state.latitude_deg += 1e-6
                state.mission_current_seq = 1 + int(sim_now[0] // 30)
                start = time.perf_counter()
                recorder.observe(mission_id, state)
                costs.append(time.perf_counter() - start)
        for mission_id in missions:
            recorder.finish(mission_id)
        recorder.writer.close()
        store.close()
        size_kib = path.stat().st_size / 1024
    require(costs, "observe() was never called (--flights 0 or --minutes 0?)")
    require(recorder.written, f"no track point was written from {len(costs)} observations")
    costs_us = sorted(c * 1e6 for c in costs)
    print(f"flights {args.flights}, {args.minutes:g} min each, follow loop {args.poll_hz:g} Hz")
    print(f"points written {recorder.written} in {flushes[0]} batches "
          f"({recorder.written / max(1, flushes[0]):.0f} points per batch)")
    print(f"observe(): mean {statistics.fmean(costs_us):.1f} us, "
          f"p99 {costs_us[int(len(costs_us) * 0.99)]:.1f} us, worst {costs_us[-1]:.0f} us "
          f"(a flush included), {len(costs_us)} calls")
    print(f"database {size_kib:.0f} KiB ({size_kib * 1024 / max(1, recorder.written):.0f} "
          "bytes per point)")


if __name__ == "__main__":
    run(main)
