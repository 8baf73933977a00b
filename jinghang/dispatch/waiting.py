"""An incident waiting for a drone (or for a pilot's confirmation), as the dispatcher keeps
it in memory beside the store: its playbook, place and priority, the drones that refused it
(set aside until a time), and a drone held for a confirmation."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from jinghang.dispatch.lifecycle import IncidentState
from jinghang.dispatch.playbooks import Playbook
from jinghang.dispatch.selection import Candidate


@dataclass
class Waiting:
    """An incident waiting for a drone (or a confirmation), as the dispatcher keeps it."""

    incident_id: int
    playbook: Playbook
    point: tuple[float, float]
    priority: int
    area: list[list[float]] | None
    state: IncidentState
    reason: str = ""
    #: system id -> clock time before which the drone is not tried again (it refused).
    set_aside: dict[int, dt.datetime] = field(default_factory=dict)
    #: A drone held for a playbook that waits for a pilot's confirmation.
    held: Candidate | None = None
    reported_at: dt.datetime | None = None
