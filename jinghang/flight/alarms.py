"""Alarms raised by the flight core: typed facts with a stable ``code`` and its parameters.

A :class:`FlightAlarm` is what the platform tells an operator about a vehicle or a link that
nobody asked for: traffic for a system id from the wrong link (``link.spoofed_sysid``), a
heartbeat from an id that is not registered (``link.unknown_sysid``), a binding moved to a new
source (``link.rebound``), telemetry that cannot be true (``telemetry.rejected``), a vehicle
above the altitude ceiling or outside its geofence (``vehicle.above_ceiling``,
``vehicle.outside_fence``), every command timing out after signing changed
(``link.signing_lost``). They are published on the bus topic :data:`ALARM_TOPIC`; the
dispatcher's alerts turn them into alerts. ``message`` is English for logs; the console
translates ``code`` with ``params``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from jinghang.events import EventBus

ALARM_TOPIC = "flight.alarm"

SPOOFED_SYSID = "link.spoofed_sysid"
UNKNOWN_SYSID = "link.unknown_sysid"
REBOUND = "link.rebound"
SIGNING_LOST = "link.signing_lost"
TELEMETRY_REJECTED = "telemetry.rejected"
ABOVE_CEILING = "vehicle.above_ceiling"
OUTSIDE_FENCE = "vehicle.outside_fence"


@dataclass(frozen=True, slots=True)
class FlightAlarm:
    """One alarm: its code, the vehicle's drone id (the fleet's key for it: the register's id
    with per-link system ids, else its system id; None for a link alarm) and parameters."""

    code: str
    drone_id: int | None
    message: str
    params: dict[str, Any] = field(default_factory=dict)
    severity: str = "warning"  # "info" | "warning" | "critical"

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "drone_id": self.drone_id,
            "message": self.message,
            "params": dict(self.params),
            "severity": self.severity,
        }


Publish = Callable[[FlightAlarm], None]


def publisher(bus: EventBus | None) -> Publish:
    """A function that publishes alarms on ``bus`` (or drops them without one)."""

    def publish(alarm: FlightAlarm) -> None:
        if bus is not None:
            bus.publish(ALARM_TOPIC, alarm.to_dict())

    return publish
