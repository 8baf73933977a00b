"""The vehicle's own flight limits and the motion model built on them, shared by the flight-time
estimate (``jinghang.missions.estimate``) and the built-in simulator's guidance, so that the two
agree with each other and with ArduCopter.

:class:`VehicleLimits` holds the ArduCopter parameters that decide how long a mission takes
(WPNAV_SPEED, WPNAV_ACCEL, WPNAV_ACCEL_Z, WPNAV_JERK, WPNAV_SPEED_UP/DN, WPNAV_RADIUS,
ANGLE_MAX, the RTL and land settings) in SI units; its defaults are ArduCopter 4.x's stock
values, for planning without a vehicle. :func:`limits_from_params` turns a name -> value mapping
(ArduPilot units, or PX4's with ``PX4_PARAMS``) into limits; :func:`read_vehicle_limits` reads
them from a connected ``jinghang.flight`` vehicle, with the parameter names of its autopilot
(:func:`params_for`: ArduPilot's under either generation of its names, or PX4's
MPC_XY_CRUISE, MPC_ACC_HOR, MPC_Z_VEL_MAX_UP/DN, NAV_ACC_RAD, MPC_TILTMAX_AIR, ...);
:func:`read_params` reads any such names at once.

The motion model (ArduCopter 4.x, AC_WPNav with S-curves):

- each straight leg is planned from rest to rest on a jerk-limited S-curve (WPNAV_ACCEL,
  WPNAV_JERK); it is modelled as the constant acceleration that covers the same distance in the
  same time (:func:`effective_accel_m_s2`), and a leg too short to reach the set speed peaks
  lower (:func:`leg_peak_speed_m_s`: about 3 m/s on the 10 m legs of a polygon orbit);
- the top speed is the lesser of the planned speed and what the lean angle allows against drag
  (:func:`lean_speed_cap_m_s`: about 10.0 m/s at ANGLE_MAX 30 degrees on stock SITL 4.8);
- at a waypoint flown through (no hold, a positioned waypoint next) the next leg starts while
  this one brakes, as far as the blended turn stays within WPNAV_RADIUS of the waypoint; that
  overlap is expressed as the corner speed of :func:`corner_speed_m_s` (full speed straight on,
  slower the sharper the turn, a stop only where no overlap fits);
- climbs and descents run at their own rates and WPNAV_ACCEL_Z, at the same time as the
  horizontal move (the longer of the two sets the leg's time);
- a landing descends at LAND_SPEED_HIGH (or WPNAV_SPEED_DN), brakes at WPNAV_ACCEL_Z to
  LAND_SPEED by LAND_ALT_LOW and goes on at LAND_SPEED (:func:`land_time_s`);
- the time ArduCopter spends beyond the kinematics, measured on its SITL: the takeoff's
  spool-up (``takeoff_delay_s``), each stop where the vehicle itself must be within the
  waypoint radius (``settle_s``), and the land detector (``land_detect_s``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Protocol

#: The speed a stock ArduCopter SITL quad tops out at with the lean angle at 30 degrees (4.8:
#: 10.0-10.05 m/s flown whether 12 or 15 m/s is asked).
LEAN_REFERENCE_SPEED_M_S = 10.0
LEAN_REFERENCE_ANGLE_DEG = 30.0


@dataclass(frozen=True, slots=True)
class VehicleLimits:
    """The limits that set a mission's flight time, SI units (ArduCopter 4.x defaults)."""

    #: WPNAV_SPEED: the horizontal speed between waypoints when the mission sets none.
    wp_speed_m_s: float = 10.0
    #: WPNAV_ACCEL: horizontal acceleration.
    accel_m_s2: float = 2.5
    #: WPNAV_ACCEL_Z: vertical acceleration.
    accel_z_m_s2: float = 1.0
    #: WPNAV_JERK: how fast the acceleration itself may change.
    jerk_m_s3: float = 1.0
    #: WPNAV_SPEED_UP / WPNAV_SPEED_DN: climb and descent rates.
    climb_m_s: float = 2.5
    descent_m_s: float = 1.5
    #: WPNAV_RADIUS: a waypoint counts as reached within this distance.
    wp_radius_m: float = 2.0
    #: ANGLE_MAX: the lean-angle limit.
    angle_max_deg: float = 30.0
    #: RTL_ALT, RTL_LOIT_TIME, RTL_SPEED (0: the waypoint speed).
    rtl_altitude_m: float = 15.0
    rtl_loiter_s: float = 5.0
    rtl_speed_m_s: float = 0.0
    #: LAND_SPEED_HIGH (0: WPNAV_SPEED_DN) down to LAND_ALT_LOW, then LAND_SPEED.
    land_speed_high_m_s: float = 0.0
    land_alt_low_m: float = 10.0
    land_speed_m_s: float = 0.5
    #: CIRCLE_RATE: the top turn rate of a loiter circle.
    circle_rate_deg_s: float = 20.0
    #: From the start of a takeoff on the ground to the climb: the motors spool up
    #: (MOT_SPOOL_TIME) and the throttle ramps (TKOFF_SLEW_TIME) until the land detector
    #: sees the vehicle lift off (2.6-2.8 s on ArduCopter 4.8 SITL).
    takeoff_delay_s: float = 2.7
    #: What a stop costs beyond the S-curve's own braking where ArduCopter checks the vehicle
    #: itself is within WPNAV_RADIUS (a waypoint that is not a "fast" one: a hold, or no
    #: waypoint next; a loiter's arrival; each of RTL's stages): the vehicle trails its target
    #: and overshoots a little before it counts as there (1.3-1.9 s on SITL).
    settle_s: float = 1.3
    #: From touchdown to the disarm: the throttle winds down to its lower limit, then the land
    #: detector's LAND_DETECTOR_TRIGGER_SEC (1 s) and the spool-down (2.2 s on SITL).
    land_detect_s: float = 2.2

    def max_speed_m_s(self) -> float:
        """The fastest the vehicle can fly level: the lean-angle cap."""
        return lean_speed_cap_m_s(self.angle_max_deg)

    def flyable_speed_m_s(self, planned_m_s: float | None) -> float:
        """The speed the vehicle actually flies when the plan asks for ``planned_m_s``."""
        speed = self.wp_speed_m_s if planned_m_s is None or planned_m_s <= 0 else planned_m_s
        return max(0.2, min(speed, self.max_speed_m_s()))

    def land_high_m_s(self) -> float:
        return self.land_speed_high_m_s if self.land_speed_high_m_s > 0 else self.descent_m_s


#: ArduPilot parameter -> (VehicleLimits field, scale to SI): the 4.5/4.6 names in cm, cm/s and
#: centidegrees (:data:`PARAMS_SI` has the names ArduCopter 4.7+ renamed them to).
PARAMS: dict[str, tuple[str, float]] = {
    "WPNAV_SPEED": ("wp_speed_m_s", 0.01),
    "WPNAV_ACCEL": ("accel_m_s2", 0.01),
    "WPNAV_ACCEL_Z": ("accel_z_m_s2", 0.01),
    "WPNAV_JERK": ("jerk_m_s3", 1.0),
    "WPNAV_SPEED_UP": ("climb_m_s", 0.01),
    "WPNAV_SPEED_DN": ("descent_m_s", 0.01),
    "WPNAV_RADIUS": ("wp_radius_m", 0.01),
    "ANGLE_MAX": ("angle_max_deg", 0.01),
    "RTL_ALT": ("rtl_altitude_m", 0.01),
    "RTL_LOIT_TIME": ("rtl_loiter_s", 0.001),
    "RTL_SPEED": ("rtl_speed_m_s", 0.01),
    "LAND_SPEED_HIGH": ("land_speed_high_m_s", 0.01),
    "LAND_ALT_LOW": ("land_alt_low_m", 0.01),
    "LAND_SPEED": ("land_speed_m_s", 0.01),
    "CIRCLE_RATE": ("circle_rate_deg_s", 1.0),
}

#: The same limits under the names ArduPilot gave them when it moved its parameters to SI
#: units (ArduCopter 4.7 and later: ``WPNAV_SPEED`` in cm/s became ``WP_SPD`` in m/s,
#: ``ANGLE_MAX`` in centidegrees ``ATC_ANGLE_MAX`` in degrees, ...). A vehicle answers one
#: generation only; both are asked and whichever answers is used.
PARAMS_SI: dict[str, tuple[str, float]] = {
    "WP_SPD": ("wp_speed_m_s", 1.0),
    "WP_ACC": ("accel_m_s2", 1.0),
    "WP_ACC_Z": ("accel_z_m_s2", 1.0),
    "WP_JERK": ("jerk_m_s3", 1.0),
    "WP_SPD_UP": ("climb_m_s", 1.0),
    "WP_SPD_DN": ("descent_m_s", 1.0),
    "WP_RADIUS_M": ("wp_radius_m", 1.0),
    "ATC_ANGLE_MAX": ("angle_max_deg", 1.0),
    "RTL_ALT_M": ("rtl_altitude_m", 1.0),
    "RTL_LOIT_TIME": ("rtl_loiter_s", 0.001),
    "RTL_SPEED_MS": ("rtl_speed_m_s", 1.0),
    "LAND_SPD_HIGH_MS": ("land_speed_high_m_s", 1.0),
    "LAND_ALT_LOW_M": ("land_alt_low_m", 1.0),
    "LAND_SPD_MS": ("land_speed_m_s", 1.0),
    "CIRCLE_RATE": ("circle_rate_deg_s", 1.0),
}

#: PX4 parameter -> (VehicleLimits field, scale to SI): PX4 keeps SI units already.
PX4_PARAMS: dict[str, tuple[str, float]] = {
    "MPC_XY_CRUISE": ("wp_speed_m_s", 1.0),
    "MPC_ACC_HOR": ("accel_m_s2", 1.0),
    "MPC_ACC_UP_MAX": ("accel_z_m_s2", 1.0),
    "MPC_JERK_AUTO": ("jerk_m_s3", 1.0),
    "MPC_Z_VEL_MAX_UP": ("climb_m_s", 1.0),
    "MPC_Z_VEL_MAX_DN": ("descent_m_s", 1.0),
    "NAV_ACC_RAD": ("wp_radius_m", 1.0),
    "MPC_TILTMAX_AIR": ("angle_max_deg", 1.0),
    "RTL_RETURN_ALT": ("rtl_altitude_m", 1.0),
    "MPC_LAND_SPEED": ("land_speed_m_s", 1.0),
}


#: ArduPilot's limits under either generation of names.
ARDUPILOT_PARAMS: dict[str, tuple[str, float]] = {**PARAMS, **PARAMS_SI}


def params_for(autopilot: str) -> dict[str, tuple[str, float]]:
    """The parameter table of an autopilot by its strategy's name (``jinghang.flight.
    autopilots``: "ardupilot", "px4"); any other autopilot is read with ArduPilot's names."""
    return PX4_PARAMS if autopilot == "px4" else ARDUPILOT_PARAMS


#: Fields that must be positive to mean anything (a zero or negative value keeps the default).
_POSITIVE = frozenset({"wp_speed_m_s", "accel_m_s2", "accel_z_m_s2", "jerk_m_s3", "climb_m_s",
                       "descent_m_s", "wp_radius_m", "angle_max_deg", "land_speed_m_s",
                       "circle_rate_deg_s"})


def limits_from_params(values: Mapping[str, float], base: VehicleLimits | None = None,
                       table: Mapping[str, tuple[str, float]] | None = None) -> VehicleLimits:
    """Limits from parameter values in the units of ``table`` (ArduPilot's :data:`PARAMS` by
    default, either generation of names: cm, cm/s, centidegrees, ms before 4.7, SI after);
    names not given, not finite or (where it must be
    positive) not positive keep ``base``'s value."""
    fields: dict[str, float] = {}
    for name, (field, scale) in (ARDUPILOT_PARAMS if table is None else table).items():
        if name not in values:
            continue
        value = float(values[name])
        if not math.isfinite(value) or value < 0 or (field in _POSITIVE and value == 0):
            continue
        fields[field] = value * scale
    return replace(base or VehicleLimits(), **fields)


class _ParamReader(Protocol):
    async def get(self, name: str) -> float: ...


class _HasParams(Protocol):
    @property
    def params(self) -> _ParamReader: ...


async def read_params(vehicle: _HasParams, names: list[str]) -> dict[str, float]:
    """The values of ``names`` read from a connected ``jinghang.flight`` vehicle with the
    flight core's parameter reads (all at once); a name the autopilot does not have is left
    out. Anything but the flight core's refusal (a cancellation, a bug) is raised."""
    import asyncio

    from jinghang.errors import FlightError

    answers = await asyncio.gather(*(vehicle.params.get(n) for n in names),
                                   return_exceptions=True)
    values: dict[str, float] = {}
    for name, answer in zip(names, answers, strict=True):
        if isinstance(answer, FlightError):
            continue
        if isinstance(answer, BaseException):
            raise answer
        values[name] = answer
    return values


def autopilot_of(vehicle: object) -> str:
    """The name of a vehicle's autopilot strategy ("ardupilot" when it has none)."""
    return str(getattr(getattr(vehicle, "autopilot", None), "name", "ardupilot"))


#: One parameter of each generation of ArduPilot's names, asked to tell which one a vehicle has.
_GENERATION_PROBES = (("WP_SPD", PARAMS_SI), ("WPNAV_SPEED", PARAMS))


async def limit_params_of(vehicle: _HasParams) -> dict[str, tuple[str, float]]:
    """The parameter table the vehicle answers to: PX4's, or ArduPilot's older (cm, cm/s,
    centidegrees) or SI names, told by asking one parameter of each at once (a name the
    vehicle does not have costs the flight core's whole retry time, so the other table's
    names are never asked). The older table when neither answers."""
    import asyncio

    from jinghang.errors import FlightError

    if autopilot_of(vehicle) == "px4":
        return PX4_PARAMS
    probes = {asyncio.ensure_future(vehicle.params.get(name)): table
              for name, table in _GENERATION_PROBES}
    pending = set(probes)
    try:
        while pending:
            done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                error = task.exception()
                if error is None:
                    return probes[task]
                if not isinstance(error, FlightError):
                    raise error
    finally:
        for task in pending:
            task.cancel()
    return PARAMS


async def read_vehicle_limits(vehicle: _HasParams) -> VehicleLimits:
    """The limits of a connected ``jinghang.flight`` vehicle, read with the parameter names
    it answers to (:func:`limit_params_of`); a parameter it does not have keeps its default."""
    table = await limit_params_of(vehicle)
    return limits_from_params(await read_params(vehicle, list(table)), table=table)


# -- the motion model -------------------------------------------------------------------------
def lean_speed_cap_m_s(angle_max_deg: float) -> float:
    """The top level speed at a lean-angle limit: thrust tilted to ``angle_max_deg`` balances
    drag growing with the square of speed, so the cap grows with sqrt(tan(angle))."""
    angle = max(1.0, min(80.0, angle_max_deg))
    ratio = math.tan(math.radians(angle)) / math.tan(math.radians(LEAN_REFERENCE_ANGLE_DEG))
    return LEAN_REFERENCE_SPEED_M_S * math.sqrt(ratio)


def effective_accel_m_s2(accel_m_s2: float, jerk_m_s3: float, speed_m_s: float) -> float:
    """The constant acceleration that reaches ``speed_m_s`` from rest in the time (and over the
    distance) the jerk-limited S-curve of ArduCopter's waypoint controller takes."""
    a = max(0.05, accel_m_s2)
    j = max(0.05, jerk_m_s3)
    v = max(0.1, speed_m_s)
    if v >= a * a / j:
        ramp_s = v / a + a / j
    else:  # the acceleration never reaches its limit
        ramp_s = 2.0 * math.sqrt(v / j)
    return v / ramp_s


def ramp_time_s(accel_m_s2: float, jerk_m_s3: float, speed_m_s: float) -> float:
    """How long the S-curve takes from rest to ``speed_m_s`` (or from it to rest)."""
    v = max(0.1, speed_m_s)
    return v / effective_accel_m_s2(accel_m_s2, jerk_m_s3, v)


def leg_peak_speed_m_s(distance_m: float, speed_m_s: float, accel_m_s2: float,
                       jerk_m_s3: float) -> float:
    """The top speed of a leg of ``distance_m`` flown from rest to rest (ArduCopter plans each
    straight leg so): the set speed, or less on a leg too short to reach it.

    Solved in closed form for the speed whose ramp (:func:`ramp_time_s`) covers the leg:
    ``v * (v / a + a / j) = d`` once the acceleration reaches its limit (``v >= a^2 / j``,
    i.e. ``d >= 2 a^3 / j^2``), ``2 v^1.5 / sqrt(j) = d`` below that."""
    v = max(0.1, speed_m_s)
    if distance_m >= v * ramp_time_s(accel_m_s2, jerk_m_s3, v):
        return v
    a = max(0.05, accel_m_s2)
    j = max(0.05, jerk_m_s3)
    d = max(0.0, distance_m)
    if d >= 2.0 * a**3 / (j * j):
        k = a / j
        peak = a * (math.sqrt(k * k + 4.0 * d / a) - k) / 2.0
    else:
        peak = (d * math.sqrt(j) / 2.0) ** (2.0 / 3.0)
    return max(0.1, min(v, peak))


def _braking_left_m(t_s: float, speed_m_s: float, accel_m_s2: float, jerk_m_s3: float) -> float:
    """Distance still to go ``t_s`` before the end of a jerk-limited stop from ``speed_m_s``."""
    j = max(0.05, jerk_m_s3)
    a = min(max(0.05, accel_m_s2), math.sqrt(max(0.01, speed_m_s) * j))
    tj = a / j
    if t_s <= tj:
        return j * t_s**3 / 6.0
    dt = t_s - tj
    return j * tj**3 / 6.0 + (j * tj * tj / 2.0) * dt + a * dt * dt / 2.0


def corner_speed_m_s(limits: VehicleLimits, speed_in_m_s: float, speed_out_m_s: float,
                     turn_deg: float) -> float:
    """The speed a waypoint flown through is passed at, when the track turns by ``turn_deg``.

    ArduCopter (SCurve::advance_target_along_track) starts the next leg while this one is
    still braking, once the middle of the blended turn lies within WPNAV_RADIUS of the
    waypoint: the longer the overlap, the less time the corner costs (none straight on). The
    overlap's saving is turned into the corner speed of the model's trapezoids that loses the
    same time."""
    a, j, radius = limits.accel_m_s2, limits.jerk_m_s3, max(0.05, limits.wp_radius_m)
    v_in, v_out = max(0.1, speed_in_m_s), max(0.1, speed_out_m_s)
    ramp_in, ramp_out = ramp_time_s(a, j, v_in), ramp_time_s(a, j, v_out)
    theta = math.radians(min(180.0, abs(turn_deg)))

    def apart_m(half_s: float) -> float:
        r = _braking_left_m(half_s, v_in, a, j)
        q = _braking_left_m(half_s, v_out, a, j)
        return math.sqrt(max(0.0, r * r + q * q - 2 * r * q * math.cos(theta)))

    half_max = min(ramp_in, ramp_out) / 2.0
    if apart_m(half_max) < radius:
        overlap_s = 2 * half_max
    else:
        low, high = 0.0, half_max
        for _ in range(40):
            mid = (low + high) / 2
            if apart_m(mid) < radius:
                low = mid
            else:
                high = mid
        overlap_s = 2 * low
    loss_s = max(0.0, (ramp_in + ramp_out) / 2.0 - overlap_s)
    acc_in, acc_out = v_in / ramp_in, v_out / ramp_out

    # The trapezoids' loss at corner speed v_c, p (v_in - v_c)^2 + q (v_out - v_c)^2, falls
    # from v_c = 0 to min(v_in, v_out): the corner speed is the quadratic's smaller root.
    p, q = 1.0 / (2 * acc_in * v_in), 1.0 / (2 * acc_out * v_out)
    top = min(v_in, v_out)
    if p * v_in * v_in + q * v_out * v_out <= loss_s:
        return 0.0
    mean = (p * v_in + q * v_out) / (p + q)
    spread = (p * q * (v_in - v_out) ** 2 - (p + q) * loss_s) / (p + q) ** 2
    return min(top, max(0.0, mean - math.sqrt(max(0.0, -spread))))


def leg_time_s(distance_m: float, v_in_m_s: float, v_top_m_s: float, v_out_m_s: float,
               accel_m_s2: float) -> float:
    """Time along a straight leg entered at ``v_in``, left at ``v_out`` (each at most
    reachable), cruising at ``v_top`` where there is room: a trapezoid or triangle profile."""
    d = max(0.0, distance_m)
    a = max(0.05, accel_m_s2)
    v_top = max(0.1, v_top_m_s)
    v_in = min(max(0.0, v_in_m_s), v_top)
    v_out = min(max(0.0, v_out_m_s), v_top)
    if d <= 0:
        return 0.0
    # exit speed reachable from the entry within the distance (and the other way round)
    v_out = min(v_out, math.sqrt(v_in * v_in + 2 * a * d))
    v_in = min(v_in, math.sqrt(v_out * v_out + 2 * a * d))
    d_up = (v_top * v_top - v_in * v_in) / (2 * a)
    d_down = (v_top * v_top - v_out * v_out) / (2 * a)
    if d_up + d_down <= d:
        return (v_top - v_in) / a + (v_top - v_out) / a + (d - d_up - d_down) / v_top
    v_peak = math.sqrt((2 * a * d + v_in * v_in + v_out * v_out) / 2)
    return (v_peak - v_in) / a + (v_peak - v_out) / a


def land_time_s(limits: VehicleLimits, height_m: float) -> float:
    """From the start of a landing ``height_m`` up to the disarm on the ground: from rest at
    the high descent rate, braking at WPNAV_ACCEL_Z to LAND_SPEED by LAND_ALT_LOW (ArduCopter's
    land_run_vertical_control: a square-root controller towards LAND_ALT_LOW, clamped between
    the two rates), LAND_SPEED to the ground, then the land detector."""
    h = max(0.0, height_m)
    low_alt = min(h, max(0.0, limits.land_alt_low_m))
    slow = max(0.05, limits.land_speed_m_s)
    high = max(slow, limits.land_high_m_s())
    accel = max(0.05, limits.accel_z_m_s2)
    return (leg_time_s(h - low_alt, 0.0, high, slow, accel) + low_alt / slow
            + max(0.0, limits.land_detect_s))


def vertical_time_s(height_m: float, rate_m_s: float, accel_m_s2: float) -> float:
    """Time to climb or descend ``height_m`` from a standstill to a standstill."""
    return leg_time_s(abs(height_m), 0.0, rate_m_s, 0.0, accel_m_s2)
