"""Typed errors of the flight core, all :class:`jinghang.errors.FlightError`."""

from __future__ import annotations

from typing import Any

from jinghang.errors import FlightError

#: MAV_RESULT names, for messages.
MAV_RESULT_NAMES = {
    0: "ACCEPTED",
    1: "TEMPORARILY_REJECTED",
    2: "DENIED",
    3: "UNSUPPORTED",
    4: "FAILED",
    5: "IN_PROGRESS",
    6: "CANCELLED",
    7: "COMMAND_LONG_ONLY",
    8: "COMMAND_INT_ONLY",
    9: "UNSUPPORTED_MAV_FRAME",
}


class LinkError(FlightError):
    """A link could not be opened, its connection string is malformed, or it went away."""

    code = "vehicle.link_error"


class CommandTimeout(FlightError):
    """A command got no acknowledgement after all its retries."""

    code = "vehicle.no_answer"
    status_code = 504


class CommandRejected(FlightError):
    """The vehicle acknowledged a command with a MAV_RESULT other than ACCEPTED.

    ``result`` is the MAV_RESULT number and ``result_name`` its name.
    """

    code = "vehicle.command_rejected"
    status_code = 409

    def __init__(self, message: str, *, result: int, command: int, **details: Any) -> None:
        super().__init__(
            message,
            result=result,
            result_name=MAV_RESULT_NAMES.get(result, str(result)),
            command=command,
            **details,
        )
        self.result = result
        self.command = command
        self.result_name = MAV_RESULT_NAMES.get(result, str(result))
        #: how many times the command was sent before this answer (set by the sender)
        self.attempts = 1


class CommandTemporarilyRejected(CommandRejected):
    """MAV_RESULT_TEMPORARILY_REJECTED: the vehicle is busy; try again later."""

    code = "vehicle.command_busy"


class CommandDenied(CommandRejected):
    """MAV_RESULT_DENIED: the vehicle refuses in its current state."""

    code = "vehicle.command_denied"


class CommandUnsupported(CommandRejected):
    """MAV_RESULT_UNSUPPORTED (or a COMMAND_LONG/INT-only or frame result)."""

    code = "vehicle.command_unsupported"


class CommandFailed(CommandRejected):
    """MAV_RESULT_FAILED: the vehicle tried and could not."""

    code = "vehicle.command_failed"


class CommandCancelled(CommandRejected):
    """MAV_RESULT_CANCELLED."""

    code = "vehicle.command_cancelled"


class ArmingRefused(CommandRejected):
    """The vehicle refused to arm; ``reasons`` are its pre-arm STATUSTEXT messages."""

    code = "vehicle.arming_refused"
    def __init__(self, message: str, *, result: int, command: int, reasons: list[str]) -> None:
        super().__init__(message, result=result, command=command, reasons=reasons)
        self.reasons = reasons


class ModeUnknown(FlightError):
    """The mode name is not in the vehicle's autopilot mode table."""

    code = "vehicle.mode_unknown"
    status_code = 422


class MissionTransferError(FlightError):
    """A mission, fence or rally upload or download failed (timeout or MISSION_ACK error)."""

    code = "vehicle.mission_transfer_failed"


class ParameterError(FlightError):
    """A parameter could not be read or set."""

    code = "vehicle.parameter_error"


class VehicleTimeout(FlightError):
    """A vehicle did not appear, or did not reach a state, in time."""

    code = "vehicle.timeout"
    status_code = 504


_RESULT_CLASSES: dict[int, type[CommandRejected]] = {
    1: CommandTemporarilyRejected,
    2: CommandDenied,
    3: CommandUnsupported,
    4: CommandFailed,
    6: CommandCancelled,
    7: CommandUnsupported,
    8: CommandUnsupported,
    9: CommandUnsupported,
}


def rejection_for(result: int, command: int, command_name: str) -> CommandRejected:
    """The typed error for a non-accepted MAV_RESULT."""
    cls = _RESULT_CLASSES.get(result, CommandRejected)
    name = MAV_RESULT_NAMES.get(result, str(result))
    return cls(f"{command_name} rejected by the vehicle: {name}", result=result, command=command)
