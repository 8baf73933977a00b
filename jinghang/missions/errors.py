"""The errors ``jinghang.missions`` raises: each names the field at fault, its value and the
limit it broke, so an operator (or the API's problem response) can say exactly what to fix."""

from __future__ import annotations

from jinghang.errors import MissionError


class ParameterError(MissionError):
    """A template or pattern parameter is unknown, of the wrong type or out of range."""

    code = "mission.bad_parameter"
    title = "Bad mission parameter"


class InputError(MissionError):
    """A required operator input (area, route, point, points) is missing or malformed."""

    code = "mission.bad_input"
    title = "Bad mission input"


class UnknownTemplateError(MissionError):
    """No template in the catalog has this id."""

    code = "mission.unknown_template"
    status_code = 404
    title = "Unknown template"


class FormatError(MissionError):
    """A mission, area or route file cannot be read (bad syntax, unsupported content)."""

    code = "mission.bad_file"
    title = "Unreadable mission file"


class SafetyError(MissionError):
    """Base of the refusals of :func:`jinghang.missions.safety.check_plan`."""

    code = "mission.unsafe"
    title = "Mission refused by a safety check"


class GeometryError(SafetyError):
    """A polygon crosses itself or is degenerate, a route has no length."""

    code = "mission.bad_geometry"


class AltitudeCeilingError(SafetyError):
    """An item would fly higher than the altitude ceiling above home."""

    code = "mission.above_ceiling"


class NoFlyZoneError(SafetyError):
    """A waypoint or a leg between two waypoints enters a no-fly zone."""

    code = "mission.no_fly_zone"


class SpacingError(SafetyError):
    """Survey lanes, corridor passes or an orbit radius below the sensible minimum."""

    code = "mission.spacing_too_small"


class TooManyItemsError(SafetyError):
    """More mission items than the vehicle accepts."""

    code = "mission.too_many_items"


class EnergyError(SafetyError):
    """The estimated energy use plus the reserve exceeds the battery."""

    code = "mission.out_of_battery"
