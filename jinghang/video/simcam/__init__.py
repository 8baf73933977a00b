"""The simulator camera: a synthetic world seen from a drone's pose, sent as H.264 in
MPEG-TS over UDP like a real drone camera (see :mod:`.streamer`)."""

from jinghang.video.simcam.pose import CameraPose
from jinghang.video.simcam.streamer import (
    CameraSettings,
    PoseSource,
    SimCamera,
    fixed_pose,
    orbiting_pose,
    udp_url,
)
from jinghang.video.simcam.world import World, build_world

__all__ = [
    "CameraPose",
    "CameraSettings",
    "PoseSource",
    "SimCamera",
    "World",
    "build_world",
    "fixed_pose",
    "orbiting_pose",
    "udp_url",
]
