"""Flying a drone by hand (pilot or commander): take over (pause), goto, RTL, land, release;
the payload and flight controls (loudspeaker, spotlight, drop, gimbal, zoom, camera source,
altitude, speed, orbit) and who has control; and marking a drone that landed away from its
base as recovered (carried home).

A drone flying a dispatched mission goes through the dispatcher's handover: ``pause`` takes it
over (it stops and waits), ``goto`` flies it by hand (checked against the ceiling and the
no-fly zones), ``release`` resumes the mission where it stopped, ``rtl`` recalls it. A drone
not on a dispatched mission is commanded directly (goto is checked the same way). Every
command is recorded with its acknowledgement by the dispatcher's command recorder and every
request in the audit trail.

A payload control is refused with 409 ``payload.missing`` (naming the payload) when the
register says the drone does not carry it, and with 409 ``pilot.not_in_control`` when the drone
flies a dispatched mission that this pilot has not taken over. Its answer is ``accepted``
(200, :class:`CommandOutcome`), ``command.refused`` (409, the vehicle's MAV_RESULT) or
``command.no_answer`` (504)."""

from __future__ import annotations

import math
from collections.abc import Awaitable
from typing import Any, Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field, model_validator
from sqlmodel import col, select

from jinghang.api.deps import Flyer, ServicesDep, note_audit
from jinghang.api.dispatching import dispatcher_of
from jinghang.api.limits import DroneId
from jinghang.api.register import VehicleNotFound, VehicleView, vehicle_view
from jinghang.api.services import Services
from jinghang.dispatch.dispatcher import Dispatcher
from jinghang.dispatch.errors import HandoverError
from jinghang.errors import JinghangError
from jinghang.flight.errors import CommandRejected, CommandTimeout
from jinghang.flight.payload import TTS_TEXT_MAX_BYTES
from jinghang.store.models import VehicleCommand

router = APIRouter(prefix="/fleet", tags=["pilot"])



class Goto(BaseModel):
    latitude_deg: float = Field(ge=-90, le=90, strict=True)
    longitude_deg: float = Field(ge=-180, le=180, strict=True)
    relative_altitude_m: float = Field(default=50.0, gt=0, le=500)


def _dispatched(dispatcher: Dispatcher, drone_id: int) -> bool:
    return drone_id in dispatcher.flights


def _vehicle(services: Services, drone_id: int):  # type: ignore[no-untyped-def]
    fleet = services.fleet
    vehicle = fleet.vehicles.get(drone_id) if fleet is not None else None
    if vehicle is None:
        raise VehicleNotFound(
            f"vehicle {drone_id} has no live link", field="drone_id", value=drone_id
        )
    return vehicle


@router.post("/{drone_id}/pause", response_model=VehicleView, summary="Take over: stop here")
async def pause(
    request: Request, services: ServicesDep, who: Flyer, drone_id: DroneId
) -> VehicleView:
    note_audit(request, "vehicle.pause", "vehicle", drone_id)
    dispatcher = dispatcher_of(services)
    if _dispatched(dispatcher, drone_id):
        await dispatcher.take_over(drone_id, actor=who.username)
    else:
        await _vehicle(services, drone_id).pause(actor=who.username)
    return vehicle_view(services, drone_id)


@router.post("/{drone_id}/goto", response_model=VehicleView, summary="Fly to a point by hand")
async def goto(
    request: Request, services: ServicesDep, who: Flyer, drone_id: DroneId, to: Goto
) -> VehicleView:
    note_audit(request, "vehicle.goto", "vehicle", drone_id, **to.model_dump())
    dispatcher = dispatcher_of(services)
    if _dispatched(dispatcher, drone_id):
        await dispatcher.pilot_goto(
            drone_id, to.latitude_deg, to.longitude_deg, to.relative_altitude_m, actor=who.username
        )
    else:
        vehicle = _vehicle(services, drone_id)
        state = vehicle.state
        start = (state.latitude_deg, state.longitude_deg) if state.has_position else None
        dispatcher.check_point(
            to.latitude_deg, to.longitude_deg, to.relative_altitude_m, start=start
        )
        await vehicle.goto(
            to.latitude_deg, to.longitude_deg, to.relative_altitude_m, actor=who.username
        )
    return vehicle_view(services, drone_id)


@router.post("/{drone_id}/rtl", response_model=VehicleView, summary="Return to launch")
async def rtl(
    request: Request, services: ServicesDep, who: Flyer, drone_id: DroneId
) -> VehicleView:
    note_audit(request, "vehicle.rtl", "vehicle", drone_id)
    dispatcher = dispatcher_of(services)
    if _dispatched(dispatcher, drone_id):
        await dispatcher.recall_drone(drone_id, actor=who.username)
    else:
        await _vehicle(services, drone_id).rtl(actor=who.username)
    return vehicle_view(services, drone_id)


@router.post("/{drone_id}/land", response_model=VehicleView, summary="Land where it is")
async def land(
    request: Request, services: ServicesDep, who: Flyer, drone_id: DroneId
) -> VehicleView:
    note_audit(request, "vehicle.land", "vehicle", drone_id)
    await _vehicle(services, drone_id).land(actor=who.username)
    return vehicle_view(services, drone_id)


@router.post(
    "/{drone_id}/release",
    response_model=VehicleView,
    summary="Give the drone back: the mission resumes where it stopped",
)
async def release(
    request: Request, services: ServicesDep, who: Flyer, drone_id: DroneId
) -> VehicleView:
    note_audit(request, "vehicle.release", "vehicle", drone_id)
    await dispatcher_of(services).release(drone_id, actor=who.username)
    return vehicle_view(services, drone_id)


@router.post(
    "/{drone_id}/recovered",
    response_model=VehicleView,
    summary="A drone that landed away from its base is back home: available again",
)
async def recovered(
    request: Request, services: ServicesDep, who: Flyer, drone_id: DroneId
) -> VehicleView:
    note_audit(request, "vehicle.recovered.request", "vehicle", drone_id)
    await dispatcher_of(services).mark_recovered(drone_id, actor=who.username)
    return vehicle_view(services, drone_id)


# ------------------------------------------------------------------ payload and flight controls


class PayloadMissing(JinghangError):
    status_code = 409
    title = "Payload missing"


class CommandRefused(JinghangError):
    status_code = 409
    title = "Command refused by the drone"


class CommandNoAnswer(JinghangError):
    status_code = 504
    title = "No answer from the drone"


class Loudspeaker(BaseModel):
    """A prerecorded message by id, or a text to speak (one of the two)."""

    clip_id: int | None = Field(default=None, ge=1, le=65535)
    text: str | None = Field(default=None, min_length=1, max_length=TTS_TEXT_MAX_BYTES)

    @model_validator(mode="after")
    def _one_of(self) -> Loudspeaker:
        if (self.clip_id is None) == (self.text is None):
            raise ValueError("give either clip_id or text")
        if self.text is not None and len(self.text.encode("utf-8")) > TTS_TEXT_MAX_BYTES:
            raise ValueError(f"text must be at most {TTS_TEXT_MAX_BYTES} bytes in UTF-8")
        return self


class Spotlight(BaseModel):
    on: bool


class Gimbal(BaseModel):
    pitch_deg: float = Field(ge=-90, le=30)
    yaw_deg: float = Field(default=0.0, ge=-180, le=180)


class Zoom(BaseModel):
    zoom_percent: float = Field(ge=0, le=100)


class CameraSource(BaseModel):
    source: Literal["rgb", "ir"]


class Altitude(BaseModel):
    relative_altitude_m: float = Field(gt=0, le=500)


class Speed(BaseModel):
    speed_m_s: float = Field(ge=0.5, le=30)


class OrbitPoint(BaseModel):
    latitude_deg: float = Field(ge=-90, le=90, strict=True)
    longitude_deg: float = Field(ge=-180, le=180, strict=True)
    radius_m: float = Field(ge=5, le=1000)
    relative_altitude_m: float | None = Field(default=None, gt=0, le=500)


class CommandOutcome(BaseModel):
    """A control the drone accepted."""

    drone_id: int
    command: str
    result: Literal["accepted"] = "accepted"
    code: str = "command.accepted"
    controlled_by: str | None = None


class LastCommand(BaseModel):
    command: str
    actor: str
    result: str
    params: dict[str, Any] | None = None
    at: str


class Control(BaseModel):
    """Who has the drone, and the last command it was sent."""

    drone_id: int
    dispatched: bool
    #: the pilot who took the dispatched drone over (None: the dispatcher flies it, or no one)
    controlled_by: str | None
    last_command: LastCommand | None = None


def _controlled_by(services: Services, drone_id: int) -> tuple[bool, str | None]:
    flight = dispatcher_of(services).flights.get(drone_id)
    if flight is None:
        return False, None
    return True, flight.handed_over_to


def _require(services: Services, drone_id: int, *payloads: str) -> None:
    """Refuse unless the register lists one of ``payloads`` for the drone."""
    carried = vehicle_view(services, drone_id).payloads
    if not any(p in carried for p in payloads):
        name = payloads[0]
        raise PayloadMissing(
            f"vehicle {drone_id} has no {name} (it carries: {', '.join(carried) or 'nothing'})",
            field="payload", value=name, limit=list(carried), code="payload.missing",
            payload=name, drone_id=drone_id,
        )


def _in_hand(services: Services, who: Any, drone_id: int):  # type: ignore[no-untyped-def]
    """The vehicle, if this user may command it: a dispatched drone only once taken over."""
    dispatched, holder = _controlled_by(services, drone_id)
    if dispatched and holder != who.username:
        raise HandoverError(
            f"vehicle {drone_id} flies a dispatched mission"
            + (f" with pilot {holder}" if holder else "")
            + "; take it over first",
            field="drone_id", value=drone_id, code="pilot.not_in_control",
            controlled_by=holder,
        )
    return _vehicle(services, drone_id)


async def _answer(
    services: Services, drone_id: int, name: str, sent: Awaitable[None]
) -> CommandOutcome:
    try:
        await sent
    except CommandTimeout:
        raise CommandNoAnswer(
            f"vehicle {drone_id} did not answer {name}", field="drone_id", value=drone_id,
            code="command.no_answer", command=name,
        ) from None
    except CommandRejected as error:
        raise CommandRefused(
            f"vehicle {drone_id} refused {name}: {error.result_name}", field="drone_id",
            value=drone_id, code="command.refused", command=name,
            result_name=error.result_name,
        ) from None
    return CommandOutcome(
        drone_id=drone_id, command=name, controlled_by=_controlled_by(services, drone_id)[1]
    )


@router.get("/{drone_id}/control", response_model=Control, summary="Who has the drone")
async def control(services: ServicesDep, who: Flyer, drone_id: DroneId) -> Control:
    vehicle_view(services, drone_id)  # 404 for an unknown drone
    dispatched, holder = _controlled_by(services, drone_id)
    with services.store.read_session() as session:
        row = session.exec(
            select(VehicleCommand)
            .where(VehicleCommand.drone_id == drone_id)
            .order_by(col(VehicleCommand.id).desc())
            .limit(1)
        ).first()
    last = None
    if row is not None:
        last = LastCommand(command=row.command, actor=row.actor, result=row.result,
                           params=row.params, at=row.created_at.isoformat())
    return Control(drone_id=drone_id, dispatched=dispatched, controlled_by=holder,
                   last_command=last)


@router.post("/{drone_id}/loudspeaker", response_model=CommandOutcome,
             summary="Play a prerecorded message or speak a text")
async def loudspeaker(
    request: Request, services: ServicesDep, who: Flyer, drone_id: DroneId, say: Loudspeaker
) -> CommandOutcome:
    note_audit(request, "vehicle.loudspeaker", "vehicle", drone_id, **say.model_dump())
    _require(services, drone_id, "loudspeaker")
    vehicle = _in_hand(services, who, drone_id)
    if say.clip_id is not None:
        sent = vehicle.play_clip(say.clip_id, actor=who.username)
    else:
        sent = vehicle.speak(say.text, actor=who.username)
    return await _answer(services, drone_id, "loudspeaker", sent)


@router.post("/{drone_id}/spotlight", response_model=CommandOutcome,
             summary="Spotlight on or off")
async def spotlight(
    request: Request, services: ServicesDep, who: Flyer, drone_id: DroneId, light: Spotlight
) -> CommandOutcome:
    note_audit(request, "vehicle.spotlight", "vehicle", drone_id, on=light.on)
    _require(services, drone_id, "spotlight")
    vehicle = _in_hand(services, who, drone_id)
    relay = services.settings.spotlight_relay
    return await _answer(services, drone_id, "spotlight",
                         vehicle.set_spotlight(light.on, relay=relay, actor=who.username))


@router.post("/{drone_id}/drop", response_model=CommandOutcome,
             summary="Open the release: let the load go")
async def drop(
    request: Request, services: ServicesDep, who: Flyer, drone_id: DroneId
) -> CommandOutcome:
    note_audit(request, "vehicle.drop", "vehicle", drone_id)
    _require(services, drone_id, "release")
    vehicle = _in_hand(services, who, drone_id)
    return await _answer(services, drone_id, "release_payload",
                         vehicle.release_payload(actor=who.username))


@router.post("/{drone_id}/gimbal", response_model=CommandOutcome,
             summary="Point the camera gimbal (pitch, yaw)")
async def gimbal(
    request: Request, services: ServicesDep, who: Flyer, drone_id: DroneId, aim: Gimbal
) -> CommandOutcome:
    note_audit(request, "vehicle.gimbal", "vehicle", drone_id, **aim.model_dump())
    _require(services, drone_id, "gimbal", "camera")
    vehicle = _in_hand(services, who, drone_id)
    return await _answer(services, drone_id, "gimbal",
                         vehicle.point_gimbal(aim.pitch_deg, aim.yaw_deg, actor=who.username))


@router.post("/{drone_id}/zoom", response_model=CommandOutcome, summary="Camera zoom")
async def zoom(
    request: Request, services: ServicesDep, who: Flyer, drone_id: DroneId, level: Zoom
) -> CommandOutcome:
    note_audit(request, "vehicle.zoom", "vehicle", drone_id, **level.model_dump())
    _require(services, drone_id, "zoom")
    vehicle = _in_hand(services, who, drone_id)
    return await _answer(services, drone_id, "zoom",
                         vehicle.set_zoom(level.zoom_percent, actor=who.username))


@router.post("/{drone_id}/camera", response_model=CommandOutcome,
             summary="Switch the video between the day (rgb) and thermal (ir) camera")
async def camera(
    request: Request, services: ServicesDep, who: Flyer, drone_id: DroneId,
    choice: CameraSource,
) -> CommandOutcome:
    note_audit(request, "vehicle.camera", "vehicle", drone_id, source=choice.source)
    _require(services, drone_id, "thermal")
    vehicle = _in_hand(services, who, drone_id)
    return await _answer(services, drone_id, "camera_source",
                         vehicle.set_camera_source(choice.source, actor=who.username))


@router.post("/{drone_id}/altitude", response_model=CommandOutcome,
             summary="Climb or descend where it is (within the ceiling)")
async def altitude(
    request: Request, services: ServicesDep, who: Flyer, drone_id: DroneId, to: Altitude
) -> CommandOutcome:
    note_audit(request, "vehicle.altitude", "vehicle", drone_id, **to.model_dump())
    vehicle = _in_hand(services, who, drone_id)
    state = vehicle.state
    if state.has_position:
        dispatcher_of(services).check_point(
            state.latitude_deg, state.longitude_deg, to.relative_altitude_m
        )
    return await _answer(services, drone_id, "set_altitude",
                         vehicle.set_altitude(to.relative_altitude_m, actor=who.username))


@router.post("/{drone_id}/speed", response_model=CommandOutcome, summary="Ground speed")
async def speed(
    request: Request, services: ServicesDep, who: Flyer, drone_id: DroneId, to: Speed
) -> CommandOutcome:
    note_audit(request, "vehicle.speed", "vehicle", drone_id, **to.model_dump())
    vehicle = _in_hand(services, who, drone_id)
    return await _answer(services, drone_id, "set_speed",
                         vehicle.set_speed(to.speed_m_s, actor=who.username))


@router.post("/{drone_id}/orbit", response_model=CommandOutcome,
             summary="Circle a point at a radius")
async def orbit(
    request: Request, services: ServicesDep, who: Flyer, drone_id: DroneId, around: OrbitPoint
) -> CommandOutcome:
    note_audit(request, "vehicle.orbit", "vehicle", drone_id, **around.model_dump())
    vehicle = _in_hand(services, who, drone_id)
    state = vehicle.state
    here_m = state.relative_altitude_m
    height_m = around.relative_altitude_m or (
        here_m if math.isfinite(here_m) and here_m > 1.0 else 1.0
    )
    start = (state.latitude_deg, state.longitude_deg) if state.has_position else None
    dispatcher_of(services).check_point(around.latitude_deg, around.longitude_deg, height_m,
                                        start=start)
    return await _answer(
        services, drone_id, "orbit",
        vehicle.orbit(around.latitude_deg, around.longitude_deg, around.radius_m,
                      relative_altitude_m=height_m, actor=who.username),
    )
