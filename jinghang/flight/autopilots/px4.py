"""PX4 multicopters."""

from __future__ import annotations

from typing import ClassVar

from jinghang.flight.autopilots.base import Autopilot
from jinghang.mavlink import modes


class PX4(Autopilot):
    """PX4: main and sub modes (``AUTO.MISSION``), no home item in the mission list, HOLD
    (AUTO.LOITER) to pause; GUIDED maps to AUTO.LOITER (go-to uses position targets there)."""

    name = "px4"
    mission_home_items = 0
    camera_type_param = "TRIG_MODE"  # 0 disabled (camera_trigger module)
    guided_mode = "AUTO.LOITER"
    auto_mode = "AUTO.MISSION"
    rtl_mode = "AUTO.RTL"
    land_mode = "AUTO.LAND"
    pause_modes = ("AUTO.LOITER",)
    returning_modes = frozenset({"AUTO.RTL", "AUTO.LAND", "AUTO.PRECLAND"})
    arming_refusal_prefixes = ("preflight fail", "arming denied", "arm")
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
