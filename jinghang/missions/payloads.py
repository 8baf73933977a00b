"""Payload actions as standard MAVLink mission commands, so that the same mission flies on
ArduPilot, opens in QGroundControl and Mission Planner, and runs on the built-in simulator.

There is no MAVLink command for a loudspeaker or a spotlight: both are switched with
``DO_SET_RELAY`` on the relay numbers below (the message a loudspeaker plays is chosen on the
payload and shown to the operator in the plan's notes). A flotation device is dropped with
``DO_GRIPPER`` (release).
"""

from __future__ import annotations

from jinghang.missions.items import Cmd, Frame, MissionItem

LOUDSPEAKER_RELAY = 0
SPOTLIGHT_RELAY = 1
RELEASE_GRIPPER = 1
#: MAV_MOUNT_MODE_MAVLINK_TARGETING, param7 of DO_MOUNT_CONTROL.
MOUNT_MODE_MAVLINK_TARGETING = 2.0


def _do(command: Cmd, *params: float) -> MissionItem:
    p = [*params, 0.0, 0.0, 0.0, 0.0][:4]
    return MissionItem(command, Frame.MISSION, p[0], p[1], p[2], p[3])


def change_speed(speed_m_s: float) -> MissionItem:
    """DO_CHANGE_SPEED: ground speed (type 1), no throttle change (-1)."""
    return _do(Cmd.DO_CHANGE_SPEED, 1.0, speed_m_s, -1.0)


def camera_trigger_distance(distance_m: float, *, shoot_now: bool = True) -> MissionItem:
    """DO_SET_CAM_TRIGG_DIST: a photo every ``distance_m`` (0 stops); param3=1 shoots now."""
    return _do(Cmd.DO_SET_CAM_TRIGG_DIST, distance_m, 0.0, 1.0 if shoot_now else 0.0)


def photo() -> MissionItem:
    """IMAGE_START_CAPTURE of one image (camera id 0, no interval, total 1)."""
    return _do(Cmd.IMAGE_START_CAPTURE, 0.0, 0.0, 1.0)


def video_start() -> MissionItem:
    return _do(Cmd.VIDEO_START_CAPTURE, 0.0, 0.0)


def video_stop() -> MissionItem:
    return _do(Cmd.VIDEO_STOP_CAPTURE, 0.0)


def gimbal(pitch_deg: float, yaw_deg: float = 0.0) -> MissionItem:
    """DO_MOUNT_CONTROL: pitch (negative is down) and yaw, MAVLink targeting mode in param7."""
    return MissionItem(
        Cmd.DO_MOUNT_CONTROL,
        Frame.MISSION,
        pitch_deg,
        0.0,
        yaw_deg,
        0.0,
        altitude_m=MOUNT_MODE_MAVLINK_TARGETING,
    )


def roi(latitude_deg: float, longitude_deg: float, altitude_m: float) -> MissionItem:
    """DO_SET_ROI_LOCATION: point the camera (and the nose) at a location."""
    return MissionItem(
        Cmd.DO_SET_ROI_LOCATION,
        Frame.GLOBAL_RELATIVE_ALT,
        latitude_deg=latitude_deg,
        longitude_deg=longitude_deg,
        altitude_m=altitude_m,
    )


def roi_none() -> MissionItem:
    return _do(Cmd.DO_SET_ROI_NONE)


def loudspeaker(on: bool) -> MissionItem:
    return _do(Cmd.DO_SET_RELAY, float(LOUDSPEAKER_RELAY), 1.0 if on else 0.0)


def spotlight(on: bool) -> MissionItem:
    return _do(Cmd.DO_SET_RELAY, float(SPOTLIGHT_RELAY), 1.0 if on else 0.0)


def release() -> MissionItem:
    """DO_GRIPPER release (GRIPPER_ACTION_RELEASE = 0): drop the flotation device."""
    return _do(Cmd.DO_GRIPPER, float(RELEASE_GRIPPER), 0.0)


#: The payload names the catalog uses, and the commands each may put in a mission.
PAYLOAD_COMMANDS: dict[str, tuple[Cmd, ...]] = {
    "camera": (Cmd.DO_SET_CAM_TRIGG_DIST, Cmd.IMAGE_START_CAPTURE, Cmd.VIDEO_START_CAPTURE,
               Cmd.VIDEO_STOP_CAPTURE),
    "gimbal": (Cmd.DO_MOUNT_CONTROL, Cmd.DO_SET_ROI_LOCATION, Cmd.DO_SET_ROI_NONE),
    "thermal": (Cmd.VIDEO_START_CAPTURE, Cmd.VIDEO_STOP_CAPTURE),
    "zoom": (),
    "loudspeaker": (Cmd.DO_SET_RELAY,),
    "spotlight": (Cmd.DO_SET_RELAY,),
    "release": (Cmd.DO_GRIPPER,),
}
