"""A lightweight fleet load generator: N vehicles' telemetry, pre-encoded, over real UDP sockets.

Run as its own process (``bench/bench_fleet.py`` starts it) so that the platform's CPU figures
are the platform's alone::

    python bench/_fleet_load.py --target 127.0.0.1:14550 --vehicles 1000 --seconds 20

Each vehicle has its own UDP socket (its own source port, as drones on a cellular network
do) and its own real MAVLink 2 frames, encoded once with pymavlink at start-up. Per send only
the sequence number and, on GLOBAL_POSITION_INT and ATTITUDE, the time stamp are patched
into the frame and its CRC recomputed (fastcrc), so that the generator costs a few
microseconds per frame. The time stamp rides in ``time_boot_ms``: the send time on the shared
monotonic clock, in units of 10 us since ``--epoch`` (the platform reads it back to measure
lag; nothing in the platform's state uses ``time_boot_ms``).

Rates (``--profile``):

- ``platform`` (default): what ArduCopter sends once the platform has asked for its streams
  (``jinghang.flight.streams.DEFAULT_RATES_HZ`` by SET_MESSAGE_INTERVAL; ArduCopter's own
  SRx_ defaults are 0, so it sends nothing but HEARTBEAT until asked), plus HEARTBEAT and
  SYSTEM_TIME at 1 Hz: 19.5 frames/s per vehicle.
- ``mavproxy``: what ArduCopter sends after MAVProxy's REQUEST_DATA_STREAM(ALL, 4 Hz): every
  stream group at 4 Hz (POSITION, EXTRA1, EXTRA2, EXTRA3, EXT_STAT, RAW_SENS, RC_CHAN), a
  representative message set of each: 69 frames/s per vehicle.

A scheduler ticks every ``--tick-ms`` (20 ms); each vehicle has a random phase, and at each
tick a vehicle sends one datagram holding every frame due then (an autopilot's UDP driver
flushes what its streams queued). System ids: ``--system-ids distinct`` gives vehicle i the
id ``i % 254 + 1`` (ids repeat past 254), ``--system-ids one`` gives every vehicle id 1 (as
drones ship). Its receive buffers are kept tiny and never read: the platform's heartbeats
and stream requests to it are dropped by the kernel.

At the end it prints one JSON line: frames and datagrams sent, its CPU time, the ticks it
was late for, and the rate it achieved against the rate it was asked for.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import socket
import struct
import sys
import time
from dataclasses import dataclass

import fastcrc
from pymavlink.dialects.v20 import ardupilotmega as mavlink

#: the stamp's unit: 10 microseconds
STAMP_PER_S = 100_000
STAMPED = frozenset({mavlink.MAVLINK_MSG_ID_GLOBAL_POSITION_INT, mavlink.MAVLINK_MSG_ID_ATTITUDE})
HOME_LAT_DEG, HOME_LON_DEG = 36.51, 122.18
_crc = fastcrc.crc16.mcrf4xx


def _messages(index: int) -> dict[str, object]:
    """Every message a vehicle may send, with plausible values for vehicle ``index``."""
    m = mavlink
    rng = random.Random(index)
    lat = int((HOME_LAT_DEG + rng.uniform(-0.05, 0.05)) * 1e7)
    lon = int((HOME_LON_DEG + rng.uniform(-0.05, 0.05)) * 1e7)
    prearm = 0x10000000
    return {
        "HEARTBEAT": m.MAVLink_heartbeat_message(
            m.MAV_TYPE_QUADROTOR, m.MAV_AUTOPILOT_ARDUPILOTMEGA, 89, 5, m.MAV_STATE_ACTIVE, 3),
        "GLOBAL_POSITION_INT": m.MAVLink_global_position_int_message(
            1, lat, lon, 70_000, 50_000, 300, -200, -10, 9000),
        "ATTITUDE": m.MAVLink_attitude_message(1, 0.01, -0.02, 1.57, 0.001, 0.002, 0.003),
        "VFR_HUD": m.MAVLink_vfr_hud_message(3.2, 3.6, 90, 45, 0.1, 70.0),
        "SYS_STATUS": m.MAVLink_sys_status_message(
            prearm | 0x3F, prearm | 0x3F, prearm | 0x3F, 250, 15_800, 1_230, 76, 0, 0, 0, 0,
            0, 0),
        "GPS_RAW_INT": m.MAVLink_gps_raw_int_message(
            1, 3, lat, lon, 90_000, 80, 120, 360, 9000, 14),
        "BATTERY_STATUS": m.MAVLink_battery_status_message(
            0, 1, 3, 2_500, [3_950, 3_950, 3_950, 3_950] + [65535] * 6, 1_230, 1_200, 45_000,
            76),
        "EKF_STATUS_REPORT": m.MAVLink_ekf_status_report_message(
            0x33F, 0.1, 0.1, 0.1, 0.1, 0.1),
        "MISSION_CURRENT": m.MAVLink_mission_current_message(0),
        "HOME_POSITION": m.MAVLink_home_position_message(
            lat, lon, 20_000, 0.0, 0.0, 0.0, [1.0, 0.0, 0.0, 0.0], 0.0, 0.0, 0.0),
        "SYSTEM_TIME": m.MAVLink_system_time_message(1_700_000_000_000_000, 1),
        # the rest of ArduCopter's stream groups (the mavproxy profile)
        "LOCAL_POSITION_NED": m.MAVLink_local_position_ned_message(1, 1.0, 2.0, -50.0, 3.0,
                                                                   -2.0, 0.1),
        "SIMSTATE": m.MAVLink_simstate_message(0.01, -0.02, 1.57, 0.1, 0.1, -9.8, 0.001, 0.002,
                                               0.003, lat, lon),
        "AHRS2": m.MAVLink_ahrs2_message(0.01, -0.02, 1.57, 70.0, lat, lon),
        "AHRS": m.MAVLink_ahrs_message(0.001, 0.001, 0.001, 0.0, 0.0, 0.01, 0.01),
        "WIND": m.MAVLink_wind_message(180.0, 2.5, 0.0),
        "VIBRATION": m.MAVLink_vibration_message(1, 0.5, 0.5, 0.5, 0, 0, 0),
        "POWER_STATUS": m.MAVLink_power_status_message(5_000, 5_000, 3),
        "MEMINFO": m.MAVLink_meminfo_message(40_000, 65_535),
        "NAV_CONTROLLER_OUTPUT": m.MAVLink_nav_controller_output_message(
            0.5, -1.0, 90, 90, 12, 0.1, 0.2, 0.3),
        "RAW_IMU": m.MAVLink_raw_imu_message(1, 10, 20, -1000, 1, 2, 3, 200, 100, -300),
        "SCALED_PRESSURE": m.MAVLink_scaled_pressure_message(1, 1000.5, 0.1, 2_500),
        "SERVO_OUTPUT_RAW": m.MAVLink_servo_output_raw_message(1, 0, 1500, 1500, 1500, 1500,
                                                               0, 0, 0, 0),
        "RC_CHANNELS": m.MAVLink_rc_channels_message(1, 8, *([1500] * 8 + [0] * 10), 255),
    }


PROFILES: dict[str, dict[str, float]] = {
    "platform": {
        "HEARTBEAT": 1.0,
        "GLOBAL_POSITION_INT": 5.0,
        "ATTITUDE": 5.0,
        "VFR_HUD": 2.0,
        "SYS_STATUS": 1.0,
        "GPS_RAW_INT": 1.0,
        "BATTERY_STATUS": 1.0,
        "EKF_STATUS_REPORT": 1.0,
        "MISSION_CURRENT": 1.0,
        "HOME_POSITION": 0.5,
        "SYSTEM_TIME": 1.0,
    },
    "mavproxy": {
        "HEARTBEAT": 1.0,
        **{name: 4.0 for name in (
            "GLOBAL_POSITION_INT", "LOCAL_POSITION_NED",  # POSITION
            "ATTITUDE", "SIMSTATE", "AHRS2",  # EXTRA1
            "VFR_HUD",  # EXTRA2
            "AHRS", "WIND", "SYSTEM_TIME", "BATTERY_STATUS", "EKF_STATUS_REPORT",
            "VIBRATION",  # EXTRA3
            "SYS_STATUS", "POWER_STATUS", "MEMINFO", "MISSION_CURRENT", "GPS_RAW_INT",
            "NAV_CONTROLLER_OUTPUT",  # EXT_STAT
            "RAW_IMU", "SCALED_PRESSURE",  # RAW_SENS
            "SERVO_OUTPUT_RAW", "RC_CHANNELS",  # RC_CHAN
        )},
    },
}


@dataclass(slots=True)
class Frame:
    """One pre-encoded frame: its bytes (patched in place per send) and its CRC extra."""

    data: bytearray
    crc_extra: int
    stamped: bool


class Sim:
    """One vehicle: its socket, its frames and its sequence number."""

    __slots__ = ("frames", "seq", "sock")

    def __init__(self, index: int, system_id: int, names: list[str]) -> None:
        encoder = mavlink.MAVLink(None, system_id, 1)
        messages = _messages(index)
        self.frames: dict[str, Frame] = {}
        for name in names:
            message = messages[name]
            data = bytearray(message.pack(encoder))  # type: ignore[attr-defined]
            self.frames[name] = Frame(data, message.crc_extra,  # type: ignore[attr-defined]
                                      message.id in STAMPED)  # type: ignore[attr-defined]
        self.seq = 0
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1024)
        self.sock.bind(("127.0.0.1", 0))

    def datagram(self, names: list[str], stamp: int) -> bytes:
        out = bytearray()
        for name in names:
            frame = self.frames[name]
            data = frame.data
            data[4] = self.seq
            self.seq = (self.seq + 1) & 0xFF
            if frame.stamped:
                struct.pack_into("<I", data, 10, stamp & 0xFFFFFFFF)
            end = len(data) - 2
            struct.pack_into("<H", data, end, _crc(bytes(data[1:end]) + bytes((frame.crc_extra,))))
            out += data
        return bytes(out)


def schedule(rates_hz: dict[str, float], vehicles: int, tick_s: float,
             seed: int = 7) -> tuple[int, list[list[tuple[int, list[str]]]]]:
    """Per tick slot of one schedule period, which vehicle sends which frames."""
    periods = {name: max(1, round(1.0 / (rate * tick_s))) for name, rate in rates_hz.items()}
    cycle = math.lcm(*periods.values())
    rng = random.Random(seed)
    slots: list[list[tuple[int, list[str]]]] = [[] for _ in range(cycle)]
    for v in range(vehicles):
        phase = rng.randrange(cycle)
        due: dict[int, list[str]] = {}
        for name, period in periods.items():
            for k in range(0, cycle, period):
                due.setdefault((phase + k) % cycle, []).append(name)
        for slot, names in due.items():
            slots[slot].append((v, names))
    return cycle, slots


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target", required=True, help="HOST:PORT of the platform's udpin link")
    parser.add_argument("--vehicles", type=int, required=True)
    parser.add_argument("--seconds", type=float, required=True)
    parser.add_argument("--profile", choices=sorted(PROFILES), default="platform")
    parser.add_argument("--system-ids", choices=["distinct", "one"], default="distinct")
    parser.add_argument("--tick-ms", type=float, default=20.0)
    parser.add_argument("--epoch", type=float, default=None,
                        help="monotonic time the stamps count from (default: now)")
    parser.add_argument("--cpu", type=int, default=None, help="pin to this core")
    args = parser.parse_args()
    if args.cpu is not None:
        os.sched_setaffinity(0, {args.cpu})
    host, _, port = args.target.rpartition(":")
    target = (host, int(port))
    rates = PROFILES[args.profile]
    names = list(rates)
    epoch = time.monotonic() if args.epoch is None else args.epoch
    sims = [
        Sim(i, 1 if args.system_ids == "one" else i % 254 + 1, names)
        for i in range(args.vehicles)
    ]
    tick_s = args.tick_ms / 1000.0
    cycle, slots = schedule(rates, args.vehicles, tick_s)
    frames = datagrams = late_ticks = send_errors = 0
    worst_late_s = 0.0
    cpu0, start = time.process_time(), time.monotonic()
    tick = 0
    while True:
        due_s = start + tick * tick_s
        now = time.monotonic()
        if now - start >= args.seconds:
            break
        if due_s > now:
            time.sleep(due_s - now)
        else:
            late_s = now - due_s
            if late_s > tick_s:
                late_ticks += 1
            worst_late_s = max(worst_late_s, late_s)
        stamp = int((time.monotonic() - epoch) * STAMP_PER_S)
        for v, due in slots[tick % cycle]:
            sim = sims[v]
            try:
                sim.sock.sendto(sim.datagram(due, stamp), target)
            except OSError:
                send_errors += 1
                continue
            frames += len(due)
            datagrams += 1
        tick += 1
    wall_s = time.monotonic() - start
    cpu_s = time.process_time() - cpu0
    nominal = args.vehicles * sum(
        1.0 / (max(1, round(1.0 / (r * tick_s))) * tick_s) for r in rates.values())
    print(json.dumps({
        "vehicles": args.vehicles,
        "profile": args.profile,
        "frames": frames,
        "datagrams": datagrams,
        "send_errors": send_errors,
        "wall_s": round(wall_s, 3),
        "cpu_s": round(cpu_s, 3),
        "cpu_pct": round(100 * cpu_s / wall_s, 1),
        "frames_per_s": round(frames / wall_s, 1),
        "nominal_frames_per_s": round(nominal, 1),
        "late_ticks": late_ticks,
        "worst_late_ms": round(worst_late_s * 1000, 1),
    }), flush=True)
    for sim in sims:
        sim.sock.close()


if __name__ == "__main__":
    sys.exit(main())
