"""A flight the dispatcher follows, and how its phase is read from telemetry. Pure.

:func:`observe` turns one vehicle state into the phase of the flight: ``en_route`` until the
mission reaches its first item on scene, ``on_scene`` while it flies the playbook's pattern,
``returning`` from the final RTL/LAND item (or any returning mode: a recall, a failsafe), and
``landed`` once the drone is disarmed after having been armed for this flight. Phases only
move forward, except that a redirect resets the flight to ``en_route``. While a pilot has the
drone (handover) the mode is the pilot's business and only returning and landing are read.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass, field
from typing import Any

from jinghang.flight import autopilot_named
from jinghang.missions.items import MissionItem

#: Above this height (m) the drone counts as having taken off.
AIRBORNE_M = 1.0


class Phase(enum.IntEnum):
    LAUNCHING = 0
    EN_ROUTE = 1
    ON_SCENE = 2
    RETURNING = 3
    LANDED = 4


@dataclass
class Flight:
    """One drone flying one sortie of a case (its first flight) or one patrol run."""

    system_id: int
    mission_id: int
    items: list[MissionItem]
    scene_seq: int
    return_seq: int
    incident_id: int | None = None
    patrol_run_id: int | None = None
    #: The sortie flown (for an incident).
    sortie_id: int | None = None
    phase: Phase = Phase.LAUNCHING
    took_off: bool = False
    #: Seen armed since the launch (a drone that disarms again without climbing has landed).
    armed_seen: bool = False
    handed_over_to: str | None = None
    resume_seq: int | None = None
    recalled_by: str | None = None
    last_seq: int = -1
    #: After a new mission is sent mid-flight, the item the vehicle must report first; until
    #: it does, its sequence numbers belong to the old mission and are not read.
    await_seq: int | None = None
    alerts: set[str] = field(default_factory=set)
    #: Loop time the link was first seen lost (None while it is up).
    lost_since: float | None = None
    #: The incident was failed for lost contact (the drone is still followed, if it returns).
    lost_reported: bool = False

    @property
    def label(self) -> str:
        if self.incident_id is not None:
            return f"incident {self.incident_id}"
        return f"patrol run {self.patrol_run_id}"


def observe(flight: Flight, state: Any) -> Phase:
    """The phase ``state`` shows for ``flight`` (never earlier than the current one)."""
    alt = state.relative_altitude_m
    if state.armed:
        flight.armed_seen = True
        if not math.isnan(alt) and alt > AIRBORNE_M:
            flight.took_off = True
    if (flight.took_off or flight.armed_seen) and not state.armed:
        return Phase.LANDED
    phase = flight.phase
    if phase == Phase.LAUNCHING:
        return phase
    if autopilot_named(state.autopilot).is_returning(state.mode):
        return max(phase, Phase.RETURNING)
    if flight.handed_over_to is not None:
        return phase
    seq = state.mission_current_seq
    if flight.await_seq is not None:
        if seq != flight.await_seq:
            return phase
        flight.await_seq = None
    if seq is not None and seq >= flight.return_seq:
        return max(phase, Phase.RETURNING)
    if seq is not None and seq > flight.scene_seq:
        return max(phase, Phase.ON_SCENE)
    return max(phase, Phase.EN_ROUTE)
