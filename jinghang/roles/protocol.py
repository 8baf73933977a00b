"""Commands across the bus: which vehicle commands travel, how a link worker applies one, and
how its answer turns back into the exception the API's routes already handle.

A ``command.request`` (:class:`jinghang.bus.subjects.CommandRequestData`) names the drone, the
command, its parameters, the user (``actor``) and a unique ``request_id``. The link worker
holding the drone's lease applies it with :func:`apply` and answers with a ``command.reply``
(:class:`jinghang.bus.subjects.CommandReplyData`); :func:`raise_for` turns a reply that is not
``accepted`` into :class:`~jinghang.flight.errors.CommandRejected` (409),
:class:`~jinghang.flight.errors.CommandTimeout` (504) or :class:`LinkUnreachable` (503).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from jinghang.errors import JinghangError
from jinghang.flight.errors import CommandRejected, CommandTimeout, FlightError

#: How long an API node waits for the link worker's answer (the vehicle's own retries of a
#: COMMAND_LONG take up to about 5 s; a mode change waits for the heartbeat that shows it).
REPLY_TIMEOUT_S = 12.0
#: A request older than this (by its envelope's time) is not executed: its sender gave up.
MAX_REQUEST_AGE_S = REPLY_TIMEOUT_S
#: The key-value bucket of executed request ids (each executed at most once, for a day).
DONE_BUCKET = "jh_commands"
DONE_TTL_S = 24 * 3600.0

Apply = Callable[[Any, dict[str, Any], str], Awaitable[None]]


class LinkUnreachable(JinghangError):
    """No link worker holds the drone, or the one that does did not answer in time."""

    status_code = 503
    title = "Drone link unreachable"
    code = "drone.link_unreachable"


def _num(params: dict[str, Any], name: str) -> float:
    value = params.get(name)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"parameter {name!r} must be a number")
    return float(value)


def _opt_num(params: dict[str, Any], name: str) -> float | None:
    return None if params.get(name) is None else _num(params, name)


COMMANDS: dict[str, Apply] = {
    "pause": lambda v, p, a: v.pause(actor=a),
    "resume": lambda v, p, a: v.resume(actor=a),
    "rtl": lambda v, p, a: v.rtl(actor=a),
    "land": lambda v, p, a: v.land(actor=a),
    "goto": lambda v, p, a: v.goto(_num(p, "latitude_deg"), _num(p, "longitude_deg"),
                                   _num(p, "relative_altitude_m"), actor=a),
    "play_clip": lambda v, p, a: v.play_clip(int(_num(p, "clip_id")), actor=a),
    "speak": lambda v, p, a: v.speak(str(p.get("text", "")), actor=a),
    "spotlight": lambda v, p, a: v.set_spotlight(bool(p.get("on")),
                                                 relay=int(_num(p, "relay")), actor=a),
    "release_payload": lambda v, p, a: v.release_payload(actor=a),
    "gimbal": lambda v, p, a: v.point_gimbal(_num(p, "pitch_deg"), _num(p, "yaw_deg"), actor=a),
    "zoom": lambda v, p, a: v.set_zoom(_num(p, "zoom_percent"), actor=a),
    "camera_source": lambda v, p, a: v.set_camera_source(str(p.get("source")), actor=a),
    "set_altitude": lambda v, p, a: v.set_altitude(_num(p, "relative_altitude_m"), actor=a),
    "set_speed": lambda v, p, a: v.set_speed(_num(p, "speed_m_s"), actor=a),
    "orbit": lambda v, p, a: v.orbit(_num(p, "latitude_deg"), _num(p, "longitude_deg"),
                                     _num(p, "radius_m"),
                                     relative_altitude_m=_opt_num(p, "relative_altitude_m"),
                                     actor=a),
}
"""Every command a link worker executes for an API node: name -> how to apply it."""

READS = frozenset({"param_get"})
"""Requests that read from the vehicle and change nothing: answered with ``value``, not
recorded as commands."""


async def apply(vehicle: Any, command: str, params: dict[str, Any],
                actor: str) -> dict[str, Any]:
    """Run one command on a live vehicle; the reply's outcome fields (never raises for the
    vehicle's answer: a refusal or a timeout is an outcome)."""
    if command == "param_get":
        try:
            value = await vehicle.params.get(str(params.get("name", "")))
        except (FlightError, ValueError) as error:
            return {"outcome": "failed", "error": str(error)}
        return {"outcome": "accepted", "value": float(value)}
    action = COMMANDS.get(command)
    if action is None:
        return {"outcome": "failed", "error": f"unknown command {command!r}"}
    try:
        await action(vehicle, params, actor)
    except CommandRejected as error:
        return {"outcome": "rejected", "result_name": error.to_dict().get("result_name"),
                "error": error.message}
    except CommandTimeout as error:
        return {"outcome": "no_answer", "error": error.message}
    except (FlightError, ValueError) as error:
        return {"outcome": "failed", "error": str(error)}
    return {"outcome": "accepted"}


def raise_for(reply: dict[str, Any], drone_id: int) -> None:
    """Raise what the API answers for a reply that is not ``accepted``."""
    outcome = reply.get("outcome")
    command = str(reply.get("command", "?"))
    error = str(reply.get("error") or "")
    if outcome == "accepted":
        return
    if outcome == "rejected":
        raise CommandRejected(error or f"vehicle {drone_id} refused {command}",
                              result=_result_number(reply.get("result_name")), command=0,
                              field="drone_id", value=drone_id)
    if outcome == "no_answer":
        raise CommandTimeout(error or f"vehicle {drone_id} did not answer {command}",
                             field="drone_id", value=drone_id)
    raise LinkUnreachable(f"the link worker of drone {drone_id} could not run {command}: "
                          f"{error}", field="drone_id", value=drone_id,
                          code="drone.command_failed", drone_id=drone_id, command=command)


def _result_number(name: Any) -> int:
    from jinghang.flight.errors import MAV_RESULT_NAMES

    for number, known in MAV_RESULT_NAMES.items():
        if known == name:
            return int(number)
    return 4  # MAV_RESULT_FAILED
