"""A flight the dispatcher follows: the sortie or patrol run it flies, its mission run and
what the dispatcher remembers of it (handover, recall, lost link). Pure.

The phase and its reading are the mission run's (:mod:`jinghang.missions.progress`,
re-exported here): :func:`observe` turns one vehicle state into the phase of the flight,
``en_route`` until the mission reaches its first item on scene, ``on_scene`` while it flies
the playbook's pattern, ``returning`` from the final RTL/LAND item (or any mode the
autopilot's strategy calls returning: a recall, a failsafe), and ``landed`` once the drone
is disarmed after having been armed. Phases only move forward, except that a redirect
resets the flight to ``en_route``. While a pilot has the drone (handover) the mode is the
pilot's business and only returning and landing are read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from jinghang.missions.items import MissionItem
from jinghang.missions.progress import AIRBORNE_M as AIRBORNE_M
from jinghang.missions.progress import Phase as Phase
from jinghang.missions.progress import observe as observe

if TYPE_CHECKING:
    from jinghang.missions.run import MissionRun


@dataclass
class Flight:
    """One drone flying one sortie of a case (its first flight) or one patrol run."""

    drone_id: int
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
    #: The mission run that flies it (set when it is launched or followed again).
    run: MissionRun | None = field(default=None, repr=False)
    #: Loop time of the last progress sent to the console.
    progress_sent_at: float = -1e9

    @property
    def label(self) -> str:
        if self.incident_id is not None:
            return f"incident {self.incident_id}"
        return f"patrol run {self.patrol_run_id}"
