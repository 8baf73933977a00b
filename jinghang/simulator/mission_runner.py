"""The AUTO-mode mission executor, as ArduCopter runs a mission.

It walks the uploaded list (ArduPilot numbering: home is item 0, the first real item is 1):
a navigation command is started and verified (reached, held, loitered, landed); the DO
commands between two navigation commands run when the first of them completes, as the next
one starts (AP_Mission::advance_current_nav_cmd); DO_JUMP loops a bounded or unlimited number
of times. Each completed navigation command produces MISSION_ITEM_REACHED (via the vehicle's
outbox). The runner only decides; the vehicle (``host``) flies and reports.
"""

from __future__ import annotations

import enum
import math
from typing import TYPE_CHECKING

from jinghang.missions.items import Cmd, Frame, MissionItem
from jinghang.simulator import notices

if TYPE_CHECKING:
    from jinghang.simulator.vehicle import SimVehicle

NAV_COMMANDS = frozenset(
    {
        Cmd.NAV_WAYPOINT,
        Cmd.NAV_LOITER_UNLIM,
        Cmd.NAV_LOITER_TURNS,
        Cmd.NAV_LOITER_TIME,
        Cmd.NAV_RETURN_TO_LAUNCH,
        Cmd.NAV_LAND,
        Cmd.NAV_TAKEOFF,
        Cmd.NAV_DELAY,
    }
)


class MissionState(enum.IntEnum):
    """MISSION_STATE values as MISSION_CURRENT carries them."""

    UNKNOWN = 0
    NO_MISSION = 1
    NOT_STARTED = 2
    ACTIVE = 3
    PAUSED = 4
    COMPLETE = 5


class MissionRunner:
    """Runs the mission of ``host`` while it is in AUTO."""

    def __init__(self, host: SimVehicle) -> None:
        self.host = host
        self.current_seq = 0
        self.state = MissionState.NOT_STARTED
        self.paused = False
        self._jump_counts: dict[int, int] = {}
        self._hold_started_s: float | None = None
        #: Since when the vehicle has been stopped (kept across items: an item started where
        #: the vehicle already stands has nothing left to settle).
        self._settled_since_s: float | None = None
        self._reached_position = False
        self._loiter_turns_deg = 0.0

    @property
    def items(self) -> list[MissionItem]:
        return self.host.mission_items

    # -- starting and stopping -------------------------------------------------------------
    def start_or_resume(self) -> bool:
        """Start from the current item (or the first, after completion); False if empty."""
        if len(self.items) <= 1:
            return False
        start = self.current_seq
        if self.state == MissionState.COMPLETE or not 1 <= start < len(self.items):
            start = 1
            self._jump_counts.clear()
        self.paused = False
        self.state = MissionState.ACTIVE
        self._advance(start)
        return True

    def set_current(self, seq: int, *, running: bool) -> bool:
        if not 0 <= seq < max(1, len(self.items)):
            return False
        seq = max(1, seq) if len(self.items) > 1 else 0
        self.current_seq = seq
        self.host.emit(notices.MissionCurrentChanged(seq))
        if running:
            self.state = MissionState.ACTIVE
            self._advance(seq)
        elif self.state == MissionState.COMPLETE:
            self.state = MissionState.NOT_STARTED
        return True

    def reset(self) -> None:
        """The mission list changed: start from the beginning next time."""
        self.current_seq = 0
        self.state = MissionState.NOT_STARTED
        self._jump_counts.clear()

    def _next_nav_is_takeoff(self) -> bool:
        for item in self.items[self.current_seq + 1 :]:
            if int(item.command) in NAV_COMMANDS:
                return int(item.command) == Cmd.NAV_TAKEOFF
        return False

    def starts_with_takeoff(self) -> bool:
        for item in self.items[1:]:
            if int(item.command) in NAV_COMMANDS:
                return int(item.command) == Cmd.NAV_TAKEOFF
        return False

    # -- advancing ---------------------------------------------------------------------
    def _advance(self, seq: int) -> None:
        """Run DO commands and jumps from ``seq`` on, and start the next navigation command."""
        guard = 0
        while seq < len(self.items):
            guard += 1
            if guard > 10 * len(self.items) + 10:
                break  # a loop of jumps with nothing to fly: treat as the end
            item = self.items[seq]
            cmd = int(item.command)
            if cmd == Cmd.DO_JUMP:
                target = int(item.param1)
                repeat = int(item.param2)
                done = self._jump_counts.get(seq, 0)
                if 1 <= target < len(self.items) and (repeat < 0 or done < repeat):
                    self._jump_counts[seq] = done + 1
                    total = "unlimited" if repeat < 0 else str(repeat)
                    self.host.emit(
                        notices.StatusText(
                            notices.SEVERITY_INFO, f"Mission: {seq} Jump {done + 1}/{total}"
                        )
                    )
                    seq = target
                else:
                    seq += 1
                continue
            if cmd in NAV_COMMANDS:
                self._start_nav(seq)
                return
            self.host.run_do_command(seq, item)
            seq += 1
        self._complete()

    def _start_nav(self, seq: int) -> None:
        self.current_seq = seq
        self._hold_started_s = None
        self._reached_position = False
        self._loiter_turns_deg = 0.0
        self.host.emit(notices.MissionCurrentChanged(seq))
        self.host.start_nav_command(self.items[seq])

    def _complete(self) -> None:
        self.state = MissionState.COMPLETE
        self.host.mission_complete()

    # -- verifying ---------------------------------------------------------------------
    def update(self, dt_s: float) -> None:
        if self.state != MissionState.ACTIVE or self.paused:
            return
        if not 1 <= self.current_seq < len(self.items):
            self._complete()
            return
        item = self.items[self.current_seq]
        if self._verify(item, dt_s):
            seq = self.current_seq
            self.host.emit(notices.ItemReached(seq))
            if int(item.command) in (Cmd.NAV_WAYPOINT, Cmd.NAV_LOITER_TIME, Cmd.NAV_LOITER_TURNS):
                self.host.emit(notices.StatusText(notices.SEVERITY_INFO, f"Reached command #{seq}"))
            self._advance(seq + 1)

    def _verify(self, item: MissionItem, dt_s: float) -> bool:
        host = self.host
        cmd = int(item.command)
        now = host.time_s
        if cmd == Cmd.NAV_TAKEOFF:
            return host.takeoff_complete()
        if cmd == Cmd.NAV_WAYPOINT:
            radius_m = item.param2 if item.param2 > 0 else host.param("WPNAV_RADIUS") / 100.0
            if not self._reached_position:
                self._reached_position = host.at_target(max(0.1, radius_m)) and self._done_with()
            if not self._reached_position:
                return False
            if self._hold_started_s is None:
                self._hold_started_s = now
            return now - self._hold_started_s >= max(0.0, item.param1)
        if cmd == Cmd.NAV_LOITER_TIME:
            if not self._reached_position:
                self._reached_position = host.at_target(
                    host.param("WPNAV_RADIUS") / 100.0
                ) and self._done_with()
                return False
            if self._hold_started_s is None:
                self._hold_started_s = now
            return now - self._hold_started_s >= max(0.0, item.param1)
        if cmd == Cmd.NAV_LOITER_TURNS:
            if not self._reached_position:
                if host.at_target(max(1.0, abs(item.param3) * 0.2 + 1.0), circle_edge=True):
                    self._reached_position = True
                    host.begin_circle_at_target()
                return False
            turns = max(0.0, item.param1)
            return host.circle_travel_deg() >= turns * 360.0
        if cmd == Cmd.NAV_LOITER_UNLIM:
            return False
        if cmd == Cmd.NAV_DELAY:
            if self._hold_started_s is None:
                self._hold_started_s = now
            return now - self._hold_started_s >= max(0.0, item.param1)
        if cmd == Cmd.NAV_RETURN_TO_LAUNCH:
            return host.landed_complete()
        if cmd == Cmd.NAV_LAND:
            # as ArduCopter: a landing completes (and is reported) only when a takeoff
            # follows; otherwise the vehicle disarms on the ground with the land item current
            return host.landed_complete() and self._next_nav_is_takeoff()
        return True

    def _done_with(self) -> bool:
        """A waypoint is done when the vehicle flies through it, or has stopped on it and
        settled there (ArduCopter counts a stop as reached only once its S-curve has finished
        and the vehicle itself is within the radius: ``settle_s`` of the shared model)."""
        from jinghang.simulator.guidance import passes_through, settled

        host = self.host
        if passes_through(host):
            return True
        if not settled(host):
            self._settled_since_s = None
            return False
        if self._settled_since_s is None:
            self._settled_since_s = host.time_s
        return host.time_s - self._settled_since_s >= host.model.settle_s


def item_relative_altitude_m(item: MissionItem, home_alt_amsl_m: float) -> float:
    """An item's altitude above home, whatever its frame says it is relative to."""
    if int(item.frame) in (Frame.GLOBAL, Frame.GLOBAL_INT):
        return item.altitude_m - home_alt_amsl_m
    return item.altitude_m


def has_position(item: MissionItem) -> bool:
    return not (item.latitude_deg == 0 and item.longitude_deg == 0) and math.isfinite(
        item.latitude_deg + item.longitude_deg
    )
