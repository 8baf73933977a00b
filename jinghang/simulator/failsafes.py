"""The failsafes of a simulated ArduCopter: battery (low, then critical), GCS heartbeat loss,
the EKF losing its position (GPS gone) and the geofence, with ArduPilot's parameters, texts
and actions.

Each check runs every step while armed; an action is a mode change (RTL, LAND, BRAKE) or a
disarm, as BATT_FS_*_ACT, FS_GCS_ENABLE and FENCE_ACTION say.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from jinghang.simulator import notices
from jinghang.simulator.fence import breaches
from jinghang.simulator.modes import POSITION_MODES, Mode

if TYPE_CHECKING:
    from jinghang.simulator.vehicle import SimVehicle


def check_failsafes(v: SimVehicle) -> None:
    check_battery(v)
    check_gcs(v)
    check_fence(v)
    check_ekf(v)


EKF_FAILSAFE_AFTER_S = 1.0


def check_ekf(v: SimVehicle) -> None:
    """No position for a second in a mode that needs one: LAND, as FS_EKF_ACTION 1 does."""
    if v.ekf_ok or not v.flying or v.mode not in POSITION_MODES:
        v.ekf_bad_since_s = None
        return
    if v.ekf_bad_since_s is None:
        v.ekf_bad_since_s = v.time_s
    elif v.time_s - v.ekf_bad_since_s >= EKF_FAILSAFE_AFTER_S:
        v.ekf_bad_since_s = None
        v.set_mode(Mode.LAND)
        v.text(notices.SEVERITY_CRITICAL, "EKF Failsafe: changed to LAND Mode")


def failsafe_action(v: SimVehicle, action: int, reason: str) -> None:
    """BATT_FS_*_ACT style actions: 0 warn only, 1 land, 2-4 RTL, 5 terminate."""
    if action == 0:
        return
    if not v.flying:
        if v.on_ground:
            v.disarm_now()
        return
    if action == 5:
        v.disarm_now()
        return
    want = Mode.LAND if action == 1 else Mode.RTL
    if v.mode == Mode.LAND or v.mode == want:
        return
    if want == Mode.RTL and not v.set_mode(Mode.RTL):
        v.set_mode(Mode.LAND)
    elif want == Mode.LAND:
        v.set_mode(Mode.LAND)
    _ = reason


def check_battery(v: SimVehicle) -> None:
    volts = v.battery_voltage_v
    used = v.physics.battery.consumed_mah
    remaining = v.physics.battery.capacity_mah - used
    timer = max(0.0, v.param("BATT_LOW_TIMER"))
    low_v, crt_v = v.param("BATT_LOW_VOLT"), v.param("BATT_CRT_VOLT")
    low_mah, crt_mah = v.param("BATT_LOW_MAH"), v.param("BATT_CRT_MAH")
    low_now = (low_v > 0 and volts < low_v) or (low_mah > 0 and remaining < low_mah)
    crt_now = (crt_v > 0 and volts < crt_v) or (crt_mah > 0 and remaining < crt_mah)
    v._batt_low_since_s = (v._batt_low_since_s or v.time_s) if low_now else None
    v._batt_crt_since_s = (v._batt_crt_since_s or v.time_s) if crt_now else None
    if (
        v.battery_failsafe < 2
        and v._batt_crt_since_s is not None
        and v.time_s - v._batt_crt_since_s >= timer
    ):
        v.battery_failsafe = 2
        v.text(
            notices.SEVERITY_WARNING,
            f"Battery 1 is critical {volts:.2f}V used {used:.0f} mAh",
        )
        failsafe_action(v, int(v.param("BATT_FS_CRT_ACT")), "battery critical")
    elif (
        v.battery_failsafe < 1
        and v._batt_low_since_s is not None
        and v.time_s - v._batt_low_since_s >= timer
    ):
        v.battery_failsafe = 1
        v.text(notices.SEVERITY_WARNING, f"Battery 1 is low {volts:.2f}V used {used:.0f} mAh")
        failsafe_action(v, int(v.param("BATT_FS_LOW_ACT")), "battery low")


def check_gcs(v: SimVehicle) -> None:
    enabled = int(v.param("FS_GCS_ENABLE"))
    if not enabled or not v.gcs_seen or v.gcs_failsafe:
        return
    timeout_s = max(0.1, v.param("FS_GCS_TIMEOUT")) * v.gcs_timeout_scale
    if v.time_s - v._gcs_last_s > timeout_s:
        v.gcs_failsafe = True
        if not v.flying:
            v.text(notices.SEVERITY_WARNING, "GCS Failsafe")
            return
        if enabled == 2 and v.mode == Mode.AUTO:
            v.text(notices.SEVERITY_WARNING, "GCS Failsafe - Continuing Auto Mode")
            return
        v.text(notices.SEVERITY_WARNING, "GCS Failsafe")
        failsafe_action(v, 1 if enabled == 5 else 2, "gcs")


def fence_breach_now(v: SimVehicle) -> int:
    return fence_breach_at(v, v.latitude_deg, v.longitude_deg, v.relative_altitude_m)


def fence_breach_at(
    v: SimVehicle, latitude_deg: float, longitude_deg: float, relative_altitude_m: float
) -> int:
    """The enabled fences (FENCE_TYPE bits) a position is outside of."""
    return breaches(
        fence_type=int(v.param("FENCE_TYPE")),
        latitude_deg=latitude_deg,
        longitude_deg=longitude_deg,
        relative_altitude_m=relative_altitude_m,
        home_latitude_deg=v.home_lat_deg,
        home_longitude_deg=v.home_lon_deg,
        alt_max_m=v.param("FENCE_ALT_MAX"),
        alt_min_m=v.param("FENCE_ALT_MIN"),
        radius_m=v.param("FENCE_RADIUS"),
        shapes=v._fence_shapes,
    )


def fence_names(fences: int) -> str:
    """As AC_Fence::get_fence_names: "Circle fence", "Max Alt and Circle fences"."""
    names = [
        n
        for bit, n in ((1, "Max Alt"), (2, "Circle"), (4, "Polygon"), (8, "Min Alt"))
        if fences & bit
    ]
    if len(names) == 1:
        return f"{names[0]} fence"
    return f"{', '.join(names[:-1])} and {names[-1]} fences"


def check_fence(v: SimVehicle) -> None:
    if not v.param("FENCE_ENABLE"):
        v.fence_breaches = 0
        return
    now = fence_breach_now(v) if v.flying else 0
    new = now & ~v.fence_breaches
    if now == 0 and v.fence_breaches:
        v.text(notices.SEVERITY_NOTICE, "Fence breach cleared")
    v.fence_breaches = now
    if new:
        v.fence_breach_count += 1
        v.text(notices.SEVERITY_NOTICE, f"{fence_names(new)} breached")
        action = int(v.param("FENCE_ACTION"))
        if action == 0:
            return
        if action == 4:
            v.set_mode(Mode.BRAKE)
        elif action == 2:
            v.set_mode(Mode.LAND)
        elif v.mode not in (Mode.RTL, Mode.LAND):
            if not v.set_mode(Mode.RTL):
                v.set_mode(Mode.LAND)
