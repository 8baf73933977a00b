"""A tiny scripted MAVLink vehicle for unit tests over in-memory links.

It answers like ArduCopter on the wire where the flight core cares (heartbeat with copter mode
numbers, COMMAND_ACK, the mission protocol with home at seq 0, parameters, pre-arm refusal
with a STATUSTEXT) and has knobs to misbehave: drop commands, ask for mission items shuffled
and repeated, refuse SET_MESSAGE_INTERVAL. It is not a simulator: nothing flies.
"""

from __future__ import annotations

import asyncio
import random
from typing import Any

from jinghang.flight.transport import Transport
from jinghang.mavlink.channel import Channel, mavlink

ARMED_FLAG = 128


class ScriptedVehicle:
    def __init__(
        self,
        transport: Transport,
        *,
        system_id: int = 1,
        autopilot: int = 3,
        heartbeat_interval_s: float = 0.05,
        signing_key: bytes | None = None,
        gps_ok: bool = True,
        supports_message_interval: bool = True,
        shuffle_requests: bool = False,
        repeat_requests: bool = False,
        mission_request_int: bool = True,
        home_at_seq0: bool = True,
        drop_commands: int = 0,
        request_timeout_s: float = 0.1,
        nak_out_of_sequence: bool = False,
        drop_upload_acks: int = 0,
        seed: int = 7,
    ) -> None:
        self.transport = transport
        self.system_id = system_id
        self.autopilot = autopilot
        self.channel = Channel(system_id=system_id, component_id=1, signing_key=signing_key)
        self.heartbeat_interval_s = heartbeat_interval_s
        self.gps_ok = gps_ok
        self.supports_message_interval = supports_message_interval
        self.shuffle_requests = shuffle_requests
        self.repeat_requests = repeat_requests
        self.mission_request_int = mission_request_int
        self.home_at_seq0 = home_at_seq0
        self.drop_commands = drop_commands
        self.request_timeout_s = request_timeout_s
        #: Like ArduPilot: an item other than the one last requested gets
        #: MISSION_ACK(INVALID_SEQUENCE) and is dropped, and the transfer goes on.
        self.nak_out_of_sequence = nak_out_of_sequence
        #: swallow this many final MISSION_ACK(ACCEPTED) of uploads (as a lossy link may)
        self.drop_upload_acks = drop_upload_acks
        self.random = random.Random(seed)
        self.custom_mode = 0
        self.armed = False
        self.silent = False
        self.lists: dict[int, list[Any]] = {0: [], 1: [], 2: []}
        self.params: dict[str, float] = {
            "RTL_ALT": 1500.0, "WPNAV_SPEED": 500.0, "FS_GCS_ENABLE": 0.0
        }
        self.commands: list[Any] = []
        self.heard: list[Any] = []
        self.mission_current = 0
        self._incoming: dict[int, dict[str, Any]] = {}
        self._wake = asyncio.Event()

    def send(self, message: Any) -> None:
        if not self.silent:
            self.transport.send(self.channel.encode(message))

    async def run(self) -> None:
        async with asyncio.TaskGroup() as tg:
            tg.create_task(self.transport.run(self._on_bytes))
            tg.create_task(self._heartbeats())
            tg.create_task(self._upload_driver())

    async def _heartbeats(self) -> None:
        while True:
            self.send(
                mavlink.MAVLink_heartbeat_message(
                    2, self.autopilot, 1 | (ARMED_FLAG if self.armed else 0), self.custom_mode, 3, 3
                )
            )
            self.send(
                mavlink.MAVLink_global_position_int_message(
                    0, 311000000, 1215000000, 15000, 5000 if self.armed else 0, 100, 0, 0, 9000
                )
            )
            await asyncio.sleep(self.heartbeat_interval_s)

    def _on_bytes(self, data: bytes) -> None:
        for message in self.channel.parse(data):
            self.heard.append(message)
            if getattr(message, "target_system", 0) not in (0, self.system_id):
                continue  # addressed to another vehicle on a shared link
            handler = getattr(self, "_on_" + message.get_type().lower(), None)
            if handler is not None:
                handler(message)

    # -- commands ------------------------------------------------------------------------------

    def _ack(self, command: int, result: int) -> None:
        self.send(mavlink.MAVLink_command_ack_message(command, result, 0, 0, 255, 190))

    def _on_command_long(self, m: Any) -> None:
        self.commands.append(m)
        if self.drop_commands > 0:
            self.drop_commands -= 1
            return
        cmd = m.command
        if cmd == 511:
            self._ack(cmd, 0 if self.supports_message_interval else 3)
        elif cmd == 176:
            self.custom_mode = int(m.param2)
            self._ack(cmd, 0)
        elif cmd == 400:
            if m.param1 == 1 and not self.gps_ok:
                self.send(mavlink.MAVLink_statustext_message(3, b"PreArm: Need 3D Fix"))
                self._ack(cmd, 4)
                return
            self.armed = m.param1 == 1
            self._ack(cmd, 0)
        elif cmd == 300:
            self.custom_mode = 3
            self._ack(cmd, 0)
        elif cmd == 178 and m.param2 > 15:
            self._ack(cmd, 2)  # denied
        else:
            self._ack(cmd, 0)

    def _on_set_mode(self, m: Any) -> None:
        self.custom_mode = int(m.custom_mode)

    # -- mission protocol ----------------------------------------------------------------------

    def _on_mission_count(self, m: Any) -> None:
        order = list(range(m.count))
        if self.shuffle_requests:
            self.random.shuffle(order)
        self._incoming[m.mission_type] = {"count": m.count, "items": {}, "order": order}
        if m.count == 0:
            self.lists[m.mission_type] = []
            self.send(mavlink.MAVLink_mission_ack_message(255, 190, 0, m.mission_type))
            return
        self._request_next(m.mission_type)

    def _request_next(self, mission_type: int) -> None:
        transfer = self._incoming.get(mission_type)
        if transfer is None:
            return
        missing = [s for s in transfer["order"] if s not in transfer["items"]]
        if not missing:
            return
        seq = missing[0]
        transfer["expected"] = seq
        cls = (
            mavlink.MAVLink_mission_request_int_message
            if self.mission_request_int
            else mavlink.MAVLink_mission_request_message
        )
        self.send(cls(255, 190, seq, mission_type))
        if self.repeat_requests and self.random.random() < 0.3:
            self.send(cls(255, 190, seq, mission_type))
        self._wake.set()

    def _on_mission_item_int(self, m: Any) -> None:
        transfer = self._incoming.get(m.mission_type)
        if transfer is None:  # no transfer open: ArduPilot answers MAV_MISSION_ERROR
            self.send(mavlink.MAVLink_mission_ack_message(255, 190, 1, m.mission_type))
            return
        if self.nak_out_of_sequence and m.seq != transfer.get("expected"):
            self.send(mavlink.MAVLink_mission_ack_message(255, 190, 13, m.mission_type))
            return
        transfer["items"][m.seq] = m
        if len(transfer["items"]) == transfer["count"]:
            self.lists[m.mission_type] = [transfer["items"][i] for i in range(transfer["count"])]
            del self._incoming[m.mission_type]
            if self.drop_upload_acks > 0:
                self.drop_upload_acks -= 1
                return
            self.send(mavlink.MAVLink_mission_ack_message(255, 190, 0, m.mission_type))
        else:
            self._request_next(m.mission_type)

    async def _upload_driver(self) -> None:
        """Re-request like ArduPilot when an item does not arrive in time."""
        while True:
            await asyncio.sleep(self.request_timeout_s)
            for mission_type in list(self._incoming):
                self._request_next(mission_type)

    def _on_mission_request_list(self, m: Any) -> None:
        self.send(mavlink.MAVLink_mission_count_message(255, 190, len(self.lists[m.mission_type]),
                                                       m.mission_type))

    def _on_mission_request_int(self, m: Any) -> None:
        items = self.lists[m.mission_type]
        if m.seq < len(items):
            item = items[m.seq]
            item.target_system, item.target_component = 255, 190
            self.send(item)

    def _on_mission_clear_all(self, m: Any) -> None:
        self.lists[m.mission_type] = []
        self.send(mavlink.MAVLink_mission_ack_message(255, 190, 0, m.mission_type))

    def _on_mission_set_current(self, m: Any) -> None:
        self.mission_current = m.seq
        self.send(mavlink.MAVLink_mission_current_message(m.seq))

    # -- parameters ----------------------------------------------------------------------------

    def _param_value(self, name: str) -> Any:
        names = list(self.params)
        return mavlink.MAVLink_param_value_message(
            name.encode(), self.params[name], 9, len(names), names.index(name)
        )

    def _on_param_request_read(self, m: Any) -> None:
        name = m.param_id if isinstance(m.param_id, str) else m.param_id.decode()
        if m.param_index >= 0:
            names = list(self.params)
            if m.param_index < len(names):
                self.send(self._param_value(names[m.param_index]))
        elif name in self.params:
            self.send(self._param_value(name))

    def _on_param_set(self, m: Any) -> None:
        name = m.param_id if isinstance(m.param_id, str) else m.param_id.decode()
        if name in self.params:
            self.params[name] = min(m.param_value, 100000.0)
            self.send(self._param_value(name))

    def _on_param_request_list(self, m: Any) -> None:
        for name in self.params:
            self.send(self._param_value(name))
