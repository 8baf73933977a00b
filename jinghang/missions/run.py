"""One mission run on one vehicle of ``jinghang.flight``: check, upload, start, follow.

Incidents (the dispatcher's sorties), patrol runs and ``jinghang plan --fly`` all fly a plan
through a :class:`MissionRun`:

* :meth:`MissionRun.check` — the safety checks (:func:`~jinghang.missions.safety.check_plan`)
  and that the vehicle has a camera when the plan takes photos; nothing is uploaded when one
  fails.
* :meth:`MissionRun.upload` — the mission, and fence and rally when the plan has them.
* :meth:`MissionRun.start` — arm and AUTO, retried when ArduPilot disarms on the ground
  before taking off (DISARM_DELAY can pass between arming and AUTO on a slow link).
* :meth:`MissionRun.follow` — an async iterator of typed :class:`~jinghang.missions.progress.
  RunProgress` samples (phase, current item, leg, distance and time to the scene and home
  from the vehicle's real position) until the vehicle has landed and disarmed.

The run reads its vehicle through a callable when given one (a fleet's vehicle can go and
come back with its link); the phase is kept on a :class:`~jinghang.missions.progress.Tracked`
(the dispatcher's ``Flight``, or the run's own :class:`~jinghang.missions.progress.
PhaseTrack`).
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING, Any

from jinghang.errors import FlightError
from jinghang.flight.errors import CommandTimeout, VehicleTimeout
from jinghang.missions.camera_ready import check_camera
from jinghang.missions.geo import LatLon
from jinghang.missions.items import MissionItem, MissionType
from jinghang.missions.nofly import NoFlyZones
from jinghang.missions.plan import MissionPlan
from jinghang.missions.progress import (
    Phase,
    PhaseTrack,
    Route,
    RunProgress,
    Tracked,
    measure,
    observe,
    return_seq,
    scene_seq,
)
from jinghang.missions.safety import SafetyLimits, check_plan

if TYPE_CHECKING:
    from jinghang.flight import Vehicle, VehicleState

Say = Callable[[str], None]
OnPhase = Callable[[Phase], None]

#: How often to start the mission when the vehicle disarms on the ground before taking off.
START_ATTEMPTS = 3
#: How long a start waits for the vehicle to leave the ground (or disarm) before retrying.
LEAVE_GROUND_S = 30.0


def _quiet(_: str) -> None:
    return None


class MissionRun:
    """One plan flown by one vehicle; see the module docstring.

    ``vehicle`` is the vehicle or a callable giving it (None while it has no link).
    ``speed_m_s`` is the speed time to go is counted at where the plan sets none (the
    plan's cruise speed by default); ``home`` where the vehicle returns to (its own home
    position by default, then the plan's). ``track`` keeps the phase (a new
    :class:`PhaseTrack` by default).
    """

    def __init__(
        self,
        vehicle: Vehicle | Callable[[], Vehicle | None],
        plan: MissionPlan,
        *,
        actor: str = "system",
        limits: SafetyLimits | None = None,
        no_fly: NoFlyZones | None = None,
        speed_m_s: float | None = None,
        home: LatLon | None = None,
        track: Tracked | None = None,
        say: Say = _quiet,
    ) -> None:
        self._vehicle_of = vehicle if callable(vehicle) else _constant(vehicle)
        self.plan = plan
        self.actor = actor
        self.limits = limits
        self.no_fly = no_fly
        self.speed_m_s = speed_m_s or plan.cruise_speed_m_s
        self._home = home
        self.track: Tracked = track or PhaseTrack(scene_seq(plan.items),
                                                 return_seq(plan.items))
        self.say = say
        self._route: Route | None = None

    # ------------------------------------------------------------------ the vehicle

    @property
    def vehicle(self) -> Vehicle | None:
        """The vehicle now (None while it has no link)."""
        return self._vehicle_of()

    def _require_vehicle(self) -> Vehicle:
        vehicle = self._vehicle_of()
        if vehicle is None:
            raise FlightError("the vehicle has no link", field="system_id",
                              code="vehicle.no_link")
        return vehicle

    # ------------------------------------------------------------------ the steps

    async def check(self) -> None:
        """The plan's safety checks, and that the vehicle can take the photos it asks for."""
        check_plan(self.plan, self.limits, self.no_fly)
        await check_camera(self._require_vehicle(), self.plan)

    async def upload(self) -> None:
        """Upload the mission, and fence and rally when the plan has them. Lost, repeated
        and out-of-order items are the mission protocol's business in ``jinghang.flight``."""
        vehicle = self._require_vehicle()
        for items, kind in ((self.plan.items, MissionType.MISSION),
                            (self.plan.fence, MissionType.FENCE),
                            (self.plan.rally, MissionType.RALLY)):
            if not items and kind != MissionType.MISSION:
                continue
            await vehicle.upload_mission(items, kind, actor=self.actor)

    async def start(self, *, on_accepted: Callable[[], None] | None = None) -> VehicleState:
        """Arm and start the mission until the vehicle leaves the ground, starting again when
        it disarms on the ground (up to :data:`START_ATTEMPTS` times). ``on_accepted`` is
        called once, when the vehicle first accepts the start. The phase becomes en route."""
        vehicle = self._require_vehicle()
        accepted = False
        for attempt in range(1, START_ATTEMPTS + 1):
            try:
                await vehicle.start_mission(actor=self.actor)
                if not accepted and on_accepted is not None:
                    on_accepted()
                accepted = True
                state = await vehicle.wait_until(
                    lambda s: not s.armed or s.relative_altitude_m > 1.0,
                    timeout_s=LEAVE_GROUND_S,
                )
            except (CommandTimeout, VehicleTimeout) as exc:
                if attempt == START_ATTEMPTS:
                    raise
                self.say(f"starting the mission failed ({exc.message}); trying again")
                continue
            if state.armed:
                self.track.phase = Phase.EN_ROUTE
                self.track.armed_seen = True
                return state
            self.say(f"the vehicle disarmed on the ground (attempt {attempt}); starting again")
        raise FlightError(
            f"the vehicle disarmed on the ground {START_ATTEMPTS} times instead of taking off",
            field="armed", value=False, limit=f"{START_ATTEMPTS} attempts",
            code="vehicle.disarmed_on_ground", params={"attempts": START_ATTEMPTS},
        )

    async def launch(self, *, on_uploaded: Callable[[], None] | None = None,
                     on_accepted: Callable[[], None] | None = None) -> VehicleState:
        """:meth:`check`, :meth:`upload` and :meth:`start` in turn."""
        await self.check()
        await self.upload()
        if on_uploaded is not None:
            on_uploaded()
        return await self.start(on_accepted=on_accepted)

    # ------------------------------------------------------------------ progress

    def replan(self, items: list[MissionItem]) -> None:
        """A new mission was sent mid-flight (a redirect): measure along its legs from now."""
        self.plan = self.plan.with_(items=list(items))
        self._route = None

    def route(self) -> Route:
        """The plan's legs from home (built once the vehicle's home is known)."""
        if self._route is None:
            self._route = Route.of(self.plan.items, self._home_point(),
                                   speed_m_s=self.speed_m_s,
                                   scene_seq=self.track.scene_seq,
                                   return_seq=self.track.return_seq)
        return self._route

    def _home_point(self) -> LatLon:
        if self._home is not None:
            return self._home
        vehicle = self._vehicle_of()
        home = vehicle.state.home if vehicle is not None else None
        if home is not None:
            self._home = (home.latitude_deg, home.longitude_deg)
            return self._home
        launch = self.plan.launch_point()
        if launch is not None:
            return launch
        if vehicle is not None and not math.isnan(vehicle.state.latitude_deg):
            return (vehicle.state.latitude_deg, vehicle.state.longitude_deg)
        return (0.0, 0.0)

    def progress(self, state: Any, on_phase: OnPhase | None = None) -> RunProgress:
        """Read the phase from ``state`` and measure the run there. A new phase is handed to
        ``on_phase`` (which must set ``track.phase``), or set on the track."""
        phase = observe(self.track, state)
        if phase != self.track.phase:
            if on_phase is not None:
                on_phase(phase)
            else:
                self.track.phase = phase
        return measure(self.route(), self.track.phase, state)

    async def follow(self, *, poll_s: float = 0.25, timeout_s: float | None = None,
                     on_phase: OnPhase | None = None) -> AsyncIterator[RunProgress]:
        """A sample at least every ``poll_s`` (and at once when the item, mode or arming
        changes) until the vehicle has landed and disarmed (the last sample, phase
        ``LANDED``). No sample while the vehicle has no link object. Phase changes go to
        ``on_phase`` first (see :meth:`progress`). Raises :class:`VehicleTimeout` after
        ``timeout_s``."""
        started = time.monotonic()
        while True:
            if timeout_s is not None and time.monotonic() - started > timeout_s:
                raise VehicleTimeout(f"the mission did not complete in {timeout_s:g} s",
                                     field="timeout_s", value=timeout_s)
            vehicle = self._vehicle_of()
            if vehicle is None:
                await asyncio.sleep(poll_s)
                continue
            sample = self.progress(vehicle.state, on_phase)
            yield sample
            if sample.phase == Phase.LANDED:
                return
            try:
                await vehicle.wait_until(_changed_from(vehicle.state), timeout_s=poll_s)
            except VehicleTimeout:
                pass


def _constant(vehicle: Vehicle) -> Callable[[], Vehicle | None]:
    def of() -> Vehicle | None:
        return vehicle

    return of


def _changed_from(before: VehicleState) -> Callable[[VehicleState], bool]:
    seq, armed, mode = before.mission_current_seq, before.armed, before.mode

    def changed(s: VehicleState) -> bool:
        return s.mission_current_seq != seq or s.armed != armed or s.mode != mode

    return changed


__all__ = ["LEAVE_GROUND_S", "START_ATTEMPTS", "MissionRun"]
