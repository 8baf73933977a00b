"""The autopilot strategy: what the flight core asks of a firmware, and the generic answer.

A strategy holds what differs between firmwares: mode names and numbers, which modes guide,
fly the mission, return, land and pause, whether the mission list carries a home item at
sequence 0, how to start a mission and to pause, and which STATUSTEXTs explain a refused
arming. It acts on a vehicle only through :class:`Controls`, the unrecorded primitives its
:class:`~jinghang.flight.vehicle.Vehicle` hands it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from jinghang.flight.errors import CommandRejected, FlightError
from jinghang.flight.state import VehicleState
from jinghang.mavlink.constants import MAV_CMD_MISSION_START


@dataclass(frozen=True, slots=True)
class Controls:
    """What a strategy may do to its vehicle: read the state, switch mode (by name, confirmed
    by the heartbeat), arm (refusals explained), and send a COMMAND_LONG (acked)."""

    state: Callable[[], VehicleState]
    set_mode: Callable[[str], Awaitable[None]]
    arm: Callable[[], Awaitable[None]]
    command_long: Callable[..., Awaitable[Any]]


class Autopilot:
    """The generic MAVLink vehicle (no custom modes known); subclasses carry the specifics."""

    name: ClassVar[str] = "generic"
    #: Number of items the firmware keeps before the caller's mission items (ArduPilot: home).
    mission_home_items: ClassVar[int] = 0
    #: The firmware takes the mission item it waits for unasked, so an upload may send the
    #: next one ahead on silence (ArduPilot).
    mission_send_ahead: ClassVar[bool] = False
    guided_mode: ClassVar[str] = "GUIDED"
    auto_mode: ClassVar[str] = "AUTO"
    #: The parameter saying whether a camera trigger is configured (0: none), or None when
    #: the firmware has no such single parameter.
    camera_type_param: ClassVar[str | None] = None
    rtl_mode: ClassVar[str] = "RTL"
    land_mode: ClassVar[str] = "LAND"
    #: Tried in turn by :meth:`pause`.
    pause_modes: ClassVar[tuple[str, ...]] = ("LOITER",)
    #: Modes in which the vehicle is on its way home or down (a recall or a failsafe).
    returning_modes: ClassVar[frozenset[str]] = frozenset()
    #: STATUSTEXT prefixes (lower case) that give the reason for a refused arming.
    arming_refusal_prefixes: ClassVar[tuple[str, ...]] = ("prearm", "pre-arm", "arm")

    # -- mode names ------------------------------------------------------------------------

    def mode_name(self, custom_mode: int) -> str:
        """The name of a HEARTBEAT's ``custom_mode``."""
        return f"MODE_{custom_mode}"

    def custom_mode(self, name: str) -> int | None:
        """The ``custom_mode`` for a mode name; None when this firmware has no such mode."""
        return None

    def mode_names(self) -> list[str]:
        """Every mode name :meth:`custom_mode` knows."""
        return []

    def is_returning(self, mode: str) -> bool:
        """True when ``mode`` (a name from :meth:`mode_name`) brings the vehicle home or down."""
        return mode in self.returning_modes

    # -- arming ----------------------------------------------------------------------------

    def arming_refusals(self, texts: Sequence[str]) -> list[str]:
        """The STATUSTEXTs among ``texts`` that explain why arming was refused."""
        return [t for t in texts if t.strip().lower().startswith(self.arming_refusal_prefixes)]

    # -- flying ------------------------------------------------------------------------------

    async def ensure_guided_and_armed(self, controls: Controls) -> None:
        """Switch to the guided mode unless in it, then arm unless armed."""
        if controls.state().mode != self.guided_mode:
            await controls.set_mode(self.guided_mode)
        if not controls.state().armed:
            await controls.arm()

    async def start_mission(self, controls: Controls) -> None:
        """Arm in the guided mode if needed, then start the uploaded mission
        (MAV_CMD_MISSION_START; a firmware without it is put in its mission mode)."""
        if not controls.state().armed:
            await self.ensure_guided_and_armed(controls)
        try:
            await controls.command_long(MAV_CMD_MISSION_START, 0, 0)
        except CommandRejected as error:
            if error.result_name != "UNSUPPORTED":
                raise
        if controls.state().mode != self.auto_mode:
            await controls.set_mode(self.auto_mode)

    async def pause(self, controls: Controls) -> str:
        """Stop where it is: the first of :attr:`pause_modes` the vehicle accepts (its name)."""
        last_error: FlightError | None = None
        for mode in self.pause_modes:
            try:
                await controls.set_mode(mode)
            except CommandRejected as error:
                last_error = error
                continue
            return mode
        assert last_error is not None
        raise last_error


class Generic(Autopilot):
    """A MAVLink autopilot of a firmware the platform does not know: no mode names, so a
    mission is started by MISSION_START alone (after arming)."""

    async def start_mission(self, controls: Controls) -> None:
        if not controls.state().armed:
            await controls.arm()
        await controls.command_long(MAV_CMD_MISSION_START, 0, 0)
