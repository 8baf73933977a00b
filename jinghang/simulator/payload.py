"""What the simulated drone's payloads were told, kept for tests and the demo: loudspeaker
messages played (clip ids and spoken texts), the spotlight, releases, gimbal pitch and yaw,
zoom, camera source, orbits. The MAVLink conventions are those of the
flight core's payload commands: a text to speak arrives in a TUNNEL message (payload type
:data:`TTS_TUNNEL_TYPE`, one byte of text id, then UTF-8) and is spoken on ``MAV_CMD_USER_1``
with param1 0 and param2 the text id."""

from __future__ import annotations

from dataclasses import dataclass, field

from jinghang.mavlink.constants import TTS_TUNNEL_TYPE


@dataclass(frozen=True, slots=True)
class Played:
    """One loudspeaker message: a clip by id, or a spoken text."""

    clip_id: int | None = None
    text: str | None = None


@dataclass(frozen=True, slots=True)
class Orbit:
    latitude_deg: float
    longitude_deg: float
    radius_m: float
    relative_altitude_m: float


@dataclass(slots=True)
class SimPayload:
    """The payload state and history of one simulated drone."""

    played: list[Played] = field(default_factory=list)
    #: the relay instance the spotlight is wired to
    spotlight_relay: int = 0
    #: a loudspeaker that takes commands and never answers (a hung script): for tests
    loudspeaker_silent: bool = False
    spotlight_on: bool = False
    spotlight_changes: list[bool] = field(default_factory=list)
    releases: int = 0
    gimbal: list[tuple[float, float]] = field(default_factory=list)
    zoom_percent: float = 0.0
    camera_source: int = 1
    orbits: list[Orbit] = field(default_factory=list)
    _texts: dict[int, str] = field(default_factory=dict)

    def receive_text(self, payload_type: int, data: bytes) -> None:
        """A TUNNEL message: keep a text to speak under its id."""
        if payload_type != TTS_TUNNEL_TYPE or len(data) < 2:
            return
        self._texts[data[0]] = data[1:].decode("utf-8", errors="replace")

    def play(self, clip_id: int, text_id: int) -> bool:
        """MAV_CMD_USER_1: play a clip, or speak a text received before; False if unknown."""
        if clip_id > 0:
            self.played.append(Played(clip_id=clip_id))
            return True
        text = self._texts.pop(text_id, None)
        if text is None:
            return False
        self.played.append(Played(text=text))
        return True

    def set_spotlight(self, on: bool) -> None:
        self.spotlight_on = on
        self.spotlight_changes.append(on)
