"""What a simulated vehicle tells the outside world, as plain records with no MAVLink in them.

The autopilot appends these to its outbox while it steps; the MAVLink side turns each into
the message ArduPilot would send (STATUSTEXT, MISSION_ITEM_REACHED, CAMERA_FEEDBACK,
HOME_POSITION, MISSION_CURRENT) for every connected client.
"""

from __future__ import annotations

from dataclasses import dataclass

# MAV_SEVERITY values
SEVERITY_CRITICAL = 2
SEVERITY_WARNING = 4
SEVERITY_NOTICE = 5
SEVERITY_INFO = 6


@dataclass(frozen=True, slots=True)
class StatusText:
    severity: int
    text: str


@dataclass(frozen=True, slots=True)
class ItemReached:
    """A mission item completed; ``seq`` in ArduPilot numbering (home is 0)."""

    seq: int


@dataclass(frozen=True, slots=True)
class MissionCurrentChanged:
    seq: int


@dataclass(frozen=True, slots=True)
class HomeChanged:
    pass


@dataclass(frozen=True, slots=True)
class CameraTrigger:
    """One photo: where and how the camera was pointing when it was taken."""

    image_index: int
    time_s: float
    latitude_deg: float
    longitude_deg: float
    altitude_amsl_m: float
    relative_altitude_m: float
    roll_deg: float
    pitch_deg: float
    heading_deg: float
    gimbal_pitch_deg: float
    gimbal_yaw_deg: float


Notice = StatusText | ItemReached | MissionCurrentChanged | HomeChanged | CameraTrigger
