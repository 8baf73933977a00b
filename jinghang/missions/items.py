"""Mission items in MAVLink terms, shared by the planner, the file formats and the
mission protocol of ``jinghang.flight``.

An item is what MISSION_ITEM_INT carries, less the sequence number and target ids (the
protocol adds those). Positions are in degrees and metres; the frame says what the altitude
is relative to. ArduPilot's home at sequence 0 is *not* a MissionItem: callers only ever see
their own items, numbered from 0.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, replace


class MissionType(enum.IntEnum):
    """MAV_MISSION_TYPE: which of the vehicle's lists a transfer is about."""

    MISSION = 0
    FENCE = 1
    RALLY = 2


class Frame(enum.IntEnum):
    """The MAV_FRAME values the platform uses."""

    GLOBAL = 0  # altitude above mean sea level
    MISSION = 2  # no position (DO_* commands)
    GLOBAL_RELATIVE_ALT = 3  # altitude above home
    GLOBAL_INT = 5
    GLOBAL_RELATIVE_ALT_INT = 6
    GLOBAL_TERRAIN_ALT = 10


class Cmd(enum.IntEnum):
    """The MAV_CMD values the templates, the simulator and the formats use."""

    NAV_WAYPOINT = 16
    NAV_LOITER_UNLIM = 17
    NAV_LOITER_TURNS = 18
    NAV_LOITER_TIME = 19
    NAV_RETURN_TO_LAUNCH = 20
    NAV_LAND = 21
    NAV_TAKEOFF = 22
    NAV_DELAY = 93
    DO_JUMP = 177
    DO_CHANGE_SPEED = 178
    DO_SET_HOME = 179
    DO_SET_RELAY = 181
    DO_SET_SERVO = 183
    DO_SET_ROI_LOCATION = 195
    DO_SET_ROI_NONE = 197
    DO_DIGICAM_CONTROL = 203
    DO_MOUNT_CONTROL = 205
    DO_SET_CAM_TRIGG_DIST = 206
    DO_GRIPPER = 211
    DO_GIMBAL_MANAGER_PITCHYAW = 1000
    IMAGE_START_CAPTURE = 2000
    VIDEO_START_CAPTURE = 2500
    VIDEO_STOP_CAPTURE = 2501
    # fence and rally item commands
    NAV_FENCE_RETURN_POINT = 5000
    NAV_FENCE_POLYGON_VERTEX_INCLUSION = 5001
    NAV_FENCE_POLYGON_VERTEX_EXCLUSION = 5002
    NAV_FENCE_CIRCLE_INCLUSION = 5003
    NAV_FENCE_CIRCLE_EXCLUSION = 5004
    NAV_RALLY_POINT = 5100


#: Commands that move the vehicle to a position (carry a meaningful lat/lon).
NAV_COMMANDS_WITH_POSITION = frozenset(
    {
        Cmd.NAV_WAYPOINT,
        Cmd.NAV_LOITER_UNLIM,
        Cmd.NAV_LOITER_TURNS,
        Cmd.NAV_LOITER_TIME,
        Cmd.NAV_LAND,
        Cmd.NAV_TAKEOFF,
    }
)


@dataclass(frozen=True, slots=True)
class MissionItem:
    """One mission, fence or rally item (MISSION_ITEM_INT without seq and targets)."""

    command: int
    frame: int = Frame.GLOBAL_RELATIVE_ALT
    param1: float = 0.0
    param2: float = 0.0
    param3: float = 0.0
    param4: float = 0.0
    latitude_deg: float = 0.0
    longitude_deg: float = 0.0
    altitude_m: float = 0.0
    autocontinue: bool = True
    mission_type: MissionType = MissionType.MISSION

    def with_(self, **changes: object) -> MissionItem:
        """A copy with some fields changed."""
        return replace(self, **changes)  # type: ignore[arg-type]

    def same_as(self, other: MissionItem, *, tolerance_deg: float = 1e-7) -> bool:
        """Equal up to the 1e-7 degree quantisation of MISSION_ITEM_INT and float32 params."""
        def close(a: float, b: float, tol: float) -> bool:
            return abs(a - b) <= tol

        return (
            int(self.command) == int(other.command)
            and int(self.frame) == int(other.frame)
            and all(
                close(a, b, max(1e-4, abs(a) * 1e-6))
                for a, b in (
                    (self.param1, other.param1),
                    (self.param2, other.param2),
                    (self.param3, other.param3),
                    (self.param4, other.param4),
                )
            )
            and close(self.latitude_deg, other.latitude_deg, tolerance_deg)
            and close(self.longitude_deg, other.longitude_deg, tolerance_deg)
            and close(self.altitude_m, other.altitude_m, 1e-3)
            and bool(self.autocontinue) == bool(other.autocontinue)
            and int(self.mission_type) == int(other.mission_type)
        )
