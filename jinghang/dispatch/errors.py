"""Errors of the dispatch layer; each names the field at fault where there is one."""

from __future__ import annotations

from jinghang.errors import DispatchError


class UnknownPlaybook(DispatchError):
    """No playbook with that id (P01..P19)."""

    status_code = 422
    title = "Unknown playbook"


class PlaybookFileError(DispatchError):
    """The playbook data file is malformed (names the entry and the key)."""

    status_code = 500
    title = "Playbook file error"


class IllegalTransition(DispatchError):
    """An incident cannot go from its state to the one asked (``value`` is the target,
    ``limit`` the states it may go to)."""

    title = "Transition not allowed"


class NoDroneAvailable(DispatchError):
    """No drone can fly the incident now; ``details['rejected']`` has every drone's reason."""

    title = "No drone available"


class IncidentNotActive(DispatchError):
    """The incident has no drone flying it (for recall, redirect, handover)."""

    title = "Incident not in flight"


class HandoverError(DispatchError):
    """A pilot handover that does not fit the drone's state (not paused, someone else's)."""

    title = "Handover refused"


class PatrolError(DispatchError):
    """A patrol schedule that cannot be run (bad template, timetable, zone)."""

    status_code = 422
    title = "Patrol refused"


class TwoPersonRule(DispatchError):
    """A launch confirmation by someone who may not give it: not a pilot, or the user who
    dispatched the sortie (``code``: ``sortie.confirm_needs_pilot`` or
    ``sortie.confirm_by_dispatcher``)."""

    status_code = 403
    title = "Two-person rule"


class CaseNotOpen(DispatchError):
    """The case is closed or cancelled: nothing more can be dispatched to it or ended."""

    title = "Case not open"
