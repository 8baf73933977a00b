"""One vehicle: its live state, its commands and its sub-protocols.

A :class:`Vehicle` appears on its first HEARTBEAT. Its messages arrive through
:meth:`Vehicle.handle` (synchronously, on the one event loop); commands are coroutines that
send through the link and peer its system id is bound to (:mod:`jinghang.flight.trust`).
Every command takes ``actor=`` (who asked) and is published on the ``"command"`` topic with
its result; telemetry goes out on ``"telemetry"`` at most ``telemetry_rate_hz`` per vehicle,
STATUSTEXT and link changes on ``"vehicle.status"``, MISSION_CURRENT and MISSION_ITEM_REACHED
on ``"mission.progress"``.
Alarms (:mod:`jinghang.flight.alarms`) go out on ``"flight.alarm"``: telemetry refused at the
state boundary (``telemetry.rejected``, the field and value), the vehicle above the altitude
ceiling or outside the geofence it was given (``vehicle.above_ceiling``,
``vehicle.outside_fence``, whoever commanded it), and commands timing out while the vehicle
signs with a key this link lacks (``link.signing_lost``).
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

from jinghang.events import EventBus
from jinghang.flight.alarms import (
    ABOVE_CEILING,
    OUTSIDE_FENCE,
    SIGNING_LOST,
    TELEMETRY_REJECTED,
    FlightAlarm,
    Publish,
)
from jinghang.flight.autopilots import Autopilot, Controls, autopilot_for
from jinghang.flight.commands import CommandSender
from jinghang.flight.errors import (
    ArmingRefused,
    CommandRejected,
    CommandTimeout,
    FlightError,
    ModeUnknown,
    VehicleTimeout,
)
from jinghang.flight.expect import Expectations
from jinghang.flight.mission_protocol import MissionProtocol
from jinghang.flight.params import Parameters
from jinghang.flight.payload import (
    CAMERA_SOURCES,
    CLIP_ID_MAX,
    GIMBAL_PITCH_RANGE_DEG,
    GIMBAL_YAW_RANGE_DEG,
    ORBIT_RADIUS_RANGE_M,
    RELAY_MAX,
    NoPosition,
    PayloadCommands,
    PayloadInputError,
    tts_bytes,
)
from jinghang.flight.sanity import DEFAULT_LIMITS, Geofence, Limits, Rejected
from jinghang.flight.state import VehicleState, apply_message
from jinghang.mavlink import signing
from jinghang.mavlink.channel import frame_is_signed, mavlink
from jinghang.mavlink.constants import (
    FORCE_ARM_DISARM_MAGIC,
    MAV_CMD_COMPONENT_ARM_DISARM,
    MAV_CMD_DO_CHANGE_SPEED,
    MAV_CMD_DO_SET_MODE,
    MAV_CMD_DO_SET_ROI_LOCATION,
    MAV_CMD_NAV_TAKEOFF,
    MAV_CMD_REQUEST_MESSAGE,
    MAV_MODE_FLAG_CUSTOM_MODE_ENABLED,
    MAVLINK_MSG_ID_HOME_POSITION,
)
from jinghang.missions.items import MissionItem, MissionType

T = TypeVar("T")

#: position only, in SET_POSITION_TARGET_GLOBAL_INT's type_mask
_POSITION_ONLY_MASK = 0b0000_1101_1111_1000
ALTITUDE_MAX_M = 10_000.0
SPEED_MAX_M_S = 100.0
#: a refused telemetry field is alarmed again at most this often
REJECTED_ALARM_INTERVAL_S = 10.0
#: above the ceiling by more than this before the alarm: a drone holding a plan flown at the
#: ceiling itself (120 m plans are legal) reads a few decimetres over it from baro noise, and
#: an alarm "at 120.0 m, above the 120 m ceiling" would be a false critical alert
CEILING_MARGIN_M = 1.0
#: back below the ceiling by this much before a new above-ceiling alarm
CEILING_HYSTERESIS_M = 2.0
#: consecutive command timeouts, with the vehicle signing unverifiably, that flag it
SIGNING_LOST_TIMEOUTS = 2
_POSITION_MESSAGES = frozenset({"GLOBAL_POSITION_INT"})


def _check_range(field: str, value: float, low: float, high: float) -> float:
    if not (math.isfinite(value) and low <= value <= high):
        raise FlightError(
            f"{field} must be between {low:g} and {high:g}, got {value!r}",
            field=field,
            value=value,
            limit=[low, high],
            code="vehicle.out_of_range",
            params={"low": low, "high": high},
        )
    return float(value)


class Vehicle:
    """One system id on the fleet's links."""

    def __init__(
        self,
        system_id: int,
        component_id: int,
        send: Callable[[Any], None],
        *,
        bus: EventBus | None = None,
        autopilot: Autopilot | None = None,
        telemetry_rate_hz: float = 5.0,
        ack_timeout_s: float = 1.5,
        set_link_signing: Callable[[bytes], None] | None = None,
        link_verifies: Callable[[], bool] | None = None,
        limits: Limits = DEFAULT_LIMITS,
        publish_alarm: Publish | None = None,
        drone_id: int | None = None,
    ) -> None:
        #: the MAVLink system id this vehicle speaks on its link
        self.system_id = system_id
        #: the fleet's key for it, which every event carries: the register's drone id when
        #: system ids are per link, else the system id
        self.drone_id = system_id if drone_id is None else drone_id
        self.component_id = component_id
        self._send = send
        self.bus = bus
        self.autopilot = autopilot or autopilot_for(3)
        self.state = VehicleState(system_id, component_id, autopilot=self.autopilot.name)
        self.expectations = Expectations()
        self.commands = CommandSender(
            send,
            self.expectations,
            target_system=system_id,
            target_component=component_id,
            ack_timeout_s=ack_timeout_s,
        )
        self.mission = MissionProtocol(
            send,
            self.expectations,
            target_system=system_id,
            target_component=component_id,
            home_items=self.autopilot.mission_home_items,
            home=self._home_triple,
            send_ahead=self.autopilot.mission_send_ahead,
        )
        self.params = Parameters(
            send, self.expectations, target_system=system_id, target_component=component_id
        )
        self.params.recorder = self._recorded
        self._payload = PayloadCommands(
            self.commands, send, system_id=system_id, component_id=component_id
        )
        #: what the autopilot strategy may do to this vehicle (unrecorded primitives)
        self._controls = Controls(
            state=lambda: self.state,
            set_mode=self._set_mode,
            arm=self._arm,
            command_long=self.commands.long,
        )
        self._telemetry_interval_s = 1.0 / telemetry_rate_hz if telemetry_rate_hz > 0 else 0.0
        self._last_telemetry_s = 0.0
        self._waiters: list[asyncio.Future[None]] = []
        self._mode_before_pause: str | None = None
        self._guided_target: Any = None
        self._set_link_signing = set_link_signing
        self._link_verifies = link_verifies or (lambda: False)
        self.streams_method: str | None = None
        self.limits = limits
        self._publish_alarm = publish_alarm
        self._rejected_alarm_s: dict[str, float] = {}
        self.geofence: Geofence | None = None
        #: the last frame from this vehicle carried a signature
        self.frames_signed = False
        self._timeouts_in_a_row = 0

    # -- incoming ------------------------------------------------------------------------------

    def handle(self, message: Any) -> None:
        """Fold one message from this vehicle into the state and publish what it means."""
        kind = message.get_type()
        if kind == "HEARTBEAT" and message.get_srcComponent() != self.component_id:
            return  # a camera or gimbal of this system: not the autopilot's heartbeat
        if kind == "PARAM_VALUE":
            self.params.observe(message)
        was_lost = self.state.link_lost
        was_armed, was_mode = self.state.armed, self.state.mode
        self.frames_signed = frame_is_signed(message)
        rejected: list[Rejected] = []
        note = apply_message(
            self.state,
            message,
            mission_seq_offset=self.autopilot.mission_home_items,
            limits=self.limits,
            rejected=rejected,
        )
        if rejected:
            self._flag_rejected(kind, rejected)
        if kind in _POSITION_MESSAGES:
            self._check_where()
        if note == "heartbeat":
            self.state.mode = self.autopilot.mode_name(self.state.custom_mode)
            if self.state.mode != was_mode and was_mode != "UNKNOWN":
                self._publish(
                    "vehicle.status",
                    {"event": "mode", "mode": self.state.mode, "previous": was_mode},
                )
            if self.state.armed != was_armed:
                self._publish(
                    "vehicle.status", {"event": "armed" if self.state.armed else "disarmed"}
                )
            if was_lost:
                self.state.link_lost = False
                self._publish("vehicle.status", {"event": "link_recovered"})
        elif note == "statustext":
            text = self.state.status_texts[-1]
            self._publish(
                "vehicle.status",
                {"event": "statustext", "severity": text.severity, "text": text.text},
            )
        elif note == "mission_current":
            self._publish(
                "mission.progress",
                {"event": "current", "seq": self.state.mission_current_seq},
            )
        elif note == "item_reached":
            self._publish(
                "mission.progress",
                {"event": "item_reached", "seq": self.state.mission_reached_seqs[-1]},
            )
        self.expectations.offer(message)
        self._wake_waiters()
        now = time.monotonic()
        if self.bus is not None and now - self._last_telemetry_s >= self._telemetry_interval_s:
            self._last_telemetry_s = now
            snapshot = self.state.to_dict()
            snapshot["drone_id"] = self.drone_id
            self.bus.publish("telemetry", snapshot)

    def _alarm(self, code: str, message: str, params: dict[str, Any], severity: str) -> None:
        if self._publish_alarm is not None:
            self._publish_alarm(FlightAlarm(code, self.drone_id, message, params, severity))

    def _flag_rejected(self, kind: str, rejected: list[Rejected]) -> None:
        now = time.monotonic()
        for problem in rejected:
            self.state.rejected_values += 1
            self.state.rejected_fields[problem.field] = repr(problem.value)
            last = self._rejected_alarm_s.get(problem.field)
            if last is not None and now - last < REJECTED_ALARM_INTERVAL_S:
                continue
            self._rejected_alarm_s[problem.field] = now
            self._alarm(
                TELEMETRY_REJECTED,
                f"vehicle {self.system_id} reported {problem.field} = {problem.value!r} in "
                f"{kind}, outside {problem.low:g}..{problem.high:g}: not used",
                {**problem.to_params(), "message_type": kind},
                "warning",
            )

    def _check_where(self) -> None:
        """Alarm when the vehicle rises above the ceiling or leaves its fence (whoever flew
        it there), once per excursion."""
        s = self.state
        ceiling = self.limits.altitude_ceiling_m
        altitude = s.relative_altitude_m
        if not math.isnan(altitude):
            if not s.above_ceiling and altitude > ceiling + CEILING_MARGIN_M:
                s.above_ceiling = True
                self._alarm(
                    ABOVE_CEILING,
                    f"vehicle {self.system_id} is at {altitude:.1f} m, above the "
                    f"{ceiling:g} m ceiling",
                    {"altitude_m": round(altitude, 1), "ceiling_m": ceiling, "mode": s.mode},
                    "critical",
                )
            elif s.above_ceiling and altitude < ceiling - CEILING_HYSTERESIS_M:
                s.above_ceiling = False
        fence = self.geofence
        if fence is None or fence.empty or not s.has_position:
            return
        breach = fence.breach(s.latitude_deg, s.longitude_deg)
        if breach is not None and not s.outside_fence:
            s.outside_fence = True
            self._alarm(
                OUTSIDE_FENCE,
                f"vehicle {self.system_id} is outside its geofence ({breach})",
                {
                    "breach": breach,
                    "latitude_deg": round(s.latitude_deg, 7),
                    "longitude_deg": round(s.longitude_deg, 7),
                    "mode": s.mode,
                },
                "critical",
            )
        elif breach is None:
            s.outside_fence = False

    def set_geofence(self, items: Sequence[MissionItem] | None) -> None:
        """The fence this vehicle must stay in (set on a fence upload; None: none)."""
        self.geofence = Geofence(items) if items else None
        self.state.outside_fence = False

    def _note_command_outcome(self, error: FlightError | None) -> None:
        """Flag the vehicle when its commands keep timing out while it signs frames with a
        key this link cannot verify (someone else set up signing on it)."""
        if not isinstance(error, CommandTimeout):
            self._timeouts_in_a_row = 0
            if error is None and self.state.signing_lost:
                self.state.signing_lost = False
            return
        self._timeouts_in_a_row += 1
        if (
            self._timeouts_in_a_row >= SIGNING_LOST_TIMEOUTS
            and self.frames_signed
            and not self._link_verifies()
            and not self.state.signing_lost
        ):
            self.state.signing_lost = True
            self._alarm(
                SIGNING_LOST,
                f"vehicle {self.system_id} signs its frames with a key this link does not "
                f"have, and its last {self._timeouts_in_a_row} commands timed out",
                {"timeouts": self._timeouts_in_a_row},
                "critical",
            )

    def check_link(self, lost_after_s: float) -> None:
        """Mark the vehicle link-lost after ``lost_after_s`` of silence (called by the fleet)."""
        age = self.state.heartbeat_age_s
        if not self.state.link_lost and age is not None and age > lost_after_s:
            self.state.link_lost = True
            self._publish(
                "vehicle.status", {"event": "link_lost", "silent_s": round(age, 3)}
            )
            self._wake_waiters()

    def _publish(self, topic: str, data: dict[str, Any]) -> None:
        if self.bus is not None:
            self.bus.publish(
                topic, {"drone_id": self.drone_id, "system_id": self.system_id, **data}
            )

    def _wake_waiters(self) -> None:
        waiters, self._waiters = self._waiters, []
        for future in waiters:
            if not future.done():
                future.set_result(None)

    async def wait_until(
        self, predicate: Callable[[VehicleState], bool], timeout_s: float = 30.0
    ) -> VehicleState:
        """Wait until ``predicate(state)`` holds; raise :class:`VehicleTimeout` after
        ``timeout_s``."""
        try:
            async with asyncio.timeout(timeout_s):
                while not predicate(self.state):
                    future = asyncio.get_running_loop().create_future()
                    self._waiters.append(future)
                    await future
        except TimeoutError:
            s = self.state
            raise VehicleTimeout(
                f"vehicle {self.system_id} did not reach the awaited state in {timeout_s:g} s "
                f"(mode {s.mode}, armed {s.armed}, altitude {s.relative_altitude_m:.1f} m)",
                field="timeout_s",
                value=timeout_s,
            ) from None
        return self.state

    def _home_triple(self) -> tuple[float, float, float]:
        home = self.state.home
        if home is not None:
            return home.latitude_deg, home.longitude_deg, home.altitude_amsl_m
        if self.state.has_position:
            return self.state.latitude_deg, self.state.longitude_deg, self.state.altitude_amsl_m
        return 0.0, 0.0, 0.0

    # -- the command record --------------------------------------------------------------------

    async def _recorded(
        self,
        name: str,
        actor: str,
        params: dict[str, Any],
        action: Callable[[], Awaitable[T]],
        *,
        success: str = "ACCEPTED",
    ) -> T:
        started_s = time.time()
        try:
            result = await action()
        except FlightError as error:
            self._note_command_outcome(error)
            self._publish(
                "command",
                {
                    "command": name,
                    "actor": actor,
                    "params": params,
                    "result": error.to_dict().get("result_name", type(error).__name__),
                    "error": error.message,
                    "accepted": False,
                    "duration_s": round(time.time() - started_s, 3),
                },
            )
            raise
        self._note_command_outcome(None)
        self._publish(
            "command",
            {
                "command": name,
                "actor": actor,
                "params": params,
                "result": success,
                "accepted": True,
                "duration_s": round(time.time() - started_s, 3),
            },
        )
        return result

    # -- modes, arming ------------------------------------------------------------------------

    def _custom_mode(self, name: str) -> int:
        custom = self.autopilot.custom_mode(name)
        if custom is None:
            raise ModeUnknown(
                f"{self.autopilot.name} has no mode {name!r}",
                field="mode",
                value=name,
                limit=self.autopilot.mode_names(),
            )
        return custom

    async def _set_mode(self, name: str, *, timeout_s: float = 5.0) -> None:
        custom = self._custom_mode(name)
        try:
            await self.commands.long(
                MAV_CMD_DO_SET_MODE, MAV_MODE_FLAG_CUSTOM_MODE_ENABLED, custom
            )
        except CommandRejected as error:
            if error.result_name != "UNSUPPORTED":
                raise
            self._send(
                mavlink.MAVLink_set_mode_message(
                    self.system_id, MAV_MODE_FLAG_CUSTOM_MODE_ENABLED, custom
                )
            )
        await self.wait_until(lambda s: s.custom_mode == custom, timeout_s=timeout_s)

    async def set_mode(self, name: str, *, actor: str = "system") -> None:
        """Switch flight mode by name (``"GUIDED"``, ``"AUTO"``, PX4 ``"AUTO.MISSION"``)."""
        await self._recorded("set_mode", actor, {"mode": name}, lambda: self._set_mode(name))

    async def _arm(self) -> None:
        started_s = time.time()
        try:
            await self.commands.long(MAV_CMD_COMPONENT_ARM_DISARM, 1)
        except CommandRejected as error:
            await asyncio.sleep(0.2)  # reasons may trail the ack on the link
            reasons = self.autopilot.arming_refusals(
                [t.text for t in self.state.status_texts if t.time_s >= started_s - 1.0]
            )
            because = "; ".join(reasons) if reasons else error.result_name
            raise ArmingRefused(
                f"vehicle {self.system_id} refused to arm: {because}",
                result=error.result,
                command=error.command,
                reasons=reasons,
            ) from None
        await self.wait_until(lambda s: s.armed, timeout_s=5.0)

    async def arm(self, *, actor: str = "system") -> None:
        await self._recorded("arm", actor, {}, self._arm)

    async def _disarm(self, force: bool) -> None:
        await self.commands.long(
            MAV_CMD_COMPONENT_ARM_DISARM, 0, FORCE_ARM_DISARM_MAGIC if force else 0
        )
        await self.wait_until(lambda s: not s.armed, timeout_s=5.0)

    async def disarm(self, *, force: bool = False, actor: str = "system") -> None:
        await self._recorded("disarm", actor, {"force": force}, lambda: self._disarm(force))

    # -- flying ------------------------------------------------------------------------------

    async def takeoff(self, altitude_m: float, *, actor: str = "system") -> None:
        """Take off to ``altitude_m`` above home (switching to GUIDED and arming if needed)."""
        altitude_m = _check_range("altitude_m", altitude_m, 1.0, ALTITUDE_MAX_M)

        async def act() -> None:
            await self.autopilot.ensure_guided_and_armed(self._controls)
            self._guided_target = None
            try:
                await self.commands.long(MAV_CMD_NAV_TAKEOFF, 0, 0, 0, 0, 0, 0, altitude_m)
            except CommandRejected as error:
                # a retry after a lost ack is refused because the first one worked: climbing
                if error.attempts == 1:
                    raise
                await asyncio.sleep(0.3)
                s = self.state
                airborne = s.relative_altitude_m > 0.5 or s.climb_rate_m_s > 0.1
                if not (s.armed and airborne):
                    raise

        await self._recorded("takeoff", actor, {"altitude_m": altitude_m}, act)

    async def goto(
        self,
        latitude_deg: float,
        longitude_deg: float,
        relative_altitude_m: float,
        *,
        actor: str = "system",
    ) -> None:
        """Fly to a point in GUIDED mode (a position target; the vehicle sends no ack)."""
        latitude_deg = _check_range("latitude_deg", latitude_deg, -90.0, 90.0)
        longitude_deg = _check_range("longitude_deg", longitude_deg, -180.0, 180.0)
        relative_altitude_m = _check_range(
            "relative_altitude_m", relative_altitude_m, 0.0, ALTITUDE_MAX_M
        )

        async def act() -> None:
            guided = self._custom_mode(self.autopilot.guided_mode)
            if self.state.custom_mode != guided:
                await self._set_mode(self.autopilot.guided_mode)
            self._guided_target = mavlink.MAVLink_set_position_target_global_int_message(
                0,
                self.system_id,
                self.component_id,
                mavlink.MAV_FRAME_GLOBAL_RELATIVE_ALT_INT,
                _POSITION_ONLY_MASK,
                round(latitude_deg * 1e7),
                round(longitude_deg * 1e7),
                relative_altitude_m,
                0, 0, 0, 0, 0, 0, 0, 0,
            )
            self._send(self._guided_target)

        await self._recorded(
            "goto",
            actor,
            {
                "latitude_deg": latitude_deg,
                "longitude_deg": longitude_deg,
                "relative_altitude_m": relative_altitude_m,
            },
            act,
            success="SENT",  # a position target has no acknowledgement
        )

    async def rtl(self, *, actor: str = "system") -> None:
        await self._recorded("rtl", actor, {}, lambda: self._set_mode(self.autopilot.rtl_mode))

    async def land(self, *, actor: str = "system") -> None:
        await self._recorded("land", actor, {}, lambda: self._set_mode(self.autopilot.land_mode))

    async def pause(self, *, actor: str = "system") -> None:
        """Stop where it is (the autopilot's pause mode: ArduPilot BRAKE, else LOITER);
        :meth:`resume` returns to the previous mode."""

        async def act() -> str:
            previous = self.state.mode
            mode = await self.autopilot.pause(self._controls)
            if previous not in self.autopilot.pause_modes:
                self._mode_before_pause = previous
            return mode

        await self._recorded("pause", actor, {}, act)

    async def resume(self, *, actor: str = "system") -> None:
        async def act() -> None:
            mode = self._mode_before_pause or self.autopilot.auto_mode
            await self._set_mode(mode)
            self._mode_before_pause = None
            if mode == self.autopilot.guided_mode and self._guided_target is not None:
                self._send(self._guided_target)  # GUIDED forgets its target in BRAKE

        await self._recorded("resume", actor, {}, act)

    async def set_speed(self, speed_m_s: float, *, actor: str = "system") -> None:
        speed_m_s = _check_range("speed_m_s", speed_m_s, 0.1, SPEED_MAX_M_S)

        async def act() -> None:
            await self.commands.long(MAV_CMD_DO_CHANGE_SPEED, 1, speed_m_s, -1)

        await self._recorded("set_speed", actor, {"speed_m_s": speed_m_s}, act)

    async def set_roi(
        self, latitude_deg: float, longitude_deg: float, altitude_m: float, *, actor: str = "system"
    ) -> None:
        """Point the camera at a location (DO_SET_ROI_LOCATION)."""
        latitude_deg = _check_range("latitude_deg", latitude_deg, -90.0, 90.0)
        longitude_deg = _check_range("longitude_deg", longitude_deg, -180.0, 180.0)
        altitude_m = _check_range("altitude_m", altitude_m, -1000.0, ALTITUDE_MAX_M)

        async def act() -> None:
            await self.commands.long(
                MAV_CMD_DO_SET_ROI_LOCATION, 0, 0, 0, 0, latitude_deg, longitude_deg, altitude_m
            )

        params = {"latitude_deg": latitude_deg, "longitude_deg": longitude_deg,
                  "altitude_m": altitude_m}
        await self._recorded("set_roi", actor, params, act)

    async def start_mission(self, *, actor: str = "system") -> None:
        """Start the uploaded mission as the autopilot strategy does it (ArduPilot: arm in
        GUIDED if needed, then MISSION_START, else AUTO)."""
        await self._recorded(
            "start_mission", actor, {}, lambda: self.autopilot.start_mission(self._controls)
        )

    async def set_current_item(self, seq: int, *, actor: str = "system") -> None:
        await self._recorded(
            "set_current_item", actor, {"seq": seq}, lambda: self.mission.set_current(seq)
        )

    # -- payloads and flight controls (MAVLink in :mod:`jinghang.flight.payload`) ----------

    async def play_clip(self, clip_id: int, *, actor: str = "system") -> None:
        """Play a prerecorded loudspeaker message by id."""
        clip_id = int(_check_range("clip_id", clip_id, 1, CLIP_ID_MAX))
        await self._recorded(
            "loudspeaker", actor, {"clip_id": clip_id}, lambda: self._payload.play_clip(clip_id)
        )

    async def speak(self, text: str, *, actor: str = "system") -> None:
        """Speak ``text`` on the loudspeaker (text to speech on the payload)."""
        tts_bytes(text)
        await self._recorded(
            "loudspeaker", actor, {"text": text.strip()}, lambda: self._payload.speak(text)
        )

    async def set_spotlight(self, on: bool, *, relay: int = 0, actor: str = "system") -> None:
        relay = int(_check_range("relay", relay, 0, RELAY_MAX))
        await self._recorded(
            "spotlight", actor, {"on": on, "relay": relay},
            lambda: self._payload.spotlight(on, relay),
        )

    async def release_payload(self, *, actor: str = "system") -> None:
        """Open the release (gripper) and let the load go."""
        await self._recorded("release_payload", actor, {}, self._payload.release)

    async def point_gimbal(
        self, pitch_deg: float, yaw_deg: float, *, actor: str = "system"
    ) -> None:
        pitch_deg = _check_range("pitch_deg", pitch_deg, *GIMBAL_PITCH_RANGE_DEG)
        yaw_deg = _check_range("yaw_deg", yaw_deg, *GIMBAL_YAW_RANGE_DEG)
        await self._recorded(
            "gimbal", actor, {"pitch_deg": pitch_deg, "yaw_deg": yaw_deg},
            lambda: self._payload.gimbal(pitch_deg, yaw_deg),
        )

    async def set_zoom(self, zoom_percent: float, *, actor: str = "system") -> None:
        zoom_percent = _check_range("zoom_percent", zoom_percent, 0.0, 100.0)
        await self._recorded(
            "zoom", actor, {"zoom_percent": zoom_percent},
            lambda: self._payload.zoom(zoom_percent),
        )

    async def set_camera_source(self, source: str, *, actor: str = "system") -> None:
        """Switch the video to the ``"rgb"`` or ``"ir"`` (thermal) camera."""
        if source not in CAMERA_SOURCES:
            raise PayloadInputError(
                f"source must be one of {sorted(CAMERA_SOURCES)}, got {source!r}",
                field="source", value=source, limit=sorted(CAMERA_SOURCES),
            )
        await self._recorded(
            "camera_source", actor, {"source": source},
            lambda: self._payload.camera_source(source),
        )

    def _need_position(self) -> tuple[float, float]:
        s = self.state
        if not s.has_position:
            raise NoPosition(
                f"vehicle {self.system_id} has no position yet", field="position",
                code="vehicle.no_position",
            )
        return s.latitude_deg, s.longitude_deg

    def _check_ceiling(self, relative_altitude_m: float) -> float:
        return _check_range(
            "relative_altitude_m", relative_altitude_m, 1.0, self.limits.altitude_ceiling_m
        )

    async def set_altitude(self, relative_altitude_m: float, *, actor: str = "system") -> None:
        """Climb or descend where it is (GUIDED reposition), within the ceiling."""
        relative_altitude_m = self._check_ceiling(relative_altitude_m)

        async def act() -> None:
            latitude_deg, longitude_deg = self._need_position()
            await self._payload.reposition(latitude_deg, longitude_deg, relative_altitude_m)
            self._guided_target = None

        await self._recorded(
            "set_altitude", actor, {"relative_altitude_m": relative_altitude_m}, act
        )

    async def orbit(
        self,
        latitude_deg: float,
        longitude_deg: float,
        radius_m: float,
        *,
        relative_altitude_m: float | None = None,
        actor: str = "system",
    ) -> None:
        """Circle a point at ``radius_m`` (DO_ORBIT), at the given or the current height."""
        latitude_deg = _check_range("latitude_deg", latitude_deg, -90.0, 90.0)
        longitude_deg = _check_range("longitude_deg", longitude_deg, -180.0, 180.0)
        radius_m = _check_range("radius_m", radius_m, *ORBIT_RADIUS_RANGE_M)
        height_m = (
            self._check_ceiling(relative_altitude_m)
            if relative_altitude_m is not None
            else self._check_ceiling(max(1.0, self.state.relative_altitude_m))
        )
        params = {"latitude_deg": latitude_deg, "longitude_deg": longitude_deg,
                  "radius_m": radius_m, "relative_altitude_m": height_m}
        await self._recorded(
            "orbit", actor, params,
            lambda: self._payload.orbit(latitude_deg, longitude_deg, radius_m, height_m),
        )

    # -- signing -------------------------------------------------------------------------

    async def setup_signing(self, key: bytes, *, actor: str = "system") -> None:
        """Give the vehicle a MAVLink 2 signing key (SETUP_SIGNING, sent on the still
        unsigned link), then sign this link with it and check that the vehicle answers."""
        signing.check_key(key)

        async def act() -> None:
            self._send(
                mavlink.MAVLink_setup_signing_message(
                    self.system_id,
                    self.component_id,
                    list(key),
                    signing.signing_timestamp_now(),
                )
            )
            if self._set_link_signing is not None:
                self._set_link_signing(key)
            # a signed request must get a signed answer
            await self.commands.long(MAV_CMD_REQUEST_MESSAGE, MAVLINK_MSG_ID_HOME_POSITION)

        await self._recorded("setup_signing", actor, {}, act)

    # -- missions ------------------------------------------------------------------------------

    async def upload_mission(
        self,
        items: Sequence[MissionItem],
        mission_type: MissionType = MissionType.MISSION,
        *,
        actor: str = "system",
    ) -> None:
        await self._recorded(
            "upload_mission",
            actor,
            {"mission_type": mission_type.name, "count": len(items)},
            lambda: self.mission.upload(items, mission_type),
        )
        if mission_type == MissionType.FENCE:
            self.set_geofence(items)

    async def download_mission(
        self, mission_type: MissionType = MissionType.MISSION
    ) -> list[MissionItem]:
        return await self.mission.download(mission_type)

    async def clear_mission(
        self, mission_type: MissionType = MissionType.MISSION, *, actor: str = "system"
    ) -> None:
        await self._recorded(
            "clear_mission",
            actor,
            {"mission_type": mission_type.name},
            lambda: self.mission.clear(mission_type),
        )
        if mission_type == MissionType.FENCE:
            self.set_geofence(None)
