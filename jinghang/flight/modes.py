"""Flight mode tables: ArduCopter's custom mode numbers and PX4's main/sub modes. No I/O."""

from __future__ import annotations

#: ArduCopter ``custom_mode`` numbers (ArduCopter/mode.h, Mode::Number).
ARDUCOPTER_MODES: dict[str, int] = {
    "STABILIZE": 0,
    "ACRO": 1,
    "ALT_HOLD": 2,
    "AUTO": 3,
    "GUIDED": 4,
    "LOITER": 5,
    "RTL": 6,
    "CIRCLE": 7,
    "LAND": 9,
    "DRIFT": 11,
    "SPORT": 13,
    "FLIP": 14,
    "AUTOTUNE": 15,
    "POSHOLD": 16,
    "BRAKE": 17,
    "THROW": 18,
    "AVOID_ADSB": 19,
    "GUIDED_NOGPS": 20,
    "SMART_RTL": 21,
    "FLOWHOLD": 22,
    "FOLLOW": 23,
    "ZIGZAG": 24,
    "SYSTEMID": 25,
    "AUTOROTATE": 26,
    "AUTO_RTL": 27,
}

#: PX4 main modes (px4_custom_mode.h).
PX4_MAIN_MODES: dict[str, int] = {
    "MANUAL": 1,
    "ALTCTL": 2,
    "POSCTL": 3,
    "AUTO": 4,
    "ACRO": 5,
    "OFFBOARD": 6,
    "STABILIZED": 7,
    "RATTITUDE": 8,
}
#: PX4 AUTO sub modes.
PX4_AUTO_SUB_MODES: dict[str, int] = {
    "READY": 1,
    "TAKEOFF": 2,
    "LOITER": 3,
    "MISSION": 4,
    "RTL": 5,
    "LAND": 6,
    "FOLLOW_TARGET": 8,
    "PRECLAND": 9,
}


def px4_custom_mode(name: str) -> int | None:
    """PX4's ``custom_mode`` for ``"POSCTL"`` or ``"AUTO.MISSION"``; None when unknown."""
    main, _, sub = name.partition(".")
    if main not in PX4_MAIN_MODES:
        return None
    value = PX4_MAIN_MODES[main] << 16
    if sub:
        if main != "AUTO" or sub not in PX4_AUTO_SUB_MODES:
            return None
        value |= PX4_AUTO_SUB_MODES[sub] << 24
    return value


def px4_mode_name(custom_mode: int) -> str:
    main = (custom_mode >> 16) & 0xFF
    sub = (custom_mode >> 24) & 0xFF
    main_name = next((k for k, v in PX4_MAIN_MODES.items() if v == main), f"MODE_{main}")
    if main_name == "AUTO":
        sub_name = next((k for k, v in PX4_AUTO_SUB_MODES.items() if v == sub), f"{sub}")
        return f"AUTO.{sub_name}"
    return main_name


def arducopter_mode_name(custom_mode: int) -> str:
    return next((k for k, v in ARDUCOPTER_MODES.items() if v == custom_mode), f"MODE_{custom_mode}")
