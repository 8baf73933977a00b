"""Sub-commands of ``jinghang.missions``:

``jinghang templates list`` and ``jinghang templates show ID``: the catalog;
``jinghang plan ID --area/--route/--point/--points ... [--param k=v] -o out.plan`` compiles a
template (or a bare pattern), runs the safety checks and writes .plan, .waypoints, .geojson,
.kml or .kmz; ``--fly tcp:127.0.0.1:5760`` then uploads it and flies it to completion.

Inputs are files (KML, KMZ, GeoJSON; looked up in the shipped samples when not found) or
inline positions: ``37.52,122.05`` and ``37.52,122.05;37.53,122.06;...``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import unicodedata
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jinghang.errors import JinghangError
from jinghang.missions.catalog import load_catalog
from jinghang.missions.compile import compile_pattern, compile_template
from jinghang.missions.errors import InputError
from jinghang.missions.formats import read_features, save_plan
from jinghang.missions.formats.features import Feature, pick
from jinghang.missions.formats.geojson import track_to_geojson
from jinghang.missions.geo import LatLon
from jinghang.missions.nofly import NoFlyZones
from jinghang.missions.params import parse_param_text
from jinghang.missions.patterns import PATTERNS
from jinghang.missions.plan import MissionPlan
from jinghang.missions.safety import SafetyLimits, find_violations

if TYPE_CHECKING:
    from jinghang.missions.flying import FlightReport


def register(subparsers: Any) -> None:
    templates = subparsers.add_parser("templates", help="the 33 aerial application templates")
    tsub = templates.add_subparsers(dest="templates_command", metavar="ACTION", required=True)
    lst = tsub.add_parser("list", help="every template: id, category, names, pattern")
    lst.add_argument("--category", help="only this category (RUR, ENV, SEA, SAF, CTY)")
    lst.add_argument("--json", action="store_true", help="JSON instead of a table")
    lst.set_defaults(func=run_templates_list)
    show = tsub.add_parser("show", help="one template in full")
    show.add_argument("template_id")
    show.add_argument("--json", action="store_true")
    show.set_defaults(func=run_templates_show)

    plan = subparsers.add_parser(
        "plan",
        help="compile a template, check it, write it and optionally fly it",
        description="Compile a template (or a bare pattern such as orbit) on an area, route, "
        "point or points; run the safety checks; write the plan; optionally fly it.",
    )
    plan.add_argument("template_id", metavar="ID", help="template id (SEA-01) or pattern name")
    plan.add_argument("--area", help="polygon: a KML/KMZ/GeoJSON file or 'lat,lon;lat,lon;...'")
    plan.add_argument("--route", help="polyline: a KML/KMZ/GeoJSON file or 'lat,lon;...'")
    plan.add_argument("--point", help="'lat,lon' or a file with a point")
    plan.add_argument("--points", help="'lat,lon;lat,lon' or a file with points")
    plan.add_argument("--home", help="'lat,lon[,alt_amsl_m]' where the drone takes off")
    plan.add_argument("--feature", help="which area/route of a file with several (name or index)")
    plan.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                      help="override a parameter; repeatable (altitude_m=80)")
    plan.add_argument("-o", "--output", help="write .plan, .waypoints, .geojson, .kml or .kmz")
    plan.add_argument("--no-fly", default="",
                      help="GeoJSON no-fly zones (default: the shipped Weihai sample; 'none')")
    plan.add_argument("--ceiling-m", type=float, default=120.0, help="altitude ceiling")
    plan.add_argument("--reserve-pct", type=float, default=20.0, help="battery reserve")
    plan.add_argument("--max-items", type=int, default=700, help="items the vehicle accepts")
    plan.add_argument("--fly", metavar="CONNECTION",
                      help="upload and fly on this MAVLink link (tcp:127.0.0.1:5760)")
    plan.add_argument("--timeout-s", type=float, default=3600.0, help="give up flying after")
    plan.add_argument("--track", metavar="PATH", help="after --fly, write the flown track "
                      "as GeoJSON")
    plan.add_argument("--json", action="store_true", help="print the summary as JSON")
    plan.set_defaults(func=run_plan)


# -- templates ---------------------------------------------------------------------------------


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _pad(text: str, width: int) -> str:
    return text + " " * max(0, width - _width(text))


def _table(rows: list[list[str]]) -> str:
    widths = [max(_width(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(_pad(c, w) for c, w in zip(row, widths, strict=True)).rstrip()
             for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def run_templates_list(args: argparse.Namespace) -> int:
    catalog = load_catalog()
    chosen = [t for t in catalog
              if not args.category or t.category.upper() == args.category.upper()]
    if args.json:
        print(json.dumps([t.to_dict() for t in chosen], ensure_ascii=False, indent=1))
        return 0
    rows = [["ID", "类别 category", "名称", "name", "pattern", "inputs"]]
    rows += [[t.id, t.category_zh, t.name_zh, t.name_en, t.pattern, ", ".join(t.inputs)]
             for t in chosen]
    print(_table(rows))
    print(f"\n{len(chosen)} templates")
    return 0


def run_templates_show(args: argparse.Namespace) -> int:
    try:
        template = load_catalog().get(args.template_id)
    except JinghangError as exc:
        return _fail(exc)
    if args.json:
        print(json.dumps(template.to_dict(), ensure_ascii=False, indent=1))
        return 0
    print(f"{template.id}  {template.name_zh}  {template.name_en}")
    print(f"category   {template.category}  {template.category_zh} ({template.category_en})")
    print(f"pattern    {template.pattern}")
    for stage in template.stages:
        extra = f" at {stage.at}" if stage.pattern == "orbit" else ""
        own = json.dumps(stage.params) if stage.params else ""
        print(f"  stage    {stage.pattern}{extra} {own}".rstrip())
    print(f"inputs     {', '.join(template.inputs)}"
          + (f"  (optional: {', '.join(template.optional_inputs)})"
             if template.optional_inputs else ""))
    print(f"payloads   {', '.join(template.payloads)}")
    print("defaults")
    for key, value in template.defaults.items():
        print(f"  {key} = {value}")
    return 0


# -- plan --------------------------------------------------------------------------------------


def _fail(exc: JinghangError) -> int:
    parts = [f"jinghang: {exc.message}"]
    if exc.field:
        parts.append(f"field: {exc.field}")
    if exc.value is not None:
        parts.append(f"value: {exc.value}")
    if exc.limit is not None:
        parts.append(f"limit: {exc.limit}")
    print("\n  ".join(parts), file=sys.stderr)
    return 2


def _first_jinghang_error(group: BaseExceptionGroup) -> JinghangError | None:
    for exc in group.exceptions:
        if isinstance(exc, JinghangError):
            return exc
        if isinstance(exc, BaseExceptionGroup):
            found = _first_jinghang_error(exc)
            if found is not None:
                return found
    return None


def resolve_input_path(text: str) -> Path | None:
    """The file ``text`` names, here or among the shipped samples; None for inline positions."""
    path = Path(text)
    if path.suffix.lower() in (".kml", ".kmz", ".geojson", ".json"):
        if path.is_file():
            return path
        sample = Path(str(resources.files("jinghang.missions").joinpath("samples", path.name)))
        if sample.is_file():
            return sample
        raise InputError(f"no such file {text!r} (nor a shipped sample of that name)",
                         field="path", value=text, limit="an existing .kml/.kmz/.geojson file")
    return None


def parse_positions(text: str, field: str) -> list[LatLon]:
    out: list[LatLon] = []
    for chunk in text.replace(" ", "").split(";"):
        if not chunk:
            continue
        parts = chunk.split(",")
        try:
            out.append((float(parts[0]), float(parts[1])))
        except (ValueError, IndexError) as exc:
            raise InputError(f"--{field} position {chunk!r} is not lat,lon", field=field,
                             value=chunk, limit="lat,lon in degrees") from exc
    return out


def _features(text: str) -> tuple[list[Feature], str] | None:
    path = resolve_input_path(text)
    return (read_features(path), str(path)) if path else None


def gather_inputs(args: argparse.Namespace) -> dict[str, Any]:
    inputs: dict[str, Any] = {}
    for kind, flag in (("area", args.area), ("route", args.route)):
        if not flag:
            continue
        found = _features(flag)
        if found:
            inputs[kind] = pick(found[0], kind, args.feature, found[1]).coordinates  # type: ignore[arg-type]
        else:
            inputs[kind] = parse_positions(flag, kind)
    if args.point:
        found = _features(args.point)
        inputs["point"] = (pick(found[0], "point", args.feature, found[1]).coordinates[0]
                           if found else parse_positions(args.point, "point")[0])
    if args.points:
        found = _features(args.points)
        inputs["points"] = ([f.coordinates[0] for f in found[0] if f.kind == "point"]
                            if found else parse_positions(args.points, "points"))
    if args.home:
        try:
            inputs["home"] = [float(v) for v in args.home.split(",")]
        except ValueError as exc:
            raise InputError(f"--home {args.home!r} is not lat,lon[,alt_amsl_m]", field="home",
                             value=args.home, limit="lat,lon[,alt_amsl_m]") from exc
    return inputs


def _print_summary(plan: MissionPlan, violations: list[JinghangError]) -> None:
    s = plan.summary()
    print(f"{plan.template_id or plan.pattern}: {s['item_count']} items, "
          f"{s['distance_horizontal_m'] / 1000:.2f} km, {s['flight_time_s'] / 60:.1f} min, "
          f"{s['energy_pct']:.0f}% battery")
    if plan.photo_count:
        print(f"  {plan.photo_count} photos at {plan.gsd_cm_px:.2f} cm/px")
    if plan.area_m2:
        print(f"  area {plan.area_m2 / 10000:.2f} ha")
    for note in plan.notes:
        print(f"  note: {note}")
    for v in violations:
        print(f"  REFUSED: {v.message} [field {v.field}, value {v.value}, limit {v.limit}]")


def run_plan(args: argparse.Namespace) -> int:
    try:
        inputs = gather_inputs(args)
        params = dict(parse_param_text(p) for p in args.param)
        if args.template_id in PATTERNS:
            plan = compile_pattern(args.template_id, inputs, params)
        else:
            plan = compile_template(args.template_id, inputs, params)
        no_fly = (None if args.no_fly == "none"
                  else NoFlyZones.from_file(args.no_fly) if args.no_fly
                  else NoFlyZones.weihai_sample())
        limits = SafetyLimits(altitude_ceiling_m=args.ceiling_m, reserve_pct=args.reserve_pct,
                              max_items=args.max_items)
        violations = find_violations(plan, limits, no_fly)
    except JinghangError as exc:
        return _fail(exc)
    if args.json:
        print(json.dumps({**plan.summary(), "violations": [v.to_dict() for v in violations]},
                         ensure_ascii=False, indent=1))
    else:
        _print_summary(plan, list(violations))
    if violations:
        return _fail(violations[0])
    if args.output:
        try:
            path = save_plan(plan, args.output)
        except JinghangError as exc:
            return _fail(exc)
        print(f"wrote {path}")
    if args.fly:
        code, report = asyncio.run(_fly(args.fly, plan, limits, no_fly, args.timeout_s))
        if report is not None and args.track and len(report.track) >= 2:
            feature = track_to_geojson(report.track, template_id=plan.template_id,
                                       reached_seqs=report.reached_seqs)
            Path(args.track).write_text(json.dumps(feature) + "\n", encoding="utf-8")
            print(f"wrote the flown track to {args.track}")
        return code
    return 0


async def _fly(connection: str, plan: MissionPlan, limits: SafetyLimits,
               no_fly: NoFlyZones | None, timeout_s: float) -> tuple[int, FlightReport | None]:
    from jinghang.flight import Fleet
    from jinghang.missions.flying import fly_plan

    def say(text: str) -> None:
        print(f"  {text}", flush=True)

    try:
        async with Fleet() as fleet:
            await fleet.connect(connection)
            vehicle = await fleet.wait_vehicle(timeout_s=30)
            say(f"connected to vehicle {vehicle.system_id} ({vehicle.state.autopilot})")
            report = await fly_plan(vehicle, plan, limits, no_fly, timeout_s=timeout_s,
                                    progress=say, actor="cli")
    except JinghangError as exc:
        return _fail(exc), None
    except BaseExceptionGroup as group:  # raised inside the fleet's task group
        first = _first_jinghang_error(group)
        if first is None:
            raise
        return _fail(first), None
    if not report.completed:
        print(f"ended early: reached {len(report.reached_seqs)} items, last "
              f"{report.last_reached_seq}", file=sys.stderr)
        return 1, report
    print(f"completed: reached {len(report.reached_seqs)} items, "
          f"max altitude {report.max_relative_altitude_m:.0f} m")
    return 0, report
