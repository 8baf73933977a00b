"""The simulated vehicle's parameters, named and typed as ArduCopter SITL names them.

Only the parameters the simulator acts on are here, so that a test that sets one of them
behaves the same on the built-in simulator and on real SITL. Units follow ArduPilot (cm,
cm/s, volts, mAh); the simulator converts at the point of use.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

# MAV_PARAM_TYPE values
INT8 = 2
INT16 = 4
INT32 = 6
REAL32 = 9


@dataclass(slots=True)
class Param:
    """One parameter: its MAV_PARAM_TYPE and current value (always carried as a float)."""

    name: str
    param_type: int
    value: float


#: (name, MAV_PARAM_TYPE, default) in the order PARAM_REQUEST_LIST reports them.
DEFAULTS: tuple[tuple[str, int, float], ...] = (
    ("SYSID_THISMAV", INT16, 1),
    ("SYSID_MYGCS", INT16, 255),
    ("FRAME_CLASS", INT8, 1),
    ("FRAME_TYPE", INT8, 0),
    ("ARMING_CHECK", INT32, 1),
    ("DISARM_DELAY", INT8, 10),
    ("WPNAV_SPEED", REAL32, 1000),
    ("WPNAV_SPEED_UP", REAL32, 250),
    ("WPNAV_SPEED_DN", REAL32, 150),
    ("WPNAV_ACCEL", REAL32, 250),
    ("WPNAV_ACCEL_Z", REAL32, 100),
    ("WPNAV_JERK", REAL32, 1),
    ("WPNAV_RADIUS", REAL32, 200),
    ("WP_YAW_BEHAVIOR", INT8, 2),
    ("ANGLE_MAX", INT16, 3000),
    ("PILOT_SPEED_UP", INT16, 250),
    ("RTL_ALT", INT32, 1500),
    ("RTL_ALT_FINAL", INT16, 0),
    ("RTL_SPEED", INT16, 0),
    ("RTL_LOIT_TIME", INT32, 5000),
    ("RTL_CLIMB_MIN", INT16, 0),
    ("LAND_SPEED", INT16, 50),
    ("LAND_SPEED_HIGH", INT16, 0),
    ("LAND_ALT_LOW", INT16, 1000),
    ("CIRCLE_RADIUS", REAL32, 1000),
    ("CIRCLE_RATE", REAL32, 20),
    ("FS_GCS_ENABLE", INT8, 0),
    ("FS_GCS_TIMEOUT", REAL32, 5),
    ("FS_THR_ENABLE", INT8, 1),
    ("BATT_MONITOR", INT8, 4),
    ("BATT_CAPACITY", INT32, 3300),
    ("BATT_ARM_VOLT", REAL32, 0),
    ("BATT_LOW_VOLT", REAL32, 10.5),
    ("BATT_CRT_VOLT", REAL32, 0),
    ("BATT_LOW_MAH", REAL32, 0),
    ("BATT_CRT_MAH", REAL32, 0),
    ("BATT_LOW_TIMER", INT8, 10),
    ("BATT_FS_LOW_ACT", INT8, 0),
    ("BATT_FS_CRT_ACT", INT8, 0),
    ("FENCE_ENABLE", INT8, 0),
    ("FENCE_TYPE", INT8, 7),
    ("FENCE_ACTION", INT8, 1),
    ("FENCE_ALT_MAX", REAL32, 100),
    ("FENCE_ALT_MIN", REAL32, -10),
    ("FENCE_RADIUS", REAL32, 150),
    ("FENCE_MARGIN", REAL32, 2),
    ("CAM1_TYPE", INT8, 1),
    ("MNT1_TYPE", INT8, 1),
    ("SIM_SPEEDUP", REAL32, 1),
    ("SIM_GPS_DISABLE", INT8, 0),
    ("SIM_BATT_VOLTAGE", REAL32, 12.6),
    # 1: BATTERY_STATUS reports the charge and energy consumed; 0: -1 (unknown), as a
    # battery monitor that measures no current does
    ("SIM_BATT_RPT", INT8, 1),
    ("SIM_WIND_SPD", REAL32, 0),
    ("SIM_WIND_DIR", REAL32, 180),
)


@dataclass(frozen=True, slots=True)
class Alias:
    """A newer ArduPilot name for a setting kept here under its 4.5/4.6 name: the alias's
    value is the setting's times ``scale`` (cm -> m is 0.01), or its negation for a flag."""

    name: str
    inverted: bool = False
    scale: float = 1.0

    def read(self, value: float) -> float:
        return (0.0 if value else 1.0) if self.inverted else value * self.scale

    def write(self, value: float) -> float:
        return (0.0 if value else 1.0) if self.inverted else value / self.scale


#: Newer ArduPilot names for the same settings: 4.7 renamed the system ids and GPS switch,
#: and moved the navigation, RTL and landing settings to SI units (``WPNAV_SPEED`` in cm/s
#: is ``WP_SPD`` in m/s, ``ANGLE_MAX`` in centidegrees ``ATC_ANGLE_MAX`` in degrees).
ALIASES: dict[str, Alias] = {
    "MAV_SYSID": Alias("SYSID_THISMAV"),
    "MAV_GCS_SYSID": Alias("SYSID_MYGCS"),
    "SIM_GPS1_ENABLE": Alias("SIM_GPS_DISABLE", inverted=True),
    "WP_SPD": Alias("WPNAV_SPEED", scale=0.01),
    "WP_SPD_UP": Alias("WPNAV_SPEED_UP", scale=0.01),
    "WP_SPD_DN": Alias("WPNAV_SPEED_DN", scale=0.01),
    "WP_ACC": Alias("WPNAV_ACCEL", scale=0.01),
    "WP_ACC_Z": Alias("WPNAV_ACCEL_Z", scale=0.01),
    "WP_JERK": Alias("WPNAV_JERK"),
    "WP_RADIUS_M": Alias("WPNAV_RADIUS", scale=0.01),
    "ATC_ANGLE_MAX": Alias("ANGLE_MAX", scale=0.01),
    "RTL_ALT_M": Alias("RTL_ALT", scale=0.01),
    "LAND_SPD_MS": Alias("LAND_SPEED", scale=0.01),
    "LAND_SPD_HIGH_MS": Alias("LAND_SPEED_HIGH", scale=0.01),
    "LAND_ALT_LOW_M": Alias("LAND_ALT_LOW", scale=0.01),
    "RTL_SPEED_MS": Alias("RTL_SPEED", scale=0.01),
}


class ParamTable:
    """Named, typed parameters with ArduPilot's semantics: unknown names are not created.

    Both the ArduPilot 4.5/4.6 names (SYSID_THISMAV, WPNAV_SPEED in cm/s) and the 4.7 names
    (MAV_SYSID, WP_SPD in m/s) work; an alias reads and writes the same setting.
    """

    def __init__(self, overrides: dict[str, float] | None = None) -> None:
        self._params: dict[str, Param] = {}
        for name, param_type, default in DEFAULTS:
            self._params[name] = Param(name, param_type, float(default))
        self._names = list(self._params) + list(ALIASES)
        for name, value in (overrides or {}).items():
            if not self.set(name, value):
                from jinghang.errors import SimulatorError

                raise SimulatorError(
                    f"unknown simulator parameter {name!r}", field="params", value=name
                )

    def __len__(self) -> int:
        return len(self._names)

    def __contains__(self, name: str) -> bool:
        return name in self._params or name in ALIASES

    def __getitem__(self, name: str) -> float:
        return self._params[name].value

    def get(self, name: str) -> Param | None:
        """The parameter (for an alias, a snapshot under the alias's name)."""
        if name in ALIASES:
            alias = ALIASES[name]
            real = self._params[alias.name]
            kind = real.param_type if alias.scale == 1.0 else REAL32
            return Param(name, kind, alias.read(real.value))
        return self._params.get(name)

    def canonical(self, name: str) -> str:
        return ALIASES[name].name if name in ALIASES else name

    def by_index(self, index: int) -> Param | None:
        if 0 <= index < len(self._names):
            return self.get(self._names[index])
        return None

    def index_of(self, name: str) -> int:
        return self._names.index(name)

    def all(self) -> list[Param]:
        return [p for p in (self.get(n) for n in self._names) if p is not None]

    def set(self, name: str, value: float) -> bool:
        """Set a known parameter (integers are rounded as ArduPilot stores them)."""
        if name in ALIASES:
            alias = ALIASES[name]
            return math.isfinite(value) and self.set(alias.name, alias.write(value))
        param = self._params.get(name)
        if param is None or not math.isfinite(value):
            return False
        param.value = float(round(value)) if param.param_type != REAL32 else float(value)
        return True
