"""Whether the vehicle can take the photos a plan asks for, checked before the plan is uploaded.

A survey's DO_SET_CAM_TRIGG_DIST items are uploaded and flown whether or not the vehicle has a
camera configured; ArduPilot with ``CAM1_TYPE`` 0 (its default) then flies the lanes and takes
no photo, and nothing tells the operator until the flight is over. :func:`check_camera` reads
the firmware's camera parameter (through the autopilot strategy) and refuses such a plan with
the parameter named, before anything leaves for the vehicle.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from jinghang.errors import FlightError
from jinghang.missions.errors import SafetyError
from jinghang.missions.items import Cmd
from jinghang.missions.plan import MissionPlan

if TYPE_CHECKING:
    from jinghang.flight import Vehicle


class CameraNotConfigured(SafetyError):
    """The plan takes photos and the vehicle has no camera trigger configured."""

    title = "No camera configured for a plan that takes photos"


def photo_items(plan: MissionPlan) -> list[int]:
    """Indexes of the plan's items that start photos (distance or interval triggering, a
    single shot, an image capture)."""
    found = []
    for index, item in enumerate(plan.items):
        if item.command == Cmd.DO_SET_CAM_TRIGG_DIST and item.param1 > 0:
            found.append(index)
        elif item.command in (Cmd.DO_DIGICAM_CONTROL, Cmd.IMAGE_START_CAPTURE):
            found.append(index)
    return found


async def check_camera(vehicle: Vehicle, plan: MissionPlan) -> None:
    """Raise :class:`CameraNotConfigured` when ``plan`` takes photos and ``vehicle``'s camera
    parameter says none is configured (or the vehicle has no such parameter)."""
    items = photo_items(plan)
    name = vehicle.autopilot.camera_type_param
    if not items or name is None:
        return
    try:
        value = await vehicle.params.get(name)
    except FlightError:
        value = None
    if value is None or int(value) == 0:
        raise CameraNotConfigured(
            f"the plan takes photos (item {items[0]} and {len(items) - 1} more) but vehicle "
            f"{vehicle.system_id} has no camera configured ({name} is "
            f"{'missing' if value is None else 0}): no photo would be taken",
            field=name,
            value=value,
            limit="a configured camera type (not 0)",
            code="camera.not_configured",
            params={"parameter": name, "photo_items": len(items), "first_item": items[0]},
        )
