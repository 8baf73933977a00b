"""Which bus events raise which alert. Pure: events in, :class:`Raised` out, no I/O.

Events that carry a ``code`` listed in :data:`jinghang.alerts.codes.CODES` raise that alert
(the dispatcher's case and sortie events, the flight core's checks). The flight core's own
events are mapped here: ``vehicle.status`` ``link_lost`` and ``link_error``, and telemetry
(battery under the low mark, altitude above the ceiling), edge-triggered per drone so that a
drone that stays low raises one alert, not one per telemetry message.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from jinghang.alerts.codes import CODES, Severity
from jinghang.events import Event

#: Fields of an event's data that name what it concerns rather than being parameters.
_WHO = ("drone_id", "case_id", "incident_id")
#: Per code, the parameter that tells one cause from another beside the drone and case.
_CAUSE = {"component.stopped": "component", "patrol.skipped": "patrol_id",
          "dispatch.job_failed": "job", "patrol.run_failed": "run_id",
          "patrol.launch_refused": "patrol_id", "link.spoofed_sysid": "link"}
#: Hysteresis: a low battery clears when it is this much above the low mark again.
BATTERY_CLEAR_MARGIN_PCT = 5.0


@dataclass(frozen=True, slots=True)
class Raised:
    """One alert to raise: its code, severity, cause key, parameters and what it concerns."""

    code: str
    params: dict[str, Any]
    severity: Severity
    key: str
    drone_id: int | None = None
    case_id: int | None = None


def raised(code: str, params: dict[str, Any], *, drone_id: int | None = None,
           case_id: int | None = None) -> Raised:
    """The alert for ``code`` with its catalogue severity and a key naming its cause."""
    cause = params.get(_CAUSE.get(code, ""), "")
    key = f"{code}:{drone_id or ''}:{case_id or ''}:{cause}"
    return Raised(code, params, CODES[code].severity, key, drone_id, case_id)


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


@dataclass
class Rules:
    """Maps events to alerts; holds which drones are low or high now (edge triggering)."""

    battery_low_pct: float = 25.0
    altitude_ceiling_m: float = 120.0
    _low: set[int] = field(default_factory=set)
    _high: set[int] = field(default_factory=set)

    def evaluate(self, event: Event) -> list[Raised]:
        data = event.data
        code = data.get("code")
        if event.topic == "alert":  # the service's own announcements (and legacy notes)
            return []
        if isinstance(code, str) and code in CODES:
            return [self._coded(code, data)]
        if event.topic == "telemetry":
            return self._telemetry(data)
        if event.topic == "vehicle.status":
            return self._status(data)
        return []

    def _coded(self, code: str, data: dict[str, Any]) -> Raised:
        params = data.get("params")
        if not isinstance(params, dict):
            params = {k: v for k, v in data.items() if k not in (*_WHO, "code", "message")}
        drone_id = _int(data.get("drone_id"))
        case_id = _int(data.get("case_id")) or _int(data.get("incident_id"))
        params = dict(params)
        if drone_id is not None:
            params.setdefault("drone", f"#{drone_id}")
        if case_id is not None:
            params.setdefault("case_id", case_id)
        return raised(code, params, drone_id=drone_id, case_id=case_id)

    def _status(self, data: dict[str, Any]) -> list[Raised]:
        event = data.get("event")
        drone_id = _int(data.get("drone_id"))
        if event == "link_lost" and drone_id is not None:
            return [raised("vehicle.link_lost",
                           {"drone": f"#{drone_id}", "silent_s": data.get("silent_s")},
                           drone_id=drone_id)]
        if event == "link_error":
            link = str(data.get("link", "?"))
            return [raised("component.stopped",
                           {"component": f"link {link}", "error": str(data.get("error", ""))})]
        return []

    def _telemetry(self, data: dict[str, Any]) -> list[Raised]:
        drone_id = _int(data.get("drone_id"))
        if drone_id is None:
            return []
        out: list[Raised] = []
        battery = data.get("battery_pct")
        if isinstance(battery, (int, float)) and battery >= 0:
            if battery < self.battery_low_pct and drone_id not in self._low:
                self._low.add(drone_id)
                out.append(raised("vehicle.battery_low",
                                  {"drone": f"#{drone_id}", "battery_pct": round(battery)},
                                  drone_id=drone_id))
            elif battery >= self.battery_low_pct + BATTERY_CLEAR_MARGIN_PCT:
                self._low.discard(drone_id)
        # above the ceiling is the flight core's verdict (its margin and hysteresis, the same
        # that raise its own alarm): the rule follows the flag, it does not judge again
        high = data.get("above_ceiling")
        if isinstance(high, bool):
            if high and drone_id not in self._high:
                self._high.add(drone_id)
                altitude = data.get("relative_altitude_m")
                out.append(raised("vehicle.above_ceiling",
                                  {"drone": f"#{drone_id}",
                                   "altitude_m": round(altitude, 1)
                                   if isinstance(altitude, (int, float)) else None,
                                   "ceiling_m": round(self.altitude_ceiling_m)},
                                  drone_id=drone_id))
            elif not high:
                self._high.discard(drone_id)
        return out
