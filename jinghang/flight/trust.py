"""Link trust: which source may speak for which system id, and the quarantine of unknown ids.

A *source* is a link, plus on a UDP listening link the peer address a datagram came from. A
system id is bound to the source whose autopilot HEARTBEAT first proved it; from then on:

- traffic for that id from the bound source is trusted (state, commands' answers);
- traffic for it from any other source is *spoofed*: dropped, counted on the binding
  (``spoofed_frames``, ``last_spoof_source``) and raised as a ``link.spoofed_sysid`` alarm
  (at most once per ``alarm_interval_s`` per id), unless the link signs and the frame's
  signature was verified, which proves it and moves the binding there (``link.rebound``);
- after ``rebind_after_s`` of silence from the bound source, a new source may prove the id
  again with a heartbeat (a drone whose UDP port changed after a reboot), also ``link.rebound``.

Which ids may be bound: never 0, 255 or the platform's own id; with a register
(``registered(system_id) -> bool``) only registered ids; without one (the demo's and the
tests' simple setups) the first id proved on each source, so one sender can never create more
than one vehicle. Autopilot heartbeats from ids that may not be bound are held in
:attr:`LinkTrust.quarantine` (visible to an admin, never a vehicle, never commanded) and
forgotten after ``quarantine_expiry_s`` of silence. No I/O; the fleet calls in.

With ``identify`` (per-link system ids), a drone is not its system id: it is the register's
vehicle id that ``identify(VehicleKey(link, peer, system_id))`` names for the source and the
system id it speaks there, so any number of drones may each be system 1 on their own links or
UDP peers. Bindings are then kept by vehicle id and looked up by that key; a source and id the
register does not name are quarantined; a second source for a vehicle id already bound is
spoofed, as above. Without ``identify`` the vehicle id is the system id.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import Any

from jinghang.flight.alarms import REBOUND, SPOOFED_SYSID, UNKNOWN_SYSID, FlightAlarm, Publish
from jinghang.mavlink.constants import MAV_AUTOPILOT_INVALID, MAV_TYPE_GCS

BROADCAST_SYSTEM_ID = 0
GCS_RESERVED_SYSTEM_ID = 255
#: how often a quarantined id's registration is asked again (the register is a database)
REGISTER_RECHECK_S = 2.0
QUARANTINE_MAX = 256


class Verdict(Enum):
    TRUSTED = "trusted"
    SPOOFED = "spoofed"
    QUARANTINED = "quarantined"
    IGNORED = "ignored"


def source_name(link_name: str, peer: Any) -> str:
    """A source for people: the link, and the UDP peer as host:port."""
    if peer is None:
        return link_name
    try:
        host, port = peer[0], peer[1]
    except (TypeError, IndexError):
        return f"{link_name} from {peer}"
    return f"{link_name} from {host}:{port}"


def is_autopilot_heartbeat(message: Any) -> bool:
    return (
        message.get_type() == "HEARTBEAT"
        and message.type != MAV_TYPE_GCS
        and message.autopilot != MAV_AUTOPILOT_INVALID
    )


@dataclass(frozen=True, slots=True)
class VehicleKey:
    """What names a drone on the wire: the link (by name), the UDP peer it sends from on a
    listening link (else None) and the MAVLink system id it speaks there."""

    link: str
    peer: Any
    system_id: int

    @property
    def source(self) -> str:
        return source_name(self.link, self.peer)


#: the register's answer for a source and system id: its vehicle id, or None (unknown)
Identify = Callable[[VehicleKey], "int | None"]


@dataclass(slots=True)
class Binding:
    """A vehicle's trusted source and what was refused for it."""

    system_id: int
    link: Any  # jinghang.flight.router.Link
    peer: Any  # UDP (host, port) on a listening link, else None
    last_heard_s: float
    spoofed_frames: int = 0
    last_spoof_source: str | None = None
    last_alarm_s: float = -math.inf
    #: the register's id for the vehicle (the system id unless ids are per link)
    vehicle_id: int = -1

    def __post_init__(self) -> None:
        if self.vehicle_id < 0:
            self.vehicle_id = self.system_id

    @property
    def source(self) -> str:
        return source_name(self.link.name, self.peer)

    def is_from(self, link: Any, peer: Any) -> bool:
        return self.link is link and self.peer == peer


@dataclass(slots=True)
class QuarantineEntry:
    """An id that sent autopilot heartbeats but may not become a vehicle."""

    system_id: int
    source: str
    reason: str  # "unregistered" | "reserved" | "source_has_vehicle"
    autopilot: int
    vehicle_type: int
    first_seen_s: float  # wall clock
    last_seen_monotonic_s: float
    heartbeats: int = 0
    messages: int = 0
    checked_s: float = -math.inf

    def to_dict(self, now_s: float) -> dict[str, Any]:
        return {
            "system_id": self.system_id,
            "source": self.source,
            "reason": self.reason,
            "autopilot": self.autopilot,
            "vehicle_type": self.vehicle_type,
            "first_seen_s": round(self.first_seen_s, 3),
            "silent_s": round(now_s - self.last_seen_monotonic_s, 3),
            "heartbeats": self.heartbeats,
            "messages": self.messages,
        }


class LinkTrust:
    """The bindings of system ids to sources, and the quarantine."""

    def __init__(
        self,
        publish: Publish,
        *,
        own_system_id: int = GCS_RESERVED_SYSTEM_ID,
        registered: Callable[[int], bool] | None = None,
        rebind_after_s: float = 30.0,
        quarantine_expiry_s: float = 60.0,
        alarm_interval_s: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
        identify: Identify | None = None,
    ) -> None:
        self._publish = publish
        self.own_system_id = own_system_id
        self.registered = registered
        self.rebind_after_s = rebind_after_s
        self.quarantine_expiry_s = quarantine_expiry_s
        self.alarm_interval_s = alarm_interval_s
        self._clock = clock
        self.identify = identify
        #: vehicle id (the system id without ``identify``) -> its binding
        self.bindings: dict[int, Binding] = {}
        #: with ``identify``: (link, peer, system id) -> the binding it speaks for
        self._by_source: dict[tuple[Any, Any, int], Binding] = {}
        self.quarantine: dict[int, QuarantineEntry] = {}

    # -- the verdict on one message --------------------------------------------------------

    def check(self, link: Any, peer: Any, message: Any, *, signed: bool = False) -> Verdict:
        """What to do with ``message`` that arrived on ``link`` (from ``peer``).

        ``signed`` is True when the link verifies signatures and this frame's was good."""
        return self.judge(link, peer, message, signed=signed)[0]

    def judge(
        self, link: Any, peer: Any, message: Any, *, signed: bool = False
    ) -> tuple[Verdict, Binding | None]:
        """The verdict on ``message`` and the binding it concerns (the vehicle's, when
        trusted or spoofed; None otherwise)."""
        if self.identify is not None:
            return self._judge_per_source(link, peer, message, signed)
        system_id = int(message.get_srcSystem())
        now = self._clock()
        binding = self.bindings.get(system_id)
        if binding is not None:
            if binding.link is link and binding.peer == peer:
                binding.last_heard_s = now
                return Verdict.TRUSTED, binding
            if signed:
                self._rebind(binding, link, peer, now, "signed")
                return Verdict.TRUSTED, binding
            if (
                now - binding.last_heard_s > self.rebind_after_s
                and is_autopilot_heartbeat(message)
                and self._source_is_free(link, peer)
            ):
                self._rebind(binding, link, peer, now, "silence")
                return Verdict.TRUSTED, binding
            self._spoofed(binding, source_name(link.name, peer), message, now)
            return Verdict.SPOOFED, binding
        if not is_autopilot_heartbeat(message):
            entry = self.quarantine.get(system_id)
            if entry is not None:
                entry.messages += 1
            return Verdict.IGNORED, None
        reason = self._refusal(system_id, link, peer, now)
        if reason is None:
            self.quarantine.pop(system_id, None)
            binding = self.bindings[system_id] = Binding(system_id, link, peer, now)
            return Verdict.TRUSTED, binding
        self._hold(system_id, source_name(link.name, peer), reason, message, now)
        return Verdict.QUARANTINED, None

    def _judge_per_source(
        self, link: Any, peer: Any, message: Any, signed: bool
    ) -> tuple[Verdict, Binding | None]:
        system_id = int(message.get_srcSystem())
        now = self._clock()
        key = (link, peer, system_id)
        binding = self._by_source.get(key)
        if binding is not None:
            binding.last_heard_s = now
            return Verdict.TRUSTED, binding
        if not is_autopilot_heartbeat(message):
            entry = self.quarantine.get(system_id)
            if entry is not None:
                entry.messages += 1
            return Verdict.IGNORED, None
        source = source_name(link.name, peer)
        if system_id in (BROADCAST_SYSTEM_ID, GCS_RESERVED_SYSTEM_ID, self.own_system_id):
            self._hold(system_id, source, "reserved", message, now)
            return Verdict.QUARANTINED, None
        assert self.identify is not None
        vehicle_id = self.identify(VehicleKey(link.name, peer, system_id))
        if vehicle_id is None:
            self._hold(system_id, source, "unregistered", message, now)
            return Verdict.QUARANTINED, None
        binding = self.bindings.get(vehicle_id)
        if binding is None:
            binding = Binding(system_id, link, peer, now, vehicle_id=vehicle_id)
            self.bindings[vehicle_id] = binding
            self._by_source[key] = binding
            return Verdict.TRUSTED, binding
        if signed or now - binding.last_heard_s > self.rebind_after_s:
            self._by_source.pop((binding.link, binding.peer, binding.system_id), None)
            binding.system_id = system_id
            self._rebind(binding, link, peer, now, "signed" if signed else "silence")
            self._by_source[key] = binding
            return Verdict.TRUSTED, binding
        self._spoofed(binding, source, message, now)
        return Verdict.SPOOFED, binding

    def reidentify(self) -> list[int]:
        """With ``identify``, after the register changed: drop each binding whose source and
        system id the register no longer names as that vehicle (moved to another link or
        system id, or removed). Their sources prove themselves again on their next heartbeat
        against the register as it is now. The vehicle ids dropped."""
        if self.identify is None:
            return []
        dropped: list[int] = []
        for key, binding in list(self._by_source.items()):
            link, peer, system_id = key
            if self.identify(VehicleKey(link.name, peer, system_id)) != binding.vehicle_id:
                del self._by_source[key]
                if self.bindings.get(binding.vehicle_id) is binding:
                    del self.bindings[binding.vehicle_id]
                dropped.append(binding.vehicle_id)
        return dropped

    def binding(self, vehicle_id: int) -> Binding | None:
        """The binding of a vehicle (by its system id unless ids are per link)."""
        return self.bindings.get(vehicle_id)

    # -- policy ------------------------------------------------------------------------------

    def _source_is_free(self, link: Any, peer: Any) -> bool:
        """Without a register, a source may speak for one system id only."""
        if self.registered is not None:
            return True
        return not any(b.is_from(link, peer) for b in self.bindings.values())

    def _refusal(self, system_id: int, link: Any, peer: Any, now: float) -> str | None:
        """Why ``system_id`` may not be bound to this source (None: it may)."""
        if system_id in (BROADCAST_SYSTEM_ID, GCS_RESERVED_SYSTEM_ID, self.own_system_id):
            return "reserved"
        if self.registered is None:
            return None if self._source_is_free(link, peer) else "source_has_vehicle"
        entry = self.quarantine.get(system_id)
        if entry is not None and now - entry.checked_s < REGISTER_RECHECK_S:
            return entry.reason
        if entry is not None:
            entry.checked_s = now
        return None if self.registered(system_id) else "unregistered"

    # -- bookkeeping -------------------------------------------------------------------------

    def _rebind(self, binding: Binding, link: Any, peer: Any, now: float, because: str) -> None:
        previous = binding.source
        binding.link, binding.peer, binding.last_heard_s = link, peer, now
        self._publish(
            FlightAlarm(
                REBOUND,
                binding.vehicle_id,
                f"vehicle {binding.vehicle_id} now trusted on {binding.source} "
                f"(was {previous}; {because})",
                {"source": binding.source, "previous": previous, "because": because},
                severity="info" if because == "signed" else "warning",
            )
        )

    def _spoofed(self, binding: Binding, source: str, message: Any, now: float) -> None:
        binding.spoofed_frames += 1
        binding.last_spoof_source = source
        if now - binding.last_alarm_s < self.alarm_interval_s:
            return
        binding.last_alarm_s = now
        self._publish(
            FlightAlarm(
                SPOOFED_SYSID,
                binding.vehicle_id,
                f"traffic for vehicle {binding.vehicle_id} from {source}, which is not its "
                f"link ({binding.source}): dropped",
                {
                    "source": source,
                    "bound_source": binding.source,
                    "message_type": message.get_type(),
                    "spoofed_frames": binding.spoofed_frames,
                },
                severity="critical",
            )
        )

    def _hold(self, system_id: int, source: str, reason: str, message: Any, now: float) -> None:
        entry = self.quarantine.get(system_id)
        if entry is None:
            if len(self.quarantine) >= QUARANTINE_MAX:
                return
            entry = QuarantineEntry(
                system_id,
                source,
                reason,
                int(message.autopilot),
                int(message.type),
                time.time(),
                now,
                checked_s=now,
            )
            self.quarantine[system_id] = entry
            self._publish(
                FlightAlarm(
                    UNKNOWN_SYSID,
                    None,  # not a drone: a system id no register entry names
                    f"heartbeat from system id {system_id} on {source} held in quarantine "
                    f"({reason})",
                    {"source": source, "reason": reason, "system_id": system_id},
                )
            )
        entry.source, entry.reason = source, reason
        entry.last_seen_monotonic_s = now
        entry.heartbeats += 1
        entry.messages += 1

    def expire(self) -> list[int]:
        """Forget quarantined ids silent for ``quarantine_expiry_s``; return them."""
        now = self._clock()
        gone = [
            sid
            for sid, entry in self.quarantine.items()
            if now - entry.last_seen_monotonic_s > self.quarantine_expiry_s
        ]
        for sid in gone:
            del self.quarantine[sid]
        return gone

    def quarantined(self) -> list[dict[str, Any]]:
        now = self._clock()
        return [self.quarantine[sid].to_dict(now) for sid in sorted(self.quarantine)]
