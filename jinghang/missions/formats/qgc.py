"""QGroundControl ``.plan`` files (JSON, ``fileType: "Plan"``, version 1): the mission (simple
items, and the generated items of complex survey and corridor-scan items), the geofence
(polygons and circles, inclusion or exclusion) and the rally points.

Export writes every item as a SimpleItem, which QGroundControl and Mission Planner load
as-is, and keeps the template, parameters and operator geometry under a ``jinghang`` key that
QGroundControl ignores, so a plan survives the round trip with its metadata.
"""

from __future__ import annotations

import math
from typing import Any

from jinghang.missions.errors import FormatError
from jinghang.missions.estimate import with_estimates
from jinghang.missions.items import Cmd, Frame, MissionItem, MissionType
from jinghang.missions.plan import MissionPlan

#: MAV_AUTOPILOT_ARDUPILOTMEGA and MAV_TYPE_QUADROTOR, as QGC writes them.
FIRMWARE_ARDUPILOT = 3
VEHICLE_QUADROTOR = 2


def _param(value: float) -> float | None:
    return None if math.isnan(value) else value


def _simple_item(item: MissionItem, jump_id: int) -> dict[str, Any]:
    out: dict[str, Any] = {
        "autoContinue": bool(item.autocontinue),
        "command": int(item.command),
        "doJumpId": jump_id,
        "frame": int(item.frame),
        "params": [
            _param(item.param1), _param(item.param2), _param(item.param3), _param(item.param4),
            item.latitude_deg, item.longitude_deg, item.altitude_m,
        ],
        "type": "SimpleItem",
    }
    if item.frame in (Frame.GLOBAL_RELATIVE_ALT, Frame.GLOBAL, Frame.GLOBAL_TERRAIN_ALT):
        out["AMSLAltAboveTerrain"] = None
        out["Altitude"] = item.altitude_m
        out["AltitudeMode"] = {Frame.GLOBAL_RELATIVE_ALT: 1, Frame.GLOBAL: 2}.get(
            Frame(item.frame), 3)
    return out


def _fence(items: list[MissionItem]) -> dict[str, Any]:
    polygons: list[dict[str, Any]] = []
    circles: list[dict[str, Any]] = []
    i = 0
    while i < len(items):
        item = items[i]
        if item.command in (Cmd.NAV_FENCE_POLYGON_VERTEX_INCLUSION,
                            Cmd.NAV_FENCE_POLYGON_VERTEX_EXCLUSION):
            count = max(1, int(item.param1))
            vertices = items[i : i + count]
            polygons.append({
                "inclusion": item.command == Cmd.NAV_FENCE_POLYGON_VERTEX_INCLUSION,
                "polygon": [[v.latitude_deg, v.longitude_deg] for v in vertices],
                "version": 1,
            })
            i += count
            continue
        if item.command in (Cmd.NAV_FENCE_CIRCLE_INCLUSION, Cmd.NAV_FENCE_CIRCLE_EXCLUSION):
            circles.append({
                "circle": {"center": [item.latitude_deg, item.longitude_deg],
                           "radius": item.param1},
                "inclusion": item.command == Cmd.NAV_FENCE_CIRCLE_INCLUSION,
                "version": 1,
            })
        i += 1
    return {"circles": circles, "polygons": polygons, "version": 2}


def plan_to_qgc(plan: MissionPlan) -> dict[str, Any]:
    """The plan as a QGroundControl 4.x ``.plan`` document."""
    home = plan.home
    if home is None:
        launch = plan.launch_point() or (0.0, 0.0)
        home = (launch[0], launch[1], 0.0)
    return {
        "fileType": "Plan",
        "geoFence": _fence(plan.fence),
        "groundStation": "QGroundControl",
        "mission": {
            "cruiseSpeed": plan.cruise_speed_m_s,
            "firmwareType": FIRMWARE_ARDUPILOT,
            "globalPlanAltitudeMode": 1,
            "hoverSpeed": plan.cruise_speed_m_s,
            "items": [_simple_item(item, i + 1) for i, item in enumerate(plan.items)],
            "plannedHomePosition": [home[0], home[1], home[2]],
            "vehicleType": VEHICLE_QUADROTOR,
            "version": 2,
        },
        "rallyPoints": {
            "points": [[r.latitude_deg, r.longitude_deg, r.altitude_m] for r in plan.rally],
            "version": 2,
        },
        "version": 1,
        "jinghang": {
            "template_id": plan.template_id,
            "pattern": plan.pattern,
            "params": plan.params,
            "inputs": plan.inputs,
            "gsd_cm_px": plan.gsd_cm_px,
            "area_m2": plan.area_m2,
            "lane_spacing_m": plan.lane_spacing_m,
            "min_radius_m": plan.min_radius_m,
            "notes": plan.notes,
        },
    }


def _float(value: Any, where: str, *, null: float) -> float:
    if value is None:
        return null
    try:
        return float(value)
    except (TypeError, ValueError) as exc:
        raise FormatError(f"{where} is not a number: {value!r}", field=where, value=value,
                          limit="a number or null") from exc


def _parse_simple(raw: dict[str, Any], where: str) -> MissionItem:
    try:
        command = int(raw["command"])
        params = list(raw.get("params") or [])
    except (KeyError, TypeError, ValueError) as exc:
        raise FormatError(f"{where} has no command", field=f"{where}.command", value=None,
                          limit="a MAV_CMD number") from exc
    if len(params) != 7:
        raise FormatError(f"{where} has {len(params)} params, not 7", field=f"{where}.params",
                          value=len(params), limit=7)
    p = [_float(v, f"{where}.params[{i}]", null=math.nan if i < 4 else 0.0)
         for i, v in enumerate(params)]
    return MissionItem(
        command=command,
        frame=int(raw.get("frame", Frame.GLOBAL_RELATIVE_ALT)),
        param1=p[0], param2=p[1], param3=p[2], param4=p[3],
        latitude_deg=p[4], longitude_deg=p[5], altitude_m=p[6],
        autocontinue=bool(raw.get("autoContinue", True)),
    )


def _parse_items(
    raw_items: list[Any], where: str, polygons: list[list[list[float]]] | None = None
) -> list[MissionItem]:
    """Simple items, and the generated items of complex ones (their polygons collected)."""
    items: list[MissionItem] = []
    for i, raw in enumerate(raw_items):
        here = f"{where}[{i}]"
        kind = raw.get("type") if isinstance(raw, dict) else None
        if kind == "SimpleItem":
            items.append(_parse_simple(raw, here))
        elif kind == "ComplexItem":
            transect = raw.get("TransectStyleComplexItem")
            inner = transect.get("Items") if isinstance(transect, dict) else None
            if not isinstance(inner, list):
                raise FormatError(
                    f"{here} is a {raw.get('complexItemType')} complex item without generated "
                    "items; open it in QGroundControl and save it again",
                    field=f"{here}.TransectStyleComplexItem.Items",
                    value=raw.get("complexItemType"),
                    limit="survey or CorridorScan with TransectStyleComplexItem.Items",
                )
            if polygons is not None and isinstance(raw.get("polygon"), list):
                polygons.append(raw["polygon"])
            items.extend(_parse_items(inner, f"{here}.TransectStyleComplexItem.Items"))
        else:
            raise FormatError(f"{here} has unknown type {kind!r}", field=f"{here}.type",
                              value=kind, limit="SimpleItem or ComplexItem")
    return items


def _fence_items(fence: dict[str, Any]) -> list[MissionItem]:
    out: list[MissionItem] = []
    for i, poly in enumerate(fence.get("polygons") or []):
        vertices = poly.get("polygon") or []
        if len(vertices) < 3:
            raise FormatError(f"geoFence.polygons[{i}] has {len(vertices)} vertices",
                              field=f"geoFence.polygons[{i}].polygon", value=len(vertices),
                              limit=">= 3 vertices")
        cmd = (Cmd.NAV_FENCE_POLYGON_VERTEX_INCLUSION if poly.get("inclusion", True)
               else Cmd.NAV_FENCE_POLYGON_VERTEX_EXCLUSION)
        out.extend(
            MissionItem(cmd, Frame.GLOBAL, float(len(vertices)), latitude_deg=float(v[0]),
                        longitude_deg=float(v[1]), mission_type=MissionType.FENCE)
            for v in vertices
        )
    for circle in fence.get("circles") or []:
        spec = circle.get("circle") or {}
        centre = spec.get("center") or [0.0, 0.0]
        cmd = (Cmd.NAV_FENCE_CIRCLE_INCLUSION if circle.get("inclusion", True)
               else Cmd.NAV_FENCE_CIRCLE_EXCLUSION)
        out.append(MissionItem(cmd, Frame.GLOBAL, float(spec.get("radius", 0.0)),
                               latitude_deg=float(centre[0]), longitude_deg=float(centre[1]),
                               mission_type=MissionType.FENCE))
    return out


def qgc_to_plan(doc: Any, source: str = ".plan file") -> MissionPlan:
    """A plan from a QGroundControl ``.plan`` document (as parsed JSON)."""
    try:
        return _qgc_to_plan(doc, source)
    except FormatError:
        raise
    except (TypeError, ValueError, KeyError, IndexError, AttributeError) as exc:
        raise FormatError(f"{source} is not a well-formed QGroundControl plan: {exc!r}",
                          field="plan", value=source,
                          limit="QGroundControl .plan version 1") from exc


def _qgc_to_plan(doc: Any, source: str) -> MissionPlan:
    if not isinstance(doc, dict) or doc.get("fileType") != "Plan":
        raise FormatError(f"{source} is not a QGroundControl plan", field="fileType",
                          value=doc.get("fileType") if isinstance(doc, dict) else None,
                          limit="Plan")
    if int(doc.get("version", 0)) != 1:
        raise FormatError(f"{source} has plan version {doc.get('version')}", field="version",
                          value=doc.get("version"), limit=1)
    mission = doc.get("mission") or {}
    polygons: list[list[list[float]]] = []
    items = _parse_items(list(mission.get("items") or []), "mission.items", polygons)
    home_raw = mission.get("plannedHomePosition")
    home = None
    if isinstance(home_raw, list) and len(home_raw) >= 2:
        home = (float(home_raw[0]), float(home_raw[1]),
                float(home_raw[2]) if len(home_raw) > 2 and home_raw[2] is not None else 0.0)
    fence = _fence_items(doc.get("geoFence") or {})
    rally = [
        MissionItem(Cmd.NAV_RALLY_POINT, Frame.GLOBAL_RELATIVE_ALT, latitude_deg=float(p[0]),
                    longitude_deg=float(p[1]), altitude_m=float(p[2]) if len(p) > 2 else 0.0,
                    mission_type=MissionType.RALLY)
        for p in (doc.get("rallyPoints") or {}).get("points") or []
    ]
    meta = doc.get("jinghang") or {}
    inputs = dict(meta.get("inputs") or {})
    if not inputs and polygons:
        inputs = {"area": polygons[0]}  # the survey's polygon, checked like an operator's
    plan = MissionPlan(
        items=items,
        template_id=meta.get("template_id"),
        pattern=meta.get("pattern"),
        params=dict(meta.get("params") or {}),
        home=home,
        fence=fence,
        rally=rally,
        inputs=inputs,
        gsd_cm_px=meta.get("gsd_cm_px"),
        area_m2=meta.get("area_m2"),
        lane_spacing_m=meta.get("lane_spacing_m"),
        min_radius_m=meta.get("min_radius_m"),
        cruise_speed_m_s=float(mission.get("cruiseSpeed") or 10.0),
        notes=list(meta.get("notes") or []),
    )
    return with_estimates(plan)
