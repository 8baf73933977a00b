"""A small MAVLink ground-station client for the simulator tests: asyncio TCP, pymavlink's
encoder and decoder, a GCS heartbeat, and waits for messages by type and condition."""

from __future__ import annotations

import asyncio
import collections
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from pymavlink.dialects.v20 import ardupilotmega as mavlink

M = mavlink
Msg = Any


class GcsClient:
    """One client connection to a simulated vehicle."""

    def __init__(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        system_id: int = 255,
        target_system: int = 1,
    ) -> None:
        self.reader = reader
        self.writer = writer
        self.mav = M.MAVLink(None, srcSystem=system_id, srcComponent=190)
        self.mav.robust_parsing = True
        self.target = target_system
        self.latest: dict[str, Msg] = {}
        self.counts: collections.Counter[str] = collections.Counter()
        self.texts: list[str] = []
        self.reached: list[int] = []
        self.feedback: list[Msg] = []
        self._waiters: list[tuple[tuple[str, ...], Callable[[Msg], bool], asyncio.Future[Msg]]] = []
        self.send_heartbeats = True

    def set_signing(self, key: bytes | None) -> None:
        s = self.mav.signing
        if key is None:
            s.secret_key = None
            s.sign_outgoing = False
            return
        s.secret_key = key
        s.sign_outgoing = True
        s.link_id = 0
        s.timestamp = int((time.time() - 1420070400) * 100000)

    def send(self, msg: Msg) -> None:
        buf = msg.pack(self.mav)
        self.mav.seq = (self.mav.seq + 1) % 256
        self.writer.write(buf)

    def send_raw(self, data: bytes) -> None:
        self.writer.write(data)

    async def _read_loop(self) -> None:
        while True:
            data = await self.reader.read(65536)
            if not data:
                return
            for msg in self.mav.parse_buffer(data) or []:
                kind = msg.get_type()
                if kind == "BAD_DATA":
                    continue
                self.latest[kind] = msg
                self.counts[kind] += 1
                if kind == "STATUSTEXT":
                    self.texts.append(msg.text)
                elif kind == "MISSION_ITEM_REACHED":
                    self.reached.append(msg.seq)
                elif kind == "CAMERA_FEEDBACK":
                    self.feedback.append(msg)
                for waiter in list(self._waiters):
                    kinds, cond, fut = waiter
                    if kind in kinds and not fut.done() and cond(msg):
                        fut.set_result(msg)
                        self._waiters.remove(waiter)

    async def _heartbeat_loop(self) -> None:
        while True:
            if self.send_heartbeats:
                self.send(
                    M.MAVLink_heartbeat_message(M.MAV_TYPE_GCS, M.MAV_AUTOPILOT_INVALID, 0, 0, 0, 3)
                )
            await asyncio.sleep(0.2)

    def item_message(self, seq: int, item: Any, mission_type: int = 0) -> Msg:
        """MISSION_ITEM_INT for ``(frame, cmd, p1, p2, p3, p4, lat, lon, alt)`` at ``seq``."""
        frame, cmd, p1, p2, p3, p4, lat, lon, alt = item
        return M.MAVLink_mission_item_int_message(
            self.target, 1, seq, frame, cmd, 0, 1, p1, p2, p3, p4,
            round(lat * 1e7), round(lon * 1e7), alt, mission_type,
        )

    def expect(
        self, kind: str | tuple[str, ...], cond: Callable[[Msg], bool] = lambda m: True
    ) -> asyncio.Future[Msg]:
        """Register interest in a message (of one of the kinds) before causing it."""
        fut: asyncio.Future[Msg] = asyncio.get_running_loop().create_future()
        self._waiters.append(((kind,) if isinstance(kind, str) else kind, cond, fut))
        return fut

    async def wait(
        self, kind: str, cond: Callable[[Msg], bool] = lambda m: True, timeout_s: float = 20.0
    ) -> Msg:
        fut = self.expect(kind, cond)
        try:
            async with asyncio.timeout(timeout_s):
                return await fut
        finally:
            fut.cancel()

    async def command(self, command: int, *params: float, timeout_s: float = 5.0) -> int:
        p = [float(x) for x in params] + [0.0] * (7 - len(params))
        fut = self.expect("COMMAND_ACK", lambda m: m.command == command)
        self.send(M.MAVLink_command_long_message(self.target, 1, command, 0, *p))
        async with asyncio.timeout(timeout_s):
            ack = await fut
        return int(ack.result)

    async def command_int(
        self,
        command: int,
        frame: int,
        p1: float = 0,
        p2: float = 0,
        p3: float = 0,
        p4: float = 0,
        x: int = 0,
        y: int = 0,
        z: float = 0,
    ) -> int:
        fut = self.expect("COMMAND_ACK", lambda m: m.command == command)
        self.send(
            M.MAVLink_command_int_message(
                self.target, 1, frame, command, 0, 0, p1, p2, p3, p4, x, y, z
            )
        )
        async with asyncio.timeout(5.0):
            ack = await fut
        return int(ack.result)

    async def set_mode(self, mode: int) -> int:
        return await self.command(M.MAV_CMD_DO_SET_MODE, 1, mode)

    async def set_param(self, name: str, value: float) -> Msg:
        fut = self.expect("PARAM_VALUE", lambda m: m.param_id == name)
        self.send(
            M.MAVLink_param_set_message(
                self.target, 1, name.encode(), value, M.MAV_PARAM_TYPE_REAL32
            )
        )
        async with asyncio.timeout(5.0):
            return await fut

    async def position(self, cond: Callable[[Msg], bool], timeout_s: float = 30.0) -> Msg:
        return await self.wait("GLOBAL_POSITION_INT", cond, timeout_s)

    async def heartbeat_where(self, cond: Callable[[Msg], bool], timeout_s: float = 30.0) -> Msg:
        return await self.wait("HEARTBEAT", cond, timeout_s)

    async def upload(self, items: list[tuple[Any, ...]], mission_type: int = 0) -> int:
        """Upload (frame, command, p1..p4, lat_deg, lon_deg, alt) tuples; return the ack type."""
        done = self.expect("MISSION_ACK", lambda m: m.type != M.MAV_MISSION_INVALID_SEQUENCE)
        self.send(M.MAVLink_mission_count_message(self.target, 1, len(items), mission_type))
        async with asyncio.timeout(20.0):
            while not done.done():
                # ArduPilot asks with MISSION_REQUEST; either kind gets MISSION_ITEM_INT
                req = self.expect(("MISSION_REQUEST", "MISSION_REQUEST_INT"))
                finished, _ = await asyncio.wait({req, done}, return_when=asyncio.FIRST_COMPLETED)
                if done in finished:
                    req.cancel()
                    break
                seq = req.result().seq
                self.send(self.item_message(seq, items[seq], mission_type))
            return int((await done).type)

    async def download(self, mission_type: int = 0) -> list[Msg]:
        count = self.expect("MISSION_COUNT")
        self.send(M.MAVLink_mission_request_list_message(self.target, 1, mission_type))
        async with asyncio.timeout(10.0):
            n = (await count).count
            out = []
            for seq in range(n):
                item = self.expect("MISSION_ITEM_INT", lambda m, s=seq: m.seq == s)
                self.send(M.MAVLink_mission_request_int_message(self.target, 1, seq, mission_type))
                out.append(await item)
        self.send(M.MAVLink_mission_ack_message(self.target, 1, 0, mission_type))
        return out

    async def arm_and_takeoff(self, altitude_m: float) -> None:
        await self.wait_armable()
        assert await self.set_mode(4) == M.MAV_RESULT_ACCEPTED
        assert await self.command(M.MAV_CMD_COMPONENT_ARM_DISARM, 1) == M.MAV_RESULT_ACCEPTED
        assert await self.command(M.MAV_CMD_NAV_TAKEOFF, 0, 0, 0, 0, 0, 0, altitude_m) == 0
        await self.position(lambda m: m.relative_alt > (altitude_m - 0.6) * 1000)

    async def wait_armable(self) -> None:
        """Until the vehicle can arm in any mode: a 3D fix and an absolute position estimate
        (ArduCopter's pre-arm bit alone is set in STABILIZE, which needs no GPS) and the pre-arm
        checks passing."""
        await self.wait("GPS_RAW_INT", lambda m: m.fix_type >= 3)
        await self.wait("EKF_STATUS_REPORT", lambda m: m.flags & M.EKF_POS_HORIZ_ABS)
        bit = M.MAV_SYS_STATUS_PREARM_CHECK
        await self.wait("SYS_STATUS", lambda m: m.onboard_control_sensors_health & bit)


@asynccontextmanager
async def connect_gcs(
    port: int, *, target_system: int = 1, system_id: int = 255, heartbeats: bool = True
) -> AsyncIterator[GcsClient]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    gcs = GcsClient(reader, writer, system_id, target_system)
    gcs.send_heartbeats = heartbeats
    try:
        async with asyncio.TaskGroup() as tg:
            tasks = [tg.create_task(gcs._read_loop()), tg.create_task(gcs._heartbeat_loop())]
            try:
                yield gcs
            finally:
                for task in tasks:
                    task.cancel()
    finally:
        writer.close()
