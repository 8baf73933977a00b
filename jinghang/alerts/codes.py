"""The alert message codes: each one's severity and English text (``{name}`` stands for a
parameter). The console holds the zh and en text of every code (``alert.code.<code>``).

Coded events that are not alerts (the journal's ``pilot.took_over``, ``pilot.released``,
``flight.link_lost``, ``flight.link_back``, ``flight.followed_again``) are in :data:`EVENTS`,
with their English text; the console holds theirs as ``event.code.<code>``."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any


class Severity(enum.StrEnum):
    """How urgent an alert is: ``critical`` needs someone now, ``warning`` soon."""

    CRITICAL = "critical"
    WARNING = "warning"
    INFO = "info"


@dataclass(frozen=True, slots=True)
class Code:
    severity: Severity
    text: str


CODES: dict[str, Code] = {
    # the fleet and the flight core
    "vehicle.link_lost": Code(Severity.CRITICAL, "{drone}: link lost ({silent_s} s silent)"),
    "vehicle.battery_low": Code(Severity.CRITICAL, "{drone}: low battery {battery_pct}%"),
    "vehicle.above_ceiling": Code(
        Severity.CRITICAL, "{drone}: {altitude_m} m, above the {ceiling_m} m ceiling"),
    "vehicle.outside_fence": Code(Severity.CRITICAL, "{drone}: outside the geofence"),
    "link.spoofed_sysid": Code(
        Severity.CRITICAL, "link {link}: a second sender speaks for {drone}"),
    "telemetry.flagged": Code(Severity.WARNING, "{drone}: implausible telemetry ({reason})"),
    # cases, sorties and patrols
    "case.unassigned": Code(Severity.WARNING, "case {case_id}: no drone can go ({reason})"),
    "sortie.launch_refused": Code(Severity.WARNING, "{drone} refused the launch: {reason}"),
    "sortie.failed": Code(Severity.CRITICAL, "{drone}: sortie failed: {reason}"),
    "sortie.waiting_pilot": Code(
        Severity.WARNING, "case {case_id}: {drone} waits for a pilot to confirm the launch"),
    "drone.landed_away": Code(Severity.WARNING, "{drone} landed away from its base"),
    "drone.missing_after_restart": Code(
        Severity.WARNING, "{drone} did not come back after the restart; still waiting for it"),
    "patrol.skipped": Code(Severity.WARNING, "patrol {patrol} skipped: {reason}"),
    "patrol.launch_refused": Code(
        Severity.WARNING, "patrol {patrol}: {drone} refused the launch: {reason}"),
    "patrol.run_failed": Code(Severity.CRITICAL, "patrol run {run_id} of {drone} failed: {reason}"),
    # the server's own parts
    "component.stopped": Code(Severity.CRITICAL, "{component} stopped: {error}"),
    "dispatch.job_failed": Code(Severity.CRITICAL, "dispatcher: {job} failed: {error}"),
    "recording.failed": Code(Severity.CRITICAL, "recording of {drone} stopped: {error}"),
}


#: Coded events that raise no alert, with their English text.
EVENTS: dict[str, str] = {
    "pilot.took_over": "pilot {pilot} has {drone}",
    "pilot.released": "pilot {pilot} gave {drone} back; the mission resumes at item {resume_seq}",
    "flight.link_lost": "{drone}: link lost during the flight",
    "flight.link_back": "{drone}: link back",
    "flight.followed_again": "{drone}: followed again after the restart",
}


class _Blank(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "?"


def english(code: str, params: dict[str, Any]) -> str:
    """The English text of ``code`` with ``params`` filled in (``?`` for a missing one)."""
    known = CODES.get(code)
    if known is None:
        return code
    return known.text.format_map(_Blank(params))
