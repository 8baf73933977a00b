"""The one error hierarchy of Jinghang.

Every error the platform raises on purpose derives from :class:`JinghangError` and carries
structured fields (``field``, ``value``, ``limit``) so that the API's single exception handler
can turn it into an ``application/problem+json`` response naming the field at fault. Each
sub-package has its own base class; concrete errors live beside the code that raises them.

Every error also carries a stable ``code`` (``"mission.out_of_battery"``) and its
``params`` (the field, value, limit and other details) so that a client can render the
message in its own language; the English ``message`` stays for logs and API clients. A
class names its code in the ``code`` attribute; a raise site may give a finer one with
``code=``.
"""

from __future__ import annotations

from typing import Any


class JinghangError(Exception):
    """Base of every deliberate Jinghang error.

    ``field`` names the input at fault (``"altitude_m"``, ``"area.coordinates"``), ``value`` is
    what was given and ``limit`` the bound it broke, where those apply.
    """

    status_code: int = 400
    title: str = "Jinghang error"
    #: The stable code of this kind of error (translations key on it); ``code=`` overrides it.
    code: str = "error"

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        value: Any = None,
        limit: Any = None,
        code: str | None = None,
        **details: Any,
    ) -> None:
        super().__init__(message)
        given = details.pop("params", None)
        if isinstance(given, dict):  # a raise site's own parameters join the details
            details = {**details, **given}
        self.message = message
        self.field = field
        self.value = value
        self.limit = limit
        self.details = details
        if code:
            self.code = code

    @property
    def params(self) -> dict[str, Any]:
        """The values a translated message fills in: field, value, limit and the details."""
        out: dict[str, Any] = {}
        if self.field is not None:
            out["field"] = self.field
        if self.value is not None:
            out["value"] = _jsonable(self.value)
        if self.limit is not None:
            out["limit"] = _jsonable(self.limit)
        for key, val in self.details.items():
            out[key] = _jsonable(val)
        return out

    def __reduce__(self) -> tuple[Any, ...]:
        # Rebuilt without calling ``__init__`` (subclasses have their own signatures), so the
        # error keeps its fields when it crosses a process boundary (the CPU worker pool).
        return (_restore, (type(self), self.args, self.__dict__))

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready view of the error for problem responses and logs."""
        out: dict[str, Any] = {
            "type": type(self).__name__,
            "code": self.code,
            "detail": self.message,
            "params": self.params,
        }
        if self.field is not None:
            out["field"] = self.field
        if self.value is not None:
            out["value"] = _jsonable(self.value)
        if self.limit is not None:
            out["limit"] = _jsonable(self.limit)
        for key, val in self.details.items():
            out[key] = _jsonable(val)
        return out


def _restore(cls: type[JinghangError], args: tuple[Any, ...], state: dict[str, Any]) -> Any:
    error = cls.__new__(cls)
    Exception.__init__(error, *args)
    error.__dict__.update(state)
    return error


def _jsonable(value: Any) -> Any:
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return str(value)


class ConfigError(JinghangError):
    """The configuration is unusable (a placeholder secret outside the demo, a bad URL)."""

    title = "Configuration error"
    code = "config.invalid"


class FlightError(JinghangError):
    """Base of errors from ``jinghang.flight`` (links, commands, mission protocol)."""

    status_code = 502
    title = "Vehicle error"
    code = "vehicle.error"


class MissionError(JinghangError):
    """Base of errors from ``jinghang.missions`` (patterns, checks, formats)."""

    status_code = 422
    title = "Mission refused"
    code = "mission.refused"


class DispatchError(JinghangError):
    """Base of errors from ``jinghang.dispatch`` (incidents, drone choice, patrols)."""

    status_code = 409
    title = "Dispatch error"
    code = "dispatch.error"


class VideoError(JinghangError):
    """Base of errors from ``jinghang.video`` (sources, signaling, recording)."""

    status_code = 400
    title = "Video error"
    code = "video.error"


class StoreError(JinghangError):
    """Base of errors from ``jinghang.store``."""

    status_code = 500
    title = "Store error"
    code = "store.error"


class SimulatorError(JinghangError):
    """Base of errors from ``jinghang.simulator``."""

    title = "Simulator error"
    code = "simulator.error"
