"""The errors ``jinghang.missions`` raises: each names the field at fault, its value and the
limit it broke, so an operator (or the API's problem response) can say exactly what to fix."""

from __future__ import annotations

from jinghang.errors import MissionError


class ParameterError(MissionError):
    """A template or pattern parameter is unknown, of the wrong type or out of range."""

    title = "Bad mission parameter"


class InputError(MissionError):
    """A required operator input (area, route, point, points) is missing or malformed."""

    title = "Bad mission input"


class UnknownTemplateError(MissionError):
    """No template in the catalog has this id."""

    status_code = 404
    title = "Unknown template"


class FormatError(MissionError):
    """A mission, area or route file cannot be read (bad syntax, unsupported content)."""

    title = "Unreadable mission file"


class SafetyError(MissionError):
    """Base of the refusals of :func:`jinghang.missions.safety.check_plan`."""

    title = "Mission refused by a safety check"


class GeometryError(SafetyError):
    """A polygon crosses itself or is degenerate, a route has no length."""


class AltitudeCeilingError(SafetyError):
    """An item would fly higher than the altitude ceiling above home."""


class NoFlyZoneError(SafetyError):
    """A waypoint or a leg between two waypoints enters a no-fly zone."""


class SpacingError(SafetyError):
    """Survey lanes, corridor passes or an orbit radius below the sensible minimum."""


class TooManyItemsError(SafetyError):
    """More mission items than the vehicle accepts."""


class EnergyError(SafetyError):
    """The estimated energy use plus the reserve exceeds the battery."""
