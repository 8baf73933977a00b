"""ArduPilot's copter firmware (also what the built-in simulator is)."""

from __future__ import annotations

from jinghang.flight.autopilots.base import Autopilot
from jinghang.mavlink import modes


class ArduPilot(Autopilot):
    """ArduCopter: home at mission item 0, BRAKE to pause (LOITER where BRAKE is refused),
    PreArm:/Arm: texts for refused arming, and arming only in a non-autonomous mode (GUIDED),
    so a mission is started by MISSION_START once armed."""

    name = "ardupilot"
    mission_home_items = 1
    mission_send_ahead = True
    camera_type_param = "CAM1_TYPE"  # 0 None, 1 Servo, 2 Relay, ... (AP_Camera)
    pause_modes = ("BRAKE", "LOITER")
    returning_modes = frozenset({"RTL", "SMART_RTL", "AUTO_RTL", "LAND"})
    arming_refusal_prefixes = ("prearm", "pre-arm", "arm")

    def mode_name(self, custom_mode: int) -> str:
        return modes.arducopter_mode_name(custom_mode)

    def custom_mode(self, name: str) -> int | None:
        return modes.ARDUCOPTER_MODES.get(name.upper())

    def mode_names(self) -> list[str]:
        return list(modes.ARDUCOPTER_MODES)
