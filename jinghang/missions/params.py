"""The parameters a template or pattern takes: their types, defaults, ranges and units.

A template's defaults (from the catalog) and the operator's overrides are merged and checked
here; an unknown name, a wrong type or a value out of range is refused with the field named.
The safety minimums (lane spacing, radius) are checked later, on the plan, by ``safety``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from jinghang.missions.camera import CAMERAS
from jinghang.missions.errors import ParameterError


@dataclass(frozen=True, slots=True)
class ParamSpec:
    kind: type
    default: Any
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] | None = None
    optional: bool = False
    help: str = ""


PARAMS: dict[str, ParamSpec] = {
    "altitude_m": ParamSpec(float, 50.0, 2.0, 1000.0, help="flight altitude above home"),
    "speed_m_s": ParamSpec(float, 10.0, 0.5, 25.0, help="ground speed"),
    "gsd_cm_px": ParamSpec(float, None, 0.1, 100.0, optional=True,
                           help="ground sampling distance; sets the survey altitude"),
    "camera": ParamSpec(str, "phantom4pro", choices=tuple(CAMERAS), help="camera model"),
    "side_overlap_pct": ParamSpec(float, 70.0, 0.0, 95.0, help="overlap between lanes"),
    "front_overlap_pct": ParamSpec(float, 80.0, 0.0, 95.0, help="overlap along a lane"),
    "angle_deg": ParamSpec(float, None, -360.0, 360.0, optional=True,
                           help="lane bearing; default along the area's longest side"),
    "crosshatch": ParamSpec(bool, False, help="a second pass at 90 degrees"),
    "gimbal_pitch_deg": ParamSpec(float, -90.0, -90.0, 30.0, help="-90 is straight down"),
    "lane_spacing_m": ParamSpec(float, None, 0.0, 10000.0, optional=True,
                                help="override the lane spacing the camera gives"),
    "trigger_distance_m": ParamSpec(float, None, 0.0, 10000.0, optional=True,
                                    help="override the photo distance the camera gives"),
    "width_m": ParamSpec(float, 50.0, 1.0, 10000.0, help="corridor width"),
    "laps": ParamSpec(int, 1, 1, 100, help="times round a loop or perimeter"),
    "hold_s": ParamSpec(float, 0.0, 0.0, 3600.0, help="hold at each point"),
    "radius_m": ParamSpec(float, 60.0, 0.0, 10000.0, help="orbit or sector radius"),
    "turns": ParamSpec(float, 1.0, 0.25, 50.0, help="orbit turns"),
    "clockwise": ParamSpec(bool, True, help="orbit direction"),
    "track_spacing_m": ParamSpec(float, 50.0, 0.0, 5000.0, help="expanding-square spacing"),
    "legs": ParamSpec(int, 12, 2, 400, help="expanding-square legs"),
    "start_bearing_deg": ParamSpec(float, 0.0, -360.0, 360.0, help="first leg's bearing"),
    "structure_height_m": ParamSpec(float, 30.0, 1.0, 1000.0, help="height of the structure"),
    "layer_spacing_m": ParamSpec(float, 10.0, 0.5, 500.0, help="between stacked orbits"),
    "bottom_altitude_m": ParamSpec(float, 10.0, 2.0, 1000.0, help="lowest structure orbit"),
    "standoff_m": ParamSpec(float, 30.0, 0.0, 5000.0, help="distance kept from a structure"),
    "duration_s": ParamSpec(float, 60.0, 0.0, 14400.0, help="hover time"),
    "inset_m": ParamSpec(float, 0.0, -2000.0, 2000.0, help="perimeter inset (negative: out)"),
    "message": ParamSpec(str, "", help="what the loudspeaker plays"),
    "loudspeaker": ParamSpec(bool, False, help="play the message at each point"),
    "spotlight": ParamSpec(bool, False, help="spotlight on over the point"),
    "release": ParamSpec(bool, False, help="drop the flotation device over the point"),
    "video": ParamSpec(bool, False, help="record video through the pattern"),
    "photos": ParamSpec(bool, True, help="distance-triggered photos on surveys and corridors"),
    "end": ParamSpec(str, "rtl", choices=("rtl", "land"), help="how the mission ends"),
}


def _coerce(name: str, spec: ParamSpec, value: Any) -> Any:
    if value is None and spec.optional:
        return None
    if spec.kind is bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "yes", "1", "on"):
            return True
        if isinstance(value, str) and value.lower() in ("false", "no", "0", "off"):
            return False
        if isinstance(value, int) and value in (0, 1):
            return bool(value)
        raise ParameterError(
            f"parameter {name} must be true or false, got {value!r}",
            field=name, value=value, limit="true|false",
        )
    if spec.kind is str:
        text = str(value)
        if spec.choices is not None and text not in spec.choices:
            raise ParameterError(
                f"parameter {name} must be one of {', '.join(spec.choices)}, got {text!r}",
                field=name, value=text, limit=list(spec.choices),
            )
        return text
    if isinstance(value, bool):
        raise ParameterError(
            f"parameter {name} must be a number, got {value!r}",
            field=name, value=value, limit="a number",
        )
    try:
        number = float(value)
    except (TypeError, ValueError) as exc:
        raise ParameterError(
            f"parameter {name} must be a number, got {value!r}",
            field=name, value=value, limit="a number",
        ) from exc
    if not math.isfinite(number):
        raise ParameterError(
            f"parameter {name} must be finite, got {number}", field=name, value=number,
            limit="a finite number",
        )
    if spec.minimum is not None and number < spec.minimum:
        raise ParameterError(
            f"parameter {name}={number:g} is below the minimum {spec.minimum:g}",
            field=name, value=number, limit=f">= {spec.minimum:g}",
        )
    if spec.maximum is not None and number > spec.maximum:
        raise ParameterError(
            f"parameter {name}={number:g} is above the maximum {spec.maximum:g}",
            field=name, value=number, limit=f"<= {spec.maximum:g}",
        )
    if spec.kind is int:
        if number != int(number):
            raise ParameterError(
                f"parameter {name} must be a whole number, got {number:g}",
                field=name, value=number, limit="an integer",
            )
        return int(number)
    return number


def resolve_params(*layers: Mapping[str, Any] | None) -> dict[str, Any]:
    """Every parameter's value: the built-in defaults, then each layer in turn, checked."""
    out: dict[str, Any] = {name: spec.default for name, spec in PARAMS.items()}
    for layer in layers:
        if layer is not None and not isinstance(layer, Mapping):
            raise ParameterError(
                f"parameters must be a mapping of name to value, got {type(layer).__name__}",
                field="params", value=str(layer)[:80], limit="{name: value, ...}",
            )
        for name, value in (layer or {}).items():
            spec = PARAMS.get(name)
            if spec is None:
                raise ParameterError(
                    f"unknown parameter {name!r}",
                    field=name, value=value, limit=sorted(PARAMS),
                )
            out[name] = _coerce(name, spec, value)
    return out


def parse_param_text(text: str) -> tuple[str, Any]:
    """``k=v`` from the command line; the value stays a string and is coerced on resolve."""
    if "=" not in text:
        raise ParameterError(
            f"--param must look like name=value, got {text!r}",
            field="param", value=text, limit="name=value",
        )
    name, value = text.split("=", 1)
    return name.strip(), value.strip()
