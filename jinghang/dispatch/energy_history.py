"""Each drone's own limits and energy history, for the energy check of dispatches and patrols.

:class:`EnergyHistory` (owned by the dispatcher, run in its task group) does three things:

- **reads each vehicle's flight limits** as soon as it appears (or links back), with the
  parameter names of its autopilot (ArduPilot WPNAV_SPEED, WPNAV_ACCEL, WPNAV_SPEED_UP/DN,
  ANGLE_MAX, WPNAV_RADIUS, ...; PX4 MPC_XY_CRUISE, MPC_ACC_HOR, MPC_Z_VEL_MAX_UP/DN,
  NAV_ACC_RAD, ...) and its battery capacity, and caches them per drone. Drone choice and
  planning use the cached limits (``jinghang.dispatch.fleetview``); a drone whose limits are
  still being read is not chosen (``drone.limits_unread``, transient), and a registered
  cruise speed above what the vehicle can fly is clamped with an alert
  (``drone.cruise_speed_clamped`` with the speeds and ANGLE_MAX). The flight-time estimate
  clamps a mission item's speed the same way; when a flight it planned starts (its first
  ``mission.progress``), each such item is announced as an alert with the estimate's code
  (``estimate.speed_clamped``: the item, the planned and the flyable speed, ANGLE_MAX) and the
  mission;
- **meters each vehicle's battery** (:class:`BatteryMeter`): from the moment it arms to the
  moment it disarms, on the vehicle's own clock, the charge (BATTERY_STATUS current_consumed)
  and energy (energy_consumed) it used and its battery_remaining before and after (SYS_STATUS or
  BATTERY_STATUS); values the vehicle marks unknown (-1) or that make no sense (negative, a
  consumption that runs backwards, a percentage outside 0-100) are unknown, never numbers;
- **records every landed flight** the dispatcher followed (the ``mission.progress`` event with
  phase ``LANDED`` that ``Dispatcher.finish`` publishes, incidents and patrols alike): the
  plan's time and energy against the flown time and used energy, in the store's
  ``flight_energy`` table (written off the event loop), and corrects the drone's endurance
  from that history (``jinghang.missions.endurance``). The energy check then uses the
  corrected endurance (:meth:`EnergyHistory.endurance_s`).
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from dataclasses import dataclass, field
from typing import Any

from jinghang.dispatch.planning import items_from_json
from jinghang.events import Event, EventBus
from jinghang.missions.endurance import (
    WINDOW,
    EnduranceCorrection,
    FlightEnergy,
    endurance_correction,
    skip_code,
    used_pct,
)
from jinghang.missions.estimate import Airframe, estimate_items
from jinghang.missions.vehicle_limits import (
    VehicleLimits,
    autopilot_of,
    limit_params_of,
    limits_from_params,
    params_for,
    read_params,
)
from jinghang.store import (
    FlightEnergyCreate,
    FlightEnergyPublic,
    MissionState,
    Store,
    get_mission,
    get_vehicle,
    list_events,
    list_flight_energy,
    record_flight_energy,
)
from jinghang.store.errors import NotFound
from jinghang.store.writer import StoreWriter

log = logging.getLogger(__name__)

#: The parameter holding the battery's capacity in mAh, by autopilot (0 or -1: not set).
CAPACITY_PARAMS = {"ardupilot": "BATT_CAPACITY", "px4": "BAT1_CAPACITY"}
#: MAV_MODE_FLAG_SAFETY_ARMED in HEARTBEAT.base_mode.
_ARMED_FLAG = 128
#: Messages carrying the vehicle's clock (time_boot_ms).
_CLOCK_MESSAGES = frozenset({"GLOBAL_POSITION_INT", "ATTITUDE", "SYSTEM_TIME"})
_METERED = frozenset({"HEARTBEAT", "BATTERY_STATUS", "SYS_STATUS"}) | _CLOCK_MESSAGES
#: A consumption beyond this (mAh, or Wh) is not a battery's.
_MAX_MAH = 1_000_000.0
_MAX_WH = 100_000.0
#: hJ (BATTERY_STATUS energy_consumed) in one Wh.
HJ_PER_WH = 36.0


def _number(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _count(value: Any, maximum: float) -> float | None:
    """A consumption counter: unknown when -1 (or any negative), not finite or absurd."""
    number = _number(value)
    if number is None or number < 0 or number > maximum:
        return None
    return number


def _percent(value: Any) -> float | None:
    number = _number(value)
    if number is None or not 0 <= number <= 100:
        return None
    return number


@dataclass(frozen=True, slots=True)
class Reading:
    """The battery and clock as last reported, at one moment."""

    boot_s: float | None
    wall_s: float
    consumed_mah: float | None
    energy_wh: float | None
    remaining_pct: float | None


@dataclass(frozen=True, slots=True)
class Span:
    """One armed span: the readings when the vehicle armed and when it disarmed."""

    start: Reading
    end: Reading

    @property
    def flown_time_s(self) -> float | None:
        """On the vehicle's clock when it ran forward through the span (a simulator may run
        faster than the wall clock), else on the wall clock."""
        a, b = self.start.boot_s, self.end.boot_s
        if a is not None and b is not None and b >= a:
            return b - a
        return max(0.0, self.end.wall_s - self.start.wall_s)

    def _delta(self, a: float | None, b: float | None) -> float | None:
        if a is None or b is None or b < a:
            return None  # unknown at one end, or a counter that ran backwards (a reboot)
        return b - a

    @property
    def consumed_mah(self) -> float | None:
        return self._delta(self.start.consumed_mah, self.end.consumed_mah)

    @property
    def energy_wh(self) -> float | None:
        return self._delta(self.start.energy_wh, self.end.energy_wh)


class BatteryMeter:
    """One vehicle's battery and armed spans, folded from its messages (:meth:`observe`)."""

    def __init__(self) -> None:
        self.boot_s: float | None = None
        self.consumed_mah: float | None = None
        self.energy_wh: float | None = None
        self.remaining_pct: float | None = None
        self.armed: bool | None = None
        self.started: Reading | None = None
        #: The armed spans that ended, newest last (a few are kept).
        self.spans: list[Span] = []
        #: How many spans have ended since the meter started.
        self.spans_ended = 0

    def reading(self) -> Reading:
        return Reading(self.boot_s, time.monotonic(), self.consumed_mah, self.energy_wh,
                       self.remaining_pct)

    def observe(self, message: Any) -> None:
        kind = message.get_type()
        if kind in _CLOCK_MESSAGES:
            boot_ms = _number(getattr(message, "time_boot_ms", None))
            if boot_ms is not None and boot_ms >= 0:
                self.boot_s = boot_ms / 1000.0
        elif kind == "BATTERY_STATUS":
            self.consumed_mah = _count(message.current_consumed, _MAX_MAH)
            hj = _count(message.energy_consumed, _MAX_WH * HJ_PER_WH)
            self.energy_wh = None if hj is None else hj / HJ_PER_WH
            remaining = _percent(message.battery_remaining)
            if remaining is not None:
                self.remaining_pct = remaining
        elif kind == "SYS_STATUS":
            remaining = _percent(message.battery_remaining)
            if remaining is not None:
                self.remaining_pct = remaining
        elif kind == "HEARTBEAT":
            armed = bool(int(message.base_mode) & _ARMED_FLAG)
            if armed and not self.armed:
                self.started = self.reading()
            elif not armed and self.armed and self.started is not None:
                self.spans.append(Span(self.started, self.reading()))
                del self.spans[:-4]
                self.spans_ended += 1
                self.started = None
            self.armed = armed


@dataclass
class VehicleReading:
    """What was read from one vehicle: its limits (defaults where it has no such parameter),
    its battery capacity, and which names it answered."""

    limits: VehicleLimits
    autopilot: str
    capacity_mah: float | None = None
    #: "vehicle" (read), "defaults" (the vehicle answered none of them).
    source: str = "vehicle"
    answered: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        lim = self.limits
        return {"source": self.source, "autopilot": self.autopilot,
                "capacity_mah": self.capacity_mah, "missing": list(self.missing),
                "wp_speed_m_s": lim.wp_speed_m_s, "accel_m_s2": lim.accel_m_s2,
                "climb_m_s": lim.climb_m_s, "descent_m_s": lim.descent_m_s,
                "wp_radius_m": lim.wp_radius_m, "angle_max_deg": lim.angle_max_deg,
                "max_speed_m_s": round(lim.max_speed_m_s(), 2)}


def reading_from(values: dict[str, float], autopilot: str,
                 table: dict[str, tuple[str, float]] | None = None) -> VehicleReading:
    """A :class:`VehicleReading` from the parameter values a vehicle answered (to the names
    of ``table``, by default every name its autopilot may use)."""
    table = params_for(autopilot) if table is None else table
    capacity_name = CAPACITY_PARAMS.get(autopilot, CAPACITY_PARAMS["ardupilot"])
    capacity = _number(values.get(capacity_name))
    answered = [n for n in table if n in values]
    return VehicleReading(
        limits=limits_from_params(values, table=table), autopilot=autopilot,
        capacity_mah=capacity if capacity is not None and capacity > 0 else None,
        source="vehicle" if answered else "defaults", answered=answered,
        missing=[n for n in table if n not in values])


async def read_vehicle(vehicle: Any, timeout_s: float) -> VehicleReading:
    """Read one vehicle's limits and capacity (defaults when it answers none in time)."""
    autopilot = autopilot_of(vehicle)
    table: dict[str, tuple[str, float]] | None = None
    values: dict[str, float] = {}
    try:
        async with asyncio.timeout(timeout_s):
            table = await limit_params_of(vehicle)
            names = [*table, CAPACITY_PARAMS.get(autopilot, "BATT_CAPACITY")]
            values = await read_params(vehicle, names)
    except TimeoutError:
        values = {}
    return reading_from(values, autopilot, table)


def flight_energy_of(record: FlightEnergyPublic) -> FlightEnergy:
    """The pure figures of a stored record (unknowns as NaN)."""
    def value(x: float | None) -> float:
        return math.nan if x is None else x

    return FlightEnergy(record.planned_time_s, record.planned_pct, value(record.flown_time_s),
                        value(record.used_pct), record.completed)


def build_record(*, drone_id: int, mission: Any, nominal_s: float, endurance_s: float,
                 span: Span | None, capacity_mah: float | None,
                 handed_over: bool = False) -> FlightEnergyCreate:
    """The row for one landed flight: the mission's plan against the meter's span. A flight
    flew its plan when its mission completed without a pilot taking the drone over."""
    completed = mission.state == MissionState.COMPLETED.value and not handed_over
    outcome = "handed_over" if handed_over else mission.state
    planned_time_s = float(mission.flight_time_s)
    planned_pct = 100.0 * planned_time_s / endurance_s if endurance_s > 0 else 0.0
    flown = consumed = energy = before = after = None
    if span is not None:
        flown, consumed, energy = span.flown_time_s, span.consumed_mah, span.energy_wh
        before, after = span.start.remaining_pct, span.end.remaining_pct
    used = used_pct(consumed_mah=consumed, capacity_mah=capacity_mah,
                    remaining_before_pct=before, remaining_after_pct=after)
    by_mah = (consumed is not None and capacity_mah is not None and math.isfinite(used)
              and math.isclose(used, 100.0 * consumed / capacity_mah))
    source = "consumed_mah" if by_mah else ("remaining_pct" if math.isfinite(used) else "none")
    figures = FlightEnergy(planned_time_s, planned_pct,
                           math.nan if flown is None else flown, used, completed)
    return FlightEnergyCreate(
        drone_id=drone_id, mission_id=mission.id, incident_id=mission.incident_id,
        patrol_run_id=mission.patrol_run_id, outcome=outcome, completed=completed,
        planned_time_s=planned_time_s, planned_pct=planned_pct, nominal_endurance_s=nominal_s,
        flown_time_s=flown, consumed_mah=consumed, energy_wh=energy, capacity_mah=capacity_mah,
        remaining_before_pct=before, remaining_after_pct=after,
        used_pct=used if math.isfinite(used) else None, source=source,
        skip_code=skip_code(figures))


class EnergyHistory:
    """Per-drone limits, battery meters and energy history; see the module docstring."""

    def __init__(self, store: Store, bus: EventBus, fleet: Any, *,
                 writer: StoreWriter | None = None,
                 read_timeout_s: float = 10.0, span_wait_s: float = 5.0,
                 ready_wait_s: float = 5.0) -> None:
        self.store = store
        #: The dispatcher's store writer: a landing is read once what it wrote is stored, and
        #: the record is written in order with everything else.
        self.writer = writer
        self.bus = bus
        self.fleet = fleet
        self.read_timeout_s = read_timeout_s
        self.span_wait_s = span_wait_s
        self.ready_wait_s = ready_wait_s
        #: Set once the vehicles present at start have had their limits read.
        self.ready = asyncio.Event()
        self._readings: dict[int, VehicleReading] = {}
        self._reading_now: set[int] = set()
        self._meters: dict[int, tuple[Any, BatteryMeter]] = {}
        #: drone id -> the spans_ended of its meter already recorded.
        self._recorded_spans: dict[int, int] = {}
        self._history: dict[int, list[FlightEnergy]] = {}
        self._clamp_alerted: set[tuple[int, float]] = set()
        #: Missions whose items' speeds were checked against the drone's limits.
        self._speeds_checked: set[int] = set()
        self._tasks: asyncio.TaskGroup | None = None

    # -- what drone choice and planning ask ----------------------------------------------
    def limits(self, drone_id: int) -> VehicleLimits | None:
        """The drone's limits as read from it, or None while they have not been read."""
        reading = self._readings.get(drone_id)
        return reading.limits if reading is not None else None

    def reading(self, drone_id: int) -> VehicleReading | None:
        return self._readings.get(drone_id)

    def history(self, drone_id: int) -> list[FlightEnergy]:
        """The drone's recorded flights (oldest first), read from the store once."""
        flights = self._history.get(drone_id)
        if flights is None:
            with self.store.read_session() as s:
                rows = list_flight_energy(s, drone_id, limit=3 * WINDOW)
            flights = [flight_energy_of(r) for r in rows]
            self._history[drone_id] = flights
        return flights

    def correction(self, drone_id: int, nominal_s: float) -> EnduranceCorrection:
        return endurance_correction(nominal_s, self.history(drone_id))

    def endurance_s(self, drone_id: int, nominal_s: float) -> float:
        """The endurance the energy check uses: the nominal one corrected from history."""
        return self.correction(drone_id, nominal_s).corrected_s

    def cruise_clamped(self, drone_id: int, cruise_m_s: float, limits: VehicleLimits) -> None:
        """Alert once per drone and speed that its registered cruise speed is above what the
        vehicle can fly (the energy check counts the flyable speed)."""
        flyable = limits.max_speed_m_s()
        key = (drone_id, round(cruise_m_s, 2))
        if cruise_m_s <= flyable + 1e-6 or key in self._clamp_alerted:
            return
        self._clamp_alerted.add(key)
        params = {"drone_id": drone_id, "cruise_speed_m_s": round(cruise_m_s, 2),
                  "flyable_m_s": round(flyable, 2),
                  "angle_max_deg": round(limits.angle_max_deg, 1)}
        message = (f"drone {drone_id}: registered cruise speed {cruise_m_s:g} m/s is above "
                   f"what the vehicle flies ({flyable:.1f} m/s at ANGLE_MAX "
                   f"{limits.angle_max_deg:g} deg); the energy check counts {flyable:.1f} m/s")
        log.warning(message)
        self.bus.publish("alert", {"level": "warning", "message": message,
                                   "code": "drone.cruise_speed_clamped", "params": params,
                                   "drone_id": drone_id})

    # -- running ------------------------------------------------------------------------
    async def run(self) -> None:
        """Read, meter and record until cancelled (``ready`` once the vehicles present at
        start have been read, or after ``ready_wait_s`` at most)."""
        async with self.bus.subscribe("vehicle.status", "mission.progress") as sub, \
                asyncio.TaskGroup() as tasks:
            self._tasks = tasks
            try:
                first = [self._look_after(v, reread=False)
                         for v in list(self.fleet.vehicles.values())]
                reads = [t for t in first if t is not None]
                if reads:  # a vehicle slower than this is read on; its drone waits meanwhile
                    await asyncio.wait(reads, timeout=self.ready_wait_s)
                self.ready.set()
                while True:
                    try:
                        async with asyncio.timeout(1.0):
                            event = await sub.get()
                    except TimeoutError:
                        for vehicle in list(self.fleet.vehicles.values()):
                            self._look_after(vehicle, reread=False)
                        continue
                    self._on_event(event)
            finally:
                self._tasks = None

    def _spawn(self, coro: Any, name: str) -> asyncio.Task[Any] | None:
        if self._tasks is None:
            coro.close()
            return None
        return self._tasks.create_task(self._guarded(coro, name), name=name)

    async def _guarded(self, coro: Any, name: str) -> None:
        try:
            await coro
        except asyncio.CancelledError:
            raise
        except Exception:  # one vehicle's trouble must not stop the others
            log.exception("energy history: %s failed", name)

    def _look_after(self, vehicle: Any, *, reread: bool) -> asyncio.Task[Any] | None:
        """Meter ``vehicle`` and read its limits (again, when ``reread``)."""
        sid = int(vehicle.drone_id)
        metered = self._meters.get(sid)
        if metered is None or metered[0] is not vehicle:
            meter = metered[1] if metered is not None else BatteryMeter()
            self._meters[sid] = (vehicle, meter)
            self._spawn(self._meter(vehicle, meter), f"meter {sid}")
        if sid in self._reading_now or (sid in self._readings and not reread):
            return None
        self._reading_now.add(sid)
        return self._spawn(self._read(vehicle), f"limits {sid}")

    async def _meter(self, vehicle: Any, meter: BatteryMeter) -> None:
        def metered(message: Any) -> bool:
            return message.get_type() in _METERED

        with vehicle.expectations.watch(metered) as watch:
            while self._meters.get(vehicle.drone_id, (None,))[0] is vehicle:
                message = await watch.next(5.0)
                if message is not None:
                    meter.observe(message)

    async def _read(self, vehicle: Any) -> None:
        sid = int(vehicle.drone_id)
        try:
            reading = await read_vehicle(vehicle, self.read_timeout_s)
        finally:
            self._reading_now.discard(sid)
        self._readings[sid] = reading
        if reading.source == "defaults":
            message = (f"drone {sid} answered none of its flight-limit parameters; planning "
                       "with the documented defaults")
            self.bus.publish("alert", {"level": "warning", "message": message,
                                       "code": "drone.limits_defaulted",
                                       "params": {"drone_id": sid}, "drone_id": sid})
        self.bus.publish("energy", {"drone_id": sid, "event": "limits",
                                    "limits": reading.to_dict()})

    def _on_event(self, event: Event) -> None:
        data = event.data
        sid = data.get("drone_id")
        if not isinstance(sid, int):
            return
        if event.topic == "vehicle.status" and data.get("event") in ("appeared",
                                                                     "link_recovered"):
            vehicle = self.fleet.vehicles.get(sid)
            if vehicle is not None:
                self._look_after(vehicle, reread=True)
        elif event.topic == "mission.progress" and isinstance(data.get("mission_id"), int):
            mission_id = data["mission_id"]
            if data.get("phase") == "LANDED":
                self._spawn(self._landed(sid, mission_id), f"record {sid}")
            elif mission_id not in self._speeds_checked:
                self._speeds_checked.add(mission_id)
                self._spawn(self._check_speeds(sid, mission_id), f"speeds {mission_id}")

    async def _check_speeds(self, drone_id: int, mission_id: int) -> None:
        """Announce every item of the mission whose speed the drone cannot fly (the estimate
        counted the flyable speed), with the estimate's code and parameters."""
        limits = self.limits(drone_id)
        if limits is None:
            return

        def read() -> list[dict[str, Any]]:
            with self.store.read_session() as s:
                return get_mission(s, mission_id).items or []

        items = items_from_json(await asyncio.to_thread(read))
        for warning in estimate_items(items, airframe=Airframe(limits=limits)).warnings:
            self.bus.publish("alert", {"level": "warning", "code": warning.code,
                                       "params": {**warning.params, "mission_id": mission_id},
                                       "message": f"mission {mission_id}: {warning.message}",
                                       "drone_id": drone_id, "mission_id": mission_id})

    # -- recording ----------------------------------------------------------------------
    async def _span_of(self, drone_id: int) -> Span | None:
        """The armed span that ended with this landing (waiting briefly for the meter to see
        the disarm), or None when the meter saw none."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.span_wait_s
        while True:
            metered = self._meters.get(drone_id)
            if metered is not None:
                meter = metered[1]
                done = self._recorded_spans.get(drone_id, 0)
                if meter.spans_ended > done and meter.spans:
                    self._recorded_spans[drone_id] = meter.spans_ended
                    return meter.spans[-1]
            if loop.time() >= deadline:
                return None
            await asyncio.sleep(0.05)

    async def _landed(self, drone_id: int, mission_id: int) -> None:
        span = await self._span_of(drone_id)
        reading = self._readings.get(drone_id)
        capacity = reading.capacity_mah if reading is not None else None

        def read() -> tuple[Any, float, bool] | None:
            with self.store.read_session() as s:
                try:
                    mission = get_mission(s, mission_id)
                    nominal_s = get_vehicle(s, drone_id).endurance_s
                except NotFound:
                    return None
                paused = any(e.to_state == MissionState.PAUSED.value
                             for e in list_events(s, mission_id=mission_id))
            return mission, nominal_s, paused

        if self.writer is not None:
            await self.writer.settle()  # the mission's last states are stored
        found = await asyncio.to_thread(read)
        if found is None:
            return
        mission, nominal_s, handed_over = found
        # the endurance the plan was checked with (the history before this flight)
        endurance_s = self.endurance_s(drone_id, nominal_s)
        data = build_record(drone_id=drone_id, mission=mission, nominal_s=nominal_s,
                            endurance_s=endurance_s, span=span, capacity_mah=capacity,
                            handed_over=handed_over)

        if self.writer is not None:
            record = await self.writer.submit(lambda s: record_flight_energy(s, data),
                                              what=f"energy of mission {mission_id}")
        else:
            def write() -> FlightEnergyPublic:
                with self.store.transaction() as s:
                    return record_flight_energy(s, data)

            record = await asyncio.to_thread(write)
        self.history(drone_id).append(flight_energy_of(record))
        correction = self.correction(drone_id, record.nominal_endurance_s)
        self.bus.publish("energy", {"drone_id": drone_id, "event": "recorded",
                                    "record": record.model_dump(mode="json"),
                                    "endurance": correction.to_dict()})
