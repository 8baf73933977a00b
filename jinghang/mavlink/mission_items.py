"""Mission items on the wire: :class:`MissionItem` to MISSION_ITEM_INT (or MISSION_ITEM) and
back, for both sides of the mission protocol. No I/O.

Decoding normalises what means the same: the ``_INT`` frames become the plain ones
(GLOBAL_INT -> GLOBAL, GLOBAL_RELATIVE_ALT_INT -> GLOBAL_RELATIVE_ALT, TERRAIN_ALT_INT ->
TERRAIN_ALT), and a positionless DO_ command in frame GLOBAL with x, y and z all zero (as
ArduPilot reports them) becomes frame MISSION. ArduPilot keeps home at sequence 0 of the
mission list (:data:`HOME_SEQ`); :func:`home_item` is what stands there.
"""

from __future__ import annotations

from jinghang.mavlink.dialect import MAVLinkMessage, mavlink
from jinghang.missions.items import Cmd, Frame, MissionItem, MissionType

#: ArduPilot's mission list holds home at this sequence number; the caller's items follow.
HOME_SEQ = 0
#: MAV_CMD numbers below this are NAV_ commands (they carry a position and a frame).
NAV_COMMAND_LIMIT = 80
#: fence and rally item commands start here.
FENCE_RALLY_COMMANDS_FROM = 5000
#: frames with the same meaning as a plain one, and that plain one
_PLAIN_FRAMES: dict[int, int] = {
    mavlink.MAV_FRAME_GLOBAL_INT: int(Frame.GLOBAL),
    mavlink.MAV_FRAME_GLOBAL_RELATIVE_ALT_INT: int(Frame.GLOBAL_RELATIVE_ALT),
    mavlink.MAV_FRAME_GLOBAL_TERRAIN_ALT_INT: int(Frame.GLOBAL_TERRAIN_ALT),
}


def degrees_to_e7(degrees: float) -> int:
    """A latitude or longitude in the 1e-7 degree integers of the ``_INT`` messages."""
    return round(degrees * 1e7)


def encode_item(
    target: tuple[int, int],
    seq: int,
    item: MissionItem,
    *,
    mission_type: int,
    current: int = 0,
    as_int: bool = True,
) -> MAVLinkMessage:
    """MISSION_ITEM_INT (or with ``as_int=False`` the float MISSION_ITEM) for ``item`` at
    ``seq``, addressed to ``target`` (system, component)."""
    common = (
        target[0],
        target[1],
        seq,
        int(item.frame),
        int(item.command),
        current,
        1 if item.autocontinue else 0,
        item.param1,
        item.param2,
        item.param3,
        item.param4,
    )
    if as_int:
        return mavlink.MAVLink_mission_item_int_message(
            *common,
            degrees_to_e7(item.latitude_deg),
            degrees_to_e7(item.longitude_deg),
            item.altitude_m,
            int(mission_type),
        )
    return mavlink.MAVLink_mission_item_message(
        *common, item.latitude_deg, item.longitude_deg, item.altitude_m, int(mission_type)
    )


def decode_item(message: MAVLinkMessage, mission_type: MissionType) -> MissionItem:
    """The item a MISSION_ITEM_INT or MISSION_ITEM carries, its frame normalised."""
    if message.get_type() == "MISSION_ITEM_INT":
        lat, lon = int(message.x) / 1e7, int(message.y) / 1e7
    else:
        lat, lon = float(message.x), float(message.y)
    frame = int(message.frame)
    frame = _PLAIN_FRAMES.get(frame, frame)
    command = int(message.command)
    if (
        frame == Frame.GLOBAL
        and NAV_COMMAND_LIMIT <= command < FENCE_RALLY_COMMANDS_FROM
        and message.x == 0
        and message.y == 0
        and message.z == 0
    ):
        frame = int(Frame.MISSION)
    return MissionItem(
        command=command,
        frame=frame,
        param1=float(message.param1),
        param2=float(message.param2),
        param3=float(message.param3),
        param4=float(message.param4),
        latitude_deg=lat,
        longitude_deg=lon,
        altitude_m=float(message.z),
        autocontinue=bool(message.autocontinue),
        mission_type=mission_type,
    )


def home_item(latitude_deg: float, longitude_deg: float, altitude_amsl_m: float) -> MissionItem:
    """The item at :data:`HOME_SEQ` of ArduPilot's mission list: a waypoint at home (AMSL)."""
    return MissionItem(
        command=int(Cmd.NAV_WAYPOINT),
        frame=Frame.GLOBAL,
        latitude_deg=latitude_deg,
        longitude_deg=longitude_deg,
        altitude_m=altitude_amsl_m,
    )
