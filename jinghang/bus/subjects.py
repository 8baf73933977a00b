"""The NATS subjects, JetStream streams and message schema of the scale-out bus, in one place.

The bus carries the same typed events as the in-process bus (:mod:`jinghang.events`): a topic
and a JSON object. Each topic maps to one subject root; the entity the event is about (a drone,
a case, a sortie) is the last subject token, so a node can subscribe to one drone or one case:

================  ===========================  =========  =====================================
topic             subject                      delivery   payload (``data``)
================  ===========================  =========  =====================================
telemetry         ``jh.telemetry.<drone>``     core       :class:`TelemetryData`
video.detection   ``jh.video.<drone>``         core       :class:`DetectionData`
vehicle.status    ``jh.vehicle.<drone>``       JetStream  :class:`VehicleStatusData`
mission.progress  ``jh.mission.<drone>``       JetStream  :class:`MissionProgressData`
command           ``jh.cmd.<drone>.result``    JetStream  :class:`CommandResultData`
(command request) ``jh.cmd.<drone>``           JetStream  :class:`CommandRequestData`
(command reply)   ``jh.cmd.<drone>.reply``     JetStream  :class:`CommandReplyData`
incident          ``jh.case.<case>``           JetStream  :class:`CaseStateData`
case              ``jh.casenote.<case>``       JetStream  :class:`CodedData`
sortie            ``jh.sortie.<sortie>``       JetStream  :class:`SortieStateData`, coded
patrol            ``jh.patrol.<patrol>``       JetStream  :class:`CodedData`
alert             ``jh.alert``                 JetStream  :class:`AlertData`
flight.alarm      ``jh.alarm.<drone>``         JetStream  :class:`FlightAlarmData`
audit             ``jh.audit``                 JetStream  :class:`AuditData`
role.heartbeat    ``jh.role.<name>``           core       :class:`HeartbeatData`
any other topic   ``jh.x.<topic>``             core       any JSON object
================  ===========================  =========  =====================================

Core subjects are fire-and-forget (telemetry is perishable: the next report supersedes it).
JetStream subjects are stored in the streams of :data:`STREAMS` and must not be lost: commands
and their results, state changes of drones, cases, sorties and patrols, alerts, the audit trail.

Every message is an :class:`Envelope` serialised with orjson, carrying :data:`SCHEMA_VERSION`.
:func:`decode` refuses anything hostile or malformed with a :class:`Refused` naming a stable
reason code (:data:`REFUSALS`); the bus counts and logs those and goes on.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any, NotRequired, TypedDict

import orjson

SCHEMA_VERSION = 1
"""The envelope's ``v``; a receiver refuses any other version (``bad_version``)."""

PREFIX = "jh"
MAX_MESSAGE_BYTES = 256 * 1024
"""The largest envelope a node accepts or sends (the server's own limit is 1 MiB)."""

_TOPIC_RE = re.compile(r"^[a-z][a-z0-9_-]{0,31}(\.[a-z][a-z0-9_-]{0,31}){0,3}$")
_TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_ORIGIN_RE = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
_ID_RE = re.compile(r"^[0-9a-f]{32}$")
NO_KEY = "_"
"""The last token when an event names no entity (e.g. a link error before any drone)."""


# ----------------------------------------------------------------------------- payload schemas


class TelemetryData(TypedDict):
    """``telemetry``: a drone's state (``VehicleState.to_dict()``), a few times a second."""

    drone_id: int
    lat_deg: NotRequired[float | None]
    lon_deg: NotRequired[float | None]


class DetectionData(TypedDict):
    """``video.detection``: what the analytics saw in one frame of a drone's stream."""

    drone_id: NotRequired[int | str]
    detections: NotRequired[list[Any]]


class VehicleStatusData(TypedDict):
    """``vehicle.status``: mode, arming, link lost/recovered, register status changes."""

    drone_id: int | None
    event: NotRequired[str]
    status: NotRequired[str]
    from_status: NotRequired[str | None]


class MissionProgressData(TypedDict):
    """``mission.progress``: the current item of a drone's mission (vehicle or dispatcher)."""

    drone_id: int
    seq: NotRequired[int]
    current_seq: NotRequired[int]
    sortie_id: NotRequired[int | None]


class CommandRequestData(TypedDict):
    """``command.request``: a command for the link worker holding the drone."""

    drone_id: int
    command: str
    actor: str
    params: dict[str, Any]
    request_id: str


class CommandResultData(TypedDict):
    """``command``: a command's outcome as acknowledged (or not) by the vehicle."""

    drone_id: int
    command: str
    actor: str | None
    params: dict[str, Any]
    result: Any


class CommandReplyData(TypedDict):
    """``command.reply``: a link worker's answer to one ``command.request`` (same
    ``request_id``): ``outcome`` is ``accepted``, ``rejected`` (``result_name``: the vehicle's
    MAV_RESULT), ``no_answer`` or ``failed`` (``error``); ``worker`` names who executed it."""

    drone_id: int
    command: str
    actor: str
    params: dict[str, Any]
    request_id: str
    outcome: str
    result_name: NotRequired[str | None]
    error: NotRequired[str | None]
    worker: NotRequired[str]


class CaseStateData(TypedDict):
    """``incident``: a case's state change."""

    id: int
    state: str
    from_state: str | None
    actor: NotRequired[str | None]


class SortieStateData(TypedDict):
    """``sortie`` with ``code == "sortie.state"``: a sortie's state change."""

    code: str
    id: int
    incident_id: int | None
    state: str
    from_state: str | None


class CodedData(TypedDict):
    """``case``, ``sortie``, ``patrol``: a coded event (``code`` plus its parameters)."""

    code: str


class AlertData(TypedDict):
    """``alert``: an alert of the alerts service (or the older level/message pair)."""

    message: NotRequired[str]
    level: NotRequired[str]
    code: NotRequired[str]


class FlightAlarmData(TypedDict):
    """``flight.alarm``: a flight-core alarm (link trust, rejected mission, ...)."""

    code: str
    drone_id: int | None
    message: str
    params: dict[str, Any]
    severity: str


class AuditData(TypedDict):
    """``audit``: one entry of the audit trail."""

    action: NotRequired[str]


class HeartbeatData(TypedDict):
    """``role.heartbeat``: a role process saying it is alive, every
    :data:`jinghang.roles.health.HEARTBEAT_S`: its ``name`` (unique per process), ``role``
    (``link``, ``api``), the drones whose leases it holds, its links (``name``,
    ``connected``, ``last_error``), its start (wall clock) and its version. Not in
    :data:`CORE_SUBJECTS`: the roles' health view listens for it itself."""

    name: str
    role: str
    drones: list[int]
    links: list[dict[str, Any]]
    started_s: float
    version: str


# The fields :func:`decode` checks per topic: name -> allowed JSON types. Producers may add
# fields; a missing or mistyped field here is refused (``bad_data``).
_INT = (int,)
_OPT_INT = (int, type(None))
_STR = (str,)
_OPT_STR = (str, type(None))
_OBJ = (dict,)
REQUIRED_FIELDS: dict[str, dict[str, tuple[type, ...]]] = {
    "telemetry": {"drone_id": _INT},
    "vehicle.status": {"drone_id": _OPT_INT},
    "mission.progress": {"drone_id": _INT},
    "command": {"drone_id": _INT, "command": _STR, "actor": _OPT_STR, "params": _OBJ},
    "command.request": {"drone_id": _INT, "command": _STR, "actor": _STR, "params": _OBJ,
                        "request_id": _STR},
    "command.reply": {"drone_id": _INT, "command": _STR, "actor": _STR, "params": _OBJ,
                      "request_id": _STR, "outcome": _STR},
    "incident": {"id": _INT, "state": _STR},
    "case": {"code": _STR},
    "sortie": {"code": _STR},
    "patrol": {"code": _STR},
    "flight.alarm": {"code": _STR, "drone_id": _OPT_INT, "message": _STR, "params": _OBJ,
                     "severity": _STR},
    "role.heartbeat": {"name": _STR, "role": _STR, "drones": (list,), "links": (list,),
                       "started_s": (int, float), "version": _STR},
}


# ----------------------------------------------------------------------------- topics -> subjects


@dataclass(frozen=True, slots=True)
class Route:
    """How one topic travels: its subject root, which field names the entity, durability."""

    topic: str
    root: str
    key_field: str | None
    durable: bool
    suffix: str = ""

    def subject(self, data: dict[str, Any]) -> str:
        if self.key_field is None:
            return f"{PREFIX}.{self.root}"
        token = subject_token(data.get(self.key_field))
        return f"{PREFIX}.{self.root}.{token}{self.suffix}"

    @property
    def wildcard(self) -> str:
        """The subject filter matching every event of this topic."""
        if self.key_field is None:
            return f"{PREFIX}.{self.root}"
        return f"{PREFIX}.{self.root}.*{self.suffix}"


ROUTES: dict[str, Route] = {r.topic: r for r in (
    Route("telemetry", "telemetry", "drone_id", durable=False),
    Route("video.detection", "video", "drone_id", durable=False),
    Route("vehicle.status", "vehicle", "drone_id", durable=True),
    Route("mission.progress", "mission", "drone_id", durable=True),
    Route("command", "cmd", "drone_id", durable=True, suffix=".result"),
    Route("command.request", "cmd", "drone_id", durable=True),
    Route("command.reply", "cmd", "drone_id", durable=True, suffix=".reply"),
    Route("incident", "case", "id", durable=True),
    Route("case", "casenote", "case_id", durable=True),
    Route("sortie", "sortie", "id", durable=True),
    Route("patrol", "patrol", "patrol_id", durable=True),
    Route("alert", "alert", None, durable=True),
    Route("flight.alarm", "alarm", "drone_id", durable=True),
    Route("audit", "audit", None, durable=True),
    Route("role.heartbeat", "role", "name", durable=False),
)}
OTHER_ROOT = "x"
"""Topics not in :data:`ROUTES` travel on core ``jh.x.<topic>``."""


def check_topic(topic: str) -> None:
    """Raise :class:`ValueError` for a topic that cannot be a subject (a programming error)."""
    if not _TOPIC_RE.match(topic):
        raise ValueError(f"topic {topic!r} must be 1-4 dot-separated lowercase words")


def subject_token(value: object) -> str:
    """One subject token for an entity id: the id itself when safe, else :data:`NO_KEY`."""
    if isinstance(value, bool) or value is None:
        return NO_KEY
    text = str(value)
    return text if _TOKEN_RE.match(text) else NO_KEY


def route_for(topic: str) -> Route:
    """The route of ``topic``; unknown topics get a core route on ``jh.x.<topic>``."""
    route = ROUTES.get(topic)
    if route is not None:
        return route
    check_topic(topic)
    return Route(topic, f"{OTHER_ROOT}.{topic}", None, durable=False)


def subject_for(topic: str, data: dict[str, Any]) -> str:
    """The subject an event of ``topic`` with ``data`` is published on.

    A sortie's coded events (``sortie.failed``, ``drone.home``, ...) ride on the subject of the
    sortie they name (``sortie_id``), or ``jh.sortie._`` when they name none.
    """
    if topic == "sortie" and data.get("code") != "sortie.state":
        return f"{PREFIX}.sortie.{subject_token(data.get('sortie_id'))}"
    return route_for(topic).subject(data)


CORE_SUBJECTS: tuple[str, ...] = (
    f"{PREFIX}.telemetry.*", f"{PREFIX}.video.*", f"{PREFIX}.{OTHER_ROOT}.>",
)
"""What a node subscribes to on core NATS (every non-durable route)."""


# ----------------------------------------------------------------------------- JetStream streams


@dataclass(frozen=True, slots=True)
class StreamSpec:
    """A JetStream stream the bus creates on start, with its limits (oldest discarded first)."""

    name: str
    subjects: tuple[str, ...]
    max_age_s: float
    max_msgs: int
    max_bytes: int
    duplicate_window_s: float = 120.0


STREAMS: tuple[StreamSpec, ...] = (
    StreamSpec("JH_CMD", (f"{PREFIX}.cmd.>",),
               max_age_s=24 * 3600, max_msgs=1_000_000, max_bytes=512 * 1024 * 1024),
    StreamSpec("JH_STATE", tuple(f"{PREFIX}.{root}.>" for root in (
        "vehicle", "mission", "case", "casenote", "sortie", "patrol")),
               max_age_s=7 * 24 * 3600, max_msgs=5_000_000, max_bytes=2 * 1024**3),
    StreamSpec("JH_ALERT", (f"{PREFIX}.alert", f"{PREFIX}.alarm.>", f"{PREFIX}.audit"),
               max_age_s=30 * 24 * 3600, max_msgs=5_000_000, max_bytes=2 * 1024**3),
)
"""Every durable route's subject falls in exactly one of these (checked by the tests)."""


# ----------------------------------------------------------------------------- the envelope


@dataclass(frozen=True, slots=True)
class Envelope:
    """One event on the wire: topic, payload, wall-clock time, sending node and a unique id.

    ``id`` doubles as JetStream's ``Nats-Msg-Id``, so a durable event resent after an outage
    is stored once.
    """

    topic: str
    data: dict[str, Any]
    time_s: float
    origin: str
    id: str

    def encode(self) -> bytes:
        """The wire form; :class:`ValueError` if not JSON (orjson's rules) or too large."""
        problem = check_data(self.topic, self.data)
        if problem is not None:
            raise ValueError(problem)
        try:
            payload = orjson.dumps({"v": SCHEMA_VERSION, "topic": self.topic,
                                    "time_s": self.time_s, "origin": self.origin, "id": self.id,
                                    "data": self.data})
        except orjson.JSONEncodeError as exc:
            raise ValueError(f"event on {self.topic!r} is not JSON: {exc}") from None
        if len(payload) > MAX_MESSAGE_BYTES:
            raise ValueError(f"event on {self.topic!r} is {len(payload)} bytes; "
                             f"the limit is {MAX_MESSAGE_BYTES}")
        return payload


REFUSALS = ("too_large", "not_json", "not_object", "bad_version", "bad_topic", "bad_origin",
            "bad_id", "bad_time", "bad_data", "subject_mismatch")
"""The stable reason codes of :class:`Refused`."""


def check_data(topic: str, data: object) -> str | None:
    """What is wrong with ``data`` as the payload of ``topic`` (:data:`REQUIRED_FIELDS`)."""
    if not isinstance(data, dict):
        return f"{topic}: data is not an object"
    for name, types in REQUIRED_FIELDS.get(topic, {}).items():
        value = data.get(name, ...)
        if value is ... or not isinstance(value, types) or isinstance(value, bool):
            return (f"{topic}: field {name!r} missing or not "
                    + "/".join(t.__name__ for t in types))
    return None


class Refused(ValueError):
    """A message from the bus that is not a valid :class:`Envelope` (``code`` in REFUSALS)."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(f"{code}: {detail}")
        self.code = code
        self.detail = detail


def decode(subject: str, payload: bytes) -> Envelope:
    """Parse and check one message received on ``subject``; raise :class:`Refused` if bad."""
    if len(payload) > MAX_MESSAGE_BYTES:
        raise Refused("too_large", f"{len(payload)} bytes > {MAX_MESSAGE_BYTES}")
    try:
        raw = orjson.loads(payload)
    except orjson.JSONDecodeError as exc:
        raise Refused("not_json", str(exc)[:80]) from None
    if not isinstance(raw, dict):
        raise Refused("not_object", type(raw).__name__)
    version = raw.get("v")
    if version != SCHEMA_VERSION or isinstance(version, bool):
        raise Refused("bad_version", f"v={str(version)[:20]} (this node reads {SCHEMA_VERSION})")
    topic = raw.get("topic")
    if not isinstance(topic, str) or not _TOPIC_RE.match(topic):
        raise Refused("bad_topic", repr(topic)[:80])
    origin = raw.get("origin")
    if not isinstance(origin, str) or not _ORIGIN_RE.match(origin):
        raise Refused("bad_origin", repr(origin)[:80])
    msg_id = raw.get("id")
    if not isinstance(msg_id, str) or not _ID_RE.match(msg_id):
        raise Refused("bad_id", repr(msg_id)[:80])
    time_s = raw.get("time_s")
    if (not isinstance(time_s, (int, float)) or isinstance(time_s, bool)
            or not math.isfinite(time_s) or time_s < 0):
        raise Refused("bad_time", repr(time_s)[:80])
    data = raw.get("data")
    problem = check_data(topic, data)
    if problem is not None:
        raise Refused("bad_data", problem)
    assert isinstance(data, dict)
    try:
        expected = subject_for(topic, data)
    except ValueError as exc:
        raise Refused("bad_topic", str(exc)[:80]) from None
    if expected != subject:
        raise Refused("subject_mismatch", f"{topic} belongs on {expected}, came on {subject}")
    return Envelope(topic, data, float(time_s), origin, msg_id)
