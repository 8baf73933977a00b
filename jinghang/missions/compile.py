"""Compile a template (or a bare pattern) on the operator's inputs into a
:class:`~jinghang.missions.plan.MissionPlan`: takeoff, speed, each stage's pattern, then
return to launch (or land), with every estimate filled in.

This is what the dispatcher calls to compile a playbook's first flight at a point::

    plan = compile_template("SAF-01", {"point": (37.52, 122.05)}, {"altitude_m": 40})
    plan = compile_pattern("orbit", {"point": (37.52, 122.05)}, {"radius_m": 60})
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from jinghang.missions import payloads
from jinghang.missions.catalog import Catalog, Stage, Template, load_catalog
from jinghang.missions.errors import InputError
from jinghang.missions.estimate import Airframe, with_estimates
from jinghang.missions.geo import LatLon
from jinghang.missions.geometry import as_latlon, as_latlon_list
from jinghang.missions.items import Cmd, Frame, MissionItem
from jinghang.missions.params import resolve_params
from jinghang.missions.patterns import Segment, run_stage
from jinghang.missions.plan import Home, MissionPlan

INPUT_NAMES = ("area", "route", "point", "points", "home")


def normalize_inputs(inputs: Mapping[str, Any]) -> dict[str, Any]:
    """Inputs as plain lat/lon lists, unknown names and malformed positions refused."""
    out: dict[str, Any] = {}
    for name, value in inputs.items():
        if name not in INPUT_NAMES:
            raise InputError(
                f"unknown input {name!r}", field=name, value=None, limit=list(INPUT_NAMES)
            )
        if value is None:
            continue
        if name in ("area", "route", "points"):
            out[name] = [list(p) for p in as_latlon_list(value, name)]
        elif name == "point":
            out[name] = list(as_latlon(value, name))
        else:
            lat, lon = as_latlon(value, name)
            try:
                alt = float(value[2]) if len(value) > 2 else 0.0
            except (TypeError, ValueError) as exc:
                raise InputError(
                    f"home altitude must be metres above mean sea level, got {value[2]!r}",
                    field="home.altitude_amsl_m", value=value[2], limit="a number",
                ) from exc
            out[name] = [lat, lon, alt]
    return out


def _check_required(template: Template, inputs: Mapping[str, Any]) -> None:
    for entry in template.inputs:
        options = entry.split("|")
        if not any(inputs.get(o) for o in options):
            raise InputError(
                f"template {template.id} needs {' or '.join(options)}",
                field=options[0], value=None, limit=f"required by {template.id}",
            )


def takeoff(altitude_m: float) -> MissionItem:
    """NAV_TAKEOFF to ``altitude_m`` above home, where the vehicle stands."""
    return MissionItem(Cmd.NAV_TAKEOFF, Frame.GLOBAL_RELATIVE_ALT, altitude_m=altitude_m)


def compile_stages(
    stages: Sequence[Stage],
    inputs: Mapping[str, Any],
    layers: Sequence[Mapping[str, Any] | None],
    *,
    template_id: str | None,
    pattern_label: str,
    airframe: Airframe | None = None,
) -> MissionPlan:
    """Fly ``stages`` in turn on ``inputs``; ``layers`` are the parameter layers, lowest first."""
    norm = normalize_inputs(inputs)
    base = resolve_params(*layers)
    home: Home | None = tuple(norm["home"]) if norm.get("home") else None  # type: ignore[assignment]
    approach: LatLon | None = (home[0], home[1]) if home else None
    segments: list[Segment] = []
    for stage in stages:
        p = resolve_params(*layers[:1], stage.params, *layers[1:]) if stage.params else base
        for seg in run_stage(stage.pattern, norm, p, at=stage.at, approach=approach):
            segments.append(seg)
            approach = seg.last_position() or approach
    first_pos = next((s.first_position() for s in segments if s.first_position()), None)
    if home is None and first_pos is not None:
        home = (first_pos[0], first_pos[1], 0.0)
    speed = float(base["speed_m_s"])
    items: list[MissionItem] = [takeoff(segments[0].altitude_m), payloads.change_speed(speed)]
    for seg in segments:
        items.extend(seg.items)
    if base["end"] == "land":
        last = segments[-1].last_position()
        items.append(
            MissionItem(
                Cmd.NAV_LAND,
                Frame.GLOBAL_RELATIVE_ALT,
                latitude_deg=last[0] if last else 0.0,
                longitude_deg=last[1] if last else 0.0,
            )
        )
    else:
        items.append(MissionItem(Cmd.NAV_RETURN_TO_LAUNCH, Frame.MISSION))
    spacings = [s.lane_spacing_m for s in segments if s.lane_spacing_m is not None]
    radii = [s.radius_m for s in segments if s.radius_m is not None]
    notes: list[str] = []
    for seg in segments:
        notes.extend(n for n in seg.notes if n not in notes)
    named = [k for layer in layers for k in (layer or {})]
    plan = MissionPlan(
        items=items,
        template_id=template_id,
        pattern=pattern_label,
        params={k: base[k] for k in dict.fromkeys(named)},
        home=home,
        inputs=norm,
        gsd_cm_px=next((s.gsd_cm_px for s in segments if s.gsd_cm_px is not None), None),
        area_m2=next((s.area_m2 for s in segments if s.area_m2 is not None), None),
        lane_spacing_m=min(spacings) if spacings else None,
        min_radius_m=min(radii) if radii else None,
        cruise_speed_m_s=speed,
        notes=notes,
    )
    return with_estimates(plan, airframe)


def compile_template(
    template_id: str,
    inputs: Mapping[str, Any],
    params: Mapping[str, Any] | None = None,
    *,
    catalog: Catalog | None = None,
    airframe: Airframe | None = None,
) -> MissionPlan:
    """The plan of a catalog template on ``inputs`` with the operator's ``params`` on top of
    the template's defaults. Raises :class:`~jinghang.errors.MissionError` subclasses naming
    the field at fault. The plan is not safety-checked: call ``safety.check_plan`` next."""
    template = (catalog or load_catalog()).get(template_id)
    norm = normalize_inputs(inputs)
    _check_required(template, norm)
    return compile_stages(
        template.stages,
        norm,
        [template.defaults, params],
        template_id=template.id,
        pattern_label=template.pattern,
        airframe=airframe,
    )


def compile_pattern(
    pattern: str,
    inputs: Mapping[str, Any],
    params: Mapping[str, Any] | None = None,
    *,
    at: str = "point",
    airframe: Airframe | None = None,
) -> MissionPlan:
    """The plan of one bare pattern (``orbit``, ``hover``, ...) on ``inputs`` with ``params``
    over the built-in defaults; what a playbook without a template flies."""
    return compile_stages(
        [Stage(pattern, at)],
        inputs,
        [{}, params],
        template_id=None,
        pattern_label=pattern,
        airframe=airframe,
    )
