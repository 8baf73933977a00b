"""Time a flight on real ArduPilot SITL by the vehicle's own clock, not the wall clock.

On a loaded machine SITL does not keep its ``--speedup``, so "wall clock times the speedup"
overstates a flight. :class:`SitlClock` opens a second MAVLink connection to the SITL instance
(its SERIAL1, TCP 5762 + 10 * i, beside the flight core's SERIAL0), asks for ATTITUDE and
HEARTBEAT at 10 Hz and reads ``time_boot_ms`` (the autopilot's boot clock, which runs in
simulated time whatever the load): the flight starts when the mission's first item starts
(ArduPilot's STATUSTEXT "Mission: 1 ...", sent as MISSION_START switches GUIDED to AUTO; the
heartbeat's armed-in-AUTO when no such text came), as ``sim_timing`` counts the time in AUTO,
and ends at the disarm after that (STATUSTEXT "Disarming motors", or the heartbeat's). The
clock is the last ``time_boot_ms`` seen, so each mark is good to 0.1 s. Used by
``bench/bench_estimate.py`` and the ``sitl`` estimate test.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
from types import TracebackType

from jinghang.mavlink.channel import Channel
from jinghang.mavlink.dialect import mavlink as M

#: ArduCopter's AUTO custom mode.
AUTO_MODE = 3
#: SITL's SERIAL1 is two ports above SERIAL0.
SERIAL1_OFFSET = 2


def serial1_port(address: str) -> int:
    """The SERIAL1 port of a SITL instance from its SERIAL0 address ``tcp:127.0.0.1:PORT``."""
    return int(address.rsplit(":", 1)[1]) + SERIAL1_OFFSET


class SitlClock:
    """Watches one SITL vehicle over its SERIAL1; :attr:`flight_s` is armed-in-AUTO to
    disarmed on the autopilot's boot clock (None until both were seen)."""

    def __init__(self, address: str) -> None:
        self.port = serial1_port(address)
        self.boot_s: float | None = None
        self.start_s: float | None = None
        self.end_s: float | None = None
        #: When each mission item (caller numbering: the vehicle's minus its home item) was
        #: reached, seconds after the start.
        self.reached_s: dict[int, float] = {}
        #: (seconds after the start, relative altitude m, ground speed m/s, climb m/s), from
        #: GLOBAL_POSITION_INT.
        self.track: list[tuple[float, float, float, float]] = []
        self._task: asyncio.Task[None] | None = None
        self._ended = asyncio.Event()

    @property
    def flight_s(self) -> float | None:
        if self.start_s is None or self.end_s is None:
            return None
        return self.end_s - self.start_s

    async def __aenter__(self) -> SitlClock:
        reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
        self._task = asyncio.create_task(self._watch(reader, writer))
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None,
                        exc: BaseException | None, tb: TracebackType | None) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, OSError, ConnectionError):
                await self._task

    async def wait_disarmed(self, timeout_s: float = 30.0) -> None:
        """Until the disarm after the flight was seen on the clock (or ``timeout_s``)."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout_s):
                await self._ended.wait()

    def _request(self, channel: Channel, writer: asyncio.StreamWriter) -> None:
        writer.write(channel.encode(M.MAVLink_heartbeat_message(
            M.MAV_TYPE_GCS, M.MAV_AUTOPILOT_INVALID, 0, 0, 0, 3)))
        for msg_id in (M.MAVLINK_MSG_ID_ATTITUDE, M.MAVLINK_MSG_ID_HEARTBEAT,
                       M.MAVLINK_MSG_ID_GLOBAL_POSITION_INT):
            writer.write(channel.encode(M.MAVLink_command_long_message(
                0, 0, M.MAV_CMD_SET_MESSAGE_INTERVAL, 0, msg_id, 100000, 0, 0, 0, 0, 0)))

    async def _watch(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        channel = Channel()
        loop = asyncio.get_running_loop()
        last_request = -10.0
        try:
            while True:
                if loop.time() - last_request > 2.0:
                    last_request = loop.time()
                    self._request(channel, writer)
                data = await reader.read(4096)
                if not data:
                    return
                for msg in channel.parse(data):
                    self._on_message(msg)
        finally:
            writer.close()

    def _on_message(self, msg: object) -> None:
        boot_ms = getattr(msg, "time_boot_ms", None)
        if boot_ms is not None:
            self.boot_s = boot_ms / 1000.0
            if self.start_s is not None and self.end_s is None and hasattr(msg, "relative_alt"):
                self.track.append((self.boot_s - self.start_s,
                                   getattr(msg, "relative_alt", 0) / 1000.0,
                                   math.hypot(getattr(msg, "vx", 0), getattr(msg, "vy", 0)) / 100,
                                   -getattr(msg, "vz", 0) / 100.0))
            return
        kind = getattr(msg, "get_type", lambda: "")()
        if kind == "MISSION_ITEM_REACHED" and self.start_s is not None and self.boot_s:
            self.reached_s.setdefault(int(getattr(msg, "seq", 0)) - 1,
                                      self.boot_s - self.start_s)
            return
        if kind == "STATUSTEXT" and self.boot_s is not None:
            text = str(getattr(msg, "text", ""))
            if self.start_s is None and text.startswith("Mission: 1 "):
                self.start_s = self.boot_s
            elif self.start_s is not None and self.end_s is None and \
                    text.startswith("Disarming motors"):
                self._end()
            return
        if kind != "HEARTBEAT" or self.boot_s is None:
            return
        if getattr(msg, "type", None) == M.MAV_TYPE_GCS:
            return
        armed = bool(getattr(msg, "base_mode", 0) & M.MAV_MODE_FLAG_SAFETY_ARMED)
        if self.start_s is None and armed and getattr(msg, "custom_mode", -1) == AUTO_MODE:
            self.start_s = self.boot_s
        elif self.start_s is not None and self.end_s is None and not armed:
            self._end()

    def _end(self) -> None:
        self.end_s = self.boot_s
        self._ended.set()
