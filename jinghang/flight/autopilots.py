"""Firmware differences, one strategy class per autopilot, picked from the HEARTBEAT.

Everything that differs between ArduPilot and PX4 is here: mode names and numbers, which modes
pause, return and land, and whether the mission list carries a home item at sequence 0.
"""

from __future__ import annotations

from typing import ClassVar

from jinghang.flight import modes

MAV_AUTOPILOT_ARDUPILOTMEGA = 3
MAV_AUTOPILOT_PX4 = 12
MAV_AUTOPILOT_INVALID = 8


class Autopilot:
    """The generic MAVLink vehicle; subclasses carry the firmware specifics."""

    name: ClassVar[str] = "generic"
    #: Number of items the firmware keeps before the caller's mission items (ArduPilot: home).
    mission_home_items: ClassVar[int] = 0
    guided_mode: ClassVar[str] = "GUIDED"
    auto_mode: ClassVar[str] = "AUTO"
    #: The parameter saying whether a camera trigger is configured (0: none), or None when
    #: the firmware has no such single parameter.
    camera_type_param: ClassVar[str | None] = None
    rtl_mode: ClassVar[str] = "RTL"
    land_mode: ClassVar[str] = "LAND"
    pause_modes: ClassVar[tuple[str, ...]] = ("LOITER",)

    def mode_name(self, custom_mode: int) -> str:
        return f"MODE_{custom_mode}"

    def custom_mode(self, name: str) -> int | None:
        return None

    def mode_names(self) -> list[str]:
        return []


class ArduCopter(Autopilot):
    """ArduPilot's copter firmware (also the built-in simulator)."""

    name = "ardupilot"
    mission_home_items = 1
    camera_type_param = "CAM1_TYPE"  # 0 None, 1 Servo, 2 Relay, ... (AP_Camera)
    pause_modes = ("BRAKE", "LOITER")

    def mode_name(self, custom_mode: int) -> str:
        return modes.arducopter_mode_name(custom_mode)

    def custom_mode(self, name: str) -> int | None:
        return modes.ARDUCOPTER_MODES.get(name.upper())

    def mode_names(self) -> list[str]:
        return list(modes.ARDUCOPTER_MODES)


class PX4(Autopilot):
    """PX4 multicopters; GUIDED maps to AUTO.LOITER (go-to uses position targets there)."""

    name = "px4"
    mission_home_items = 0
    camera_type_param = "TRIG_MODE"  # 0 disabled (camera_trigger module)
    guided_mode = "AUTO.LOITER"
    auto_mode = "AUTO.MISSION"
    rtl_mode = "AUTO.RTL"
    land_mode = "AUTO.LAND"
    pause_modes = ("AUTO.LOITER",)
    _aliases: ClassVar[dict[str, str]] = {
        "GUIDED": "AUTO.LOITER",
        "AUTO": "AUTO.MISSION",
        "RTL": "AUTO.RTL",
        "LAND": "AUTO.LAND",
        "LOITER": "AUTO.LOITER",
        "BRAKE": "AUTO.LOITER",
    }

    def mode_name(self, custom_mode: int) -> str:
        return modes.px4_mode_name(custom_mode)

    def custom_mode(self, name: str) -> int | None:
        name = name.upper()
        return modes.px4_custom_mode(self._aliases.get(name, name))

    def mode_names(self) -> list[str]:
        names = [n for n in modes.PX4_MAIN_MODES if n != "AUTO"]
        return names + [f"AUTO.{s}" for s in modes.PX4_AUTO_SUB_MODES]


def autopilot_for(heartbeat_autopilot: int) -> Autopilot:
    """The strategy for a HEARTBEAT's ``autopilot`` field."""
    if heartbeat_autopilot == MAV_AUTOPILOT_ARDUPILOTMEGA:
        return ArduCopter()
    if heartbeat_autopilot == MAV_AUTOPILOT_PX4:
        return PX4()
    return Autopilot()
