"""The vehicle side of the MAVLink mission protocol, for mission, fence and rally lists.

Upload: MISSION_COUNT starts it, the vehicle asks for each item in turn with
MISSION_REQUEST (as ArduPilot does; MISSION_ITEM_INT or MISSION_ITEM may answer), asks again
when an item is a second late, answers a repeated or out-of-order item with
MISSION_ACK(INVALID_SEQUENCE) without ending the transfer, refuses items from another system
(DENIED), and ends with MISSION_ACK; an item when no upload is open gets MISSION_ACK(ERROR),
as on ArduPilot. Download: MISSION_REQUEST_LIST gets MISSION_COUNT, then
each MISSION_REQUEST_INT / MISSION_REQUEST gets the item. As on ArduPilot the mission list
has home at sequence 0. Items are decoded by the shared codec
(:mod:`jinghang.mavlink.mission_items`), which stores the ``_INT`` frames as the plain ones.
Timeouts are in wall-clock seconds, as the other side measures them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from jinghang.mavlink.dialect import MAVLinkMessage, mavlink
from jinghang.mavlink.mission_items import decode_item
from jinghang.missions.items import MissionItem, MissionType
from jinghang.simulator.telemetry import mission_item_message
from jinghang.simulator.vehicle import SimVehicle

M = mavlink
MAX_ITEMS = 1000  # home included; ArduPilot SITL's storage holds several hundred
RETRY_AFTER_S = 1.0
GIVE_UP_AFTER_S = 8.0


@dataclass(slots=True)
class _Upload:
    mission_type: int
    count: int
    target: tuple[int, int]
    items: list[MissionItem] = field(default_factory=list)
    last_request_s: float = 0.0
    last_progress_s: float = 0.0


class MissionServer:
    """Serves the mission protocol of one vehicle to one client."""

    def __init__(self, vehicle: SimVehicle, send: Callable[[MAVLinkMessage], None]) -> None:
        self.vehicle = vehicle
        self.send = send
        self._upload: _Upload | None = None

    @property
    def uploading(self) -> bool:
        return self._upload is not None

    def handle(self, msg: MAVLinkMessage, now_s: float) -> bool:
        """Handle a mission-protocol message; False if it is not one."""
        kind = msg.get_type()
        target = (msg.get_srcSystem(), msg.get_srcComponent())
        mission_type = int(getattr(msg, "mission_type", 0))
        if kind == "MISSION_COUNT":
            self._start_upload(mission_type, int(msg.count), target, now_s)
        elif kind in ("MISSION_ITEM_INT", "MISSION_ITEM"):
            self._item(msg, kind == "MISSION_ITEM_INT", target, now_s)
        elif kind == "MISSION_REQUEST_LIST":
            items = self.vehicle.missions.get(mission_type)
            if items is None:
                self._ack(target, M.MAV_MISSION_UNSUPPORTED, mission_type)
            else:
                self._upload = None
                self.send(M.MAVLink_mission_count_message(*target, len(items), mission_type))
        elif kind in ("MISSION_REQUEST_INT", "MISSION_REQUEST"):
            reply = mission_item_message(
                self.vehicle,
                mission_type,
                int(msg.seq),
                as_int=kind == "MISSION_REQUEST_INT",
                target=target,
            )
            if reply is None:
                self._ack(target, M.MAV_MISSION_INVALID_SEQUENCE, mission_type)
            else:
                self.send(reply)
        elif kind == "MISSION_CLEAR_ALL":
            if mission_type not in self.vehicle.missions:
                self._ack(target, M.MAV_MISSION_UNSUPPORTED, mission_type)
            else:
                self._upload = None
                self.vehicle.store_mission(mission_type, [])
                self._ack(target, M.MAV_MISSION_ACCEPTED, mission_type)
        elif kind == "MISSION_SET_CURRENT":
            self.vehicle.set_mission_current(int(msg.seq))
        elif kind == "MISSION_ACK":
            pass  # the end of a download; nothing to do
        else:
            return False
        return True

    def poll(self, now_s: float) -> None:
        """Ask again for a late item; give up on a stalled upload."""
        up = self._upload
        if up is None:
            return
        if now_s - up.last_progress_s > GIVE_UP_AFTER_S:
            self._upload = None
            self._ack(up.target, M.MAV_MISSION_OPERATION_CANCELLED, up.mission_type)
        elif now_s - up.last_request_s > RETRY_AFTER_S:
            self._request(up, now_s)

    def _start_upload(
        self, mission_type: int, count: int, target: tuple[int, int], now_s: float
    ) -> None:
        if mission_type not in self.vehicle.missions:
            self._ack(target, M.MAV_MISSION_UNSUPPORTED, mission_type)
            return
        if count > MAX_ITEMS:
            self._ack(target, M.MAV_MISSION_NO_SPACE, mission_type)
            return
        if count == 0:
            self._upload = None
            self.vehicle.store_mission(mission_type, [])
            self._ack(target, M.MAV_MISSION_ACCEPTED, mission_type)
            return
        self._upload = _Upload(mission_type, count, target, last_progress_s=now_s)
        self._request(self._upload, now_s)

    def _request(self, up: _Upload, now_s: float) -> None:
        up.last_request_s = now_s
        self.send(M.MAVLink_mission_request_message(*up.target, len(up.items), up.mission_type))

    def _item(
        self, msg: MAVLinkMessage, as_int: bool, target: tuple[int, int], now_s: float
    ) -> None:
        up = self._upload
        mission_type = int(getattr(msg, "mission_type", 0))
        if up is None:
            if int(getattr(msg, "current", 0)) == 2 and mission_type == MissionType.MISSION:
                # a guided-mode "go to" in the old style (dronekit's simple_goto)
                lat, lon = _lat_lon(msg, as_int)
                result = self.vehicle.goto(lat, lon, float(msg.z))
                self._ack(target, M.MAV_MISSION_ACCEPTED if result == 0 else M.MAV_MISSION_ERROR, 0)
            else:
                # no transfer open (finished, cancelled or never started): ArduPilot's
                # GCS_MAVLINK::handle_mission_item answers MAV_MISSION_ERROR
                self._ack(target, M.MAV_MISSION_ERROR, mission_type)
            return
        if mission_type != up.mission_type:
            self._ack(target, M.MAV_MISSION_INVALID, mission_type)
            return
        seq = int(msg.seq)
        if seq != len(up.items):
            # repeated or out of order: say so; the request for the item we need is repeated
            # by poll() when it is late, as ArduPilot does
            self._ack(target, M.MAV_MISSION_INVALID_SEQUENCE, mission_type)
            return
        if target != up.target:
            self._ack(target, M.MAV_MISSION_DENIED, mission_type)
            return
        up.items.append(decode_item(msg, MissionType(mission_type)))
        up.last_progress_s = now_s
        if len(up.items) < up.count:
            self._request(up, now_s)
            return
        self._upload = None
        self.vehicle.store_mission(up.mission_type, up.items)
        self._ack(target, M.MAV_MISSION_ACCEPTED, up.mission_type)

    def _ack(self, target: tuple[int, int], result: int, mission_type: int) -> None:
        self.send(M.MAVLink_mission_ack_message(*target, result, mission_type))


def _lat_lon(msg: MAVLinkMessage, as_int: bool) -> tuple[float, float]:
    if as_int:
        return int(msg.x) / 1e7, int(msg.y) / 1e7
    return float(msg.x), float(msg.y)
