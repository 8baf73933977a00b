"""WPL 110 ``.waypoints`` files as Mission Planner and MAVProxy read and write them:
the header ``QGC WPL 110``, then one tab-separated line per item (index, current, frame,
command, param1-4, latitude, longitude, altitude, autocontinue). Line 0 is home."""

from __future__ import annotations

from jinghang.missions.errors import FormatError
from jinghang.missions.estimate import with_estimates
from jinghang.missions.items import Cmd, Frame, MissionItem
from jinghang.missions.plan import MissionPlan

HEADER = "QGC WPL 110"


def _num(value: float) -> str:
    text = f"{value:.8f}".rstrip("0").rstrip(".")
    return text if text not in ("", "-0") else "0"


def _line(index: int, current: int, item: MissionItem) -> str:
    fields = [
        str(index), str(current), str(int(item.frame)), str(int(item.command)),
        _num(item.param1), _num(item.param2), _num(item.param3), _num(item.param4),
        f"{item.latitude_deg:.8f}", f"{item.longitude_deg:.8f}", _num(item.altitude_m),
        "1" if item.autocontinue else "0",
    ]
    return "\t".join(fields)


def plan_to_wpl(plan: MissionPlan) -> str:
    """The plan's mission items with home as line 0."""
    home = plan.home
    if home is None:
        launch = plan.launch_point() or (0.0, 0.0)
        home = (launch[0], launch[1], 0.0)
    home_item = MissionItem(Cmd.NAV_WAYPOINT, Frame.GLOBAL, latitude_deg=home[0],
                            longitude_deg=home[1], altitude_m=home[2])
    lines = [HEADER, _line(0, 1, home_item)]
    lines.extend(_line(i + 1, 0, item) for i, item in enumerate(plan.items))
    return "\n".join(lines) + "\n"


def wpl_to_plan(text: str, source: str = "waypoints file") -> MissionPlan:
    """A plan from WPL 110 text: line 0 becomes home, the rest the items in order."""
    lines = [ln for ln in text.splitlines() if ln.strip()]
    if not lines or not lines[0].strip().startswith("QGC WPL"):
        raise FormatError(f"{source} does not start with {HEADER!r}", field="header",
                          value=lines[0][:40] if lines else "", limit=HEADER)
    version = lines[0].split()[-1]
    if version != "110":
        raise FormatError(f"{source} is WPL {version}; only 110 is read", field="header",
                          value=version, limit="110")
    home = None
    items: list[MissionItem] = []
    for number, line in enumerate(lines[1:], start=2):
        parts = line.split("\t") if "\t" in line else line.split()
        if len(parts) != 12:
            raise FormatError(f"{source} line {number} has {len(parts)} fields, not 12",
                              field=f"line {number}", value=len(parts), limit=12)
        try:
            index = int(parts[0])
            frame, command = int(parts[2]), int(parts[3])
            p1, p2, p3, p4, lat, lon, alt = (float(v) for v in parts[4:11])
            auto = bool(int(float(parts[11])))
        except ValueError as exc:
            raise FormatError(f"{source} line {number} has a bad number: {exc}",
                              field=f"line {number}", value=line[:60], limit="numbers") from exc
        if index == 0 and home is None and not items:
            home = (lat, lon, alt)
            continue
        items.append(MissionItem(command, frame, p1, p2, p3, p4, lat, lon, alt, auto))
    return with_estimates(MissionPlan(items=items, home=home))
