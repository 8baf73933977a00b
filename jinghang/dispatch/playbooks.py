"""The 19 response playbooks (CATALOG.md), loaded from one data file (``playbooks.json``).

A playbook says, for an incident type, its priority (1 most urgent), the first flight on
arrival as stages of flight patterns with their parameters (or a catalog template id), the
altitude and standoff, the payloads the drone must carry, how long the scene is to be watched
(``on_scene_s``: a hover watch longer than one battery is flown in relief shifts; the energy
check itself uses each sortie's estimated flight, see :func:`jinghang.dispatch.planning.
work_parts`), the side of the default area built round a reported point for area work
(``search_box_m``), whether a pilot must confirm before launch, and whether the
case closes by itself when its last sortie lands (``close_when_landed``, default false).
The dispatcher picks the drone; the playbook says what it does.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from jinghang.dispatch.errors import PlaybookFileError, UnknownPlaybook
from jinghang.errors import DispatchError

PATTERNS = (
    "area_survey", "corridor", "perimeter", "waypoint_loop", "orbit", "expanding_square",
    "sector_search", "structure_scan", "hover",
)


class AreaRequired(DispatchError):
    """A playbook that covers an area was reported with a point only and has no default
    area round a point (``code`` ``incident.area_required``, field ``area``)."""

    status_code = 422
    title = "Area required"


@dataclass(frozen=True)
class FlightStage:
    """One pattern of the first flight, with its parameter overrides."""

    pattern: str
    params: dict[str, Any] = field(default_factory=dict)
    at: str = "point"


@dataclass(frozen=True)
class Playbook:
    id: str
    incident_type_zh: str
    incident_type_en: str
    priority: int
    stages: tuple[FlightStage, ...]
    altitude_m: float
    standoff_m: float
    payloads: tuple[str, ...]
    optional_payloads: tuple[str, ...]
    pilot_confirmation: bool
    on_scene_s: float
    template_id: str | None = None
    search_box_m: float | None = None
    note: str = ""
    #: Close the case (outcome ``flown``) when its last sortie lands; by default it stays
    #: open until a commander closes it.
    close_when_landed: bool = False

    @property
    def first_pattern(self) -> str:
        return self.stages[0].pattern

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, for the API's playbook list."""
        return {
            "id": self.id,
            "incident_type_zh": self.incident_type_zh,
            "incident_type_en": self.incident_type_en,
            "priority": self.priority,
            "first_flight": {
                "template_id": self.template_id,
                "stages": [
                    {"pattern": s.pattern, "at": s.at, "params": dict(s.params)}
                    for s in self.stages
                ],
            },
            "altitude_m": self.altitude_m,
            "standoff_m": self.standoff_m,
            "payloads": list(self.payloads),
            "optional_payloads": list(self.optional_payloads),
            "pilot_confirmation": self.pilot_confirmation,
            "on_scene_s": self.on_scene_s,
            "search_box_m": self.search_box_m,
            "note": self.note,
            "close_when_landed": self.close_when_landed,
        }


def _need(entry: dict[str, Any], key: str, where: str) -> Any:
    if key not in entry:
        raise PlaybookFileError(f"{where} has no {key!r}", field=f"{where}.{key}")
    return entry[key]


def parse_playbook(entry: dict[str, Any], where: str) -> Playbook:
    """One playbook from its JSON entry; :class:`PlaybookFileError` names what is wrong."""
    pid = str(_need(entry, "id", where))
    where = f"playbooks[{pid}]"
    flight = _need(entry, "first_flight", where)
    stages_raw = _need(flight, "stages", f"{where}.first_flight")
    if not stages_raw:
        raise PlaybookFileError(f"{where} has no stages", field=f"{where}.first_flight.stages")
    stages = []
    for n, raw in enumerate(stages_raw):
        pattern = _need(raw, "pattern", f"{where}.stages[{n}]")
        if pattern not in PATTERNS:
            raise PlaybookFileError(
                f"{where} stage {n} has an unknown pattern {pattern!r}",
                field=f"{where}.stages[{n}].pattern", value=pattern, limit=list(PATTERNS),
            )
        stages.append(FlightStage(pattern, dict(raw.get("params", {})), raw.get("at", "point")))
    priority = int(_need(entry, "priority", where))
    if not 1 <= priority <= 5:
        raise PlaybookFileError(
            f"{where} priority {priority} is outside 1..5", field=f"{where}.priority",
            value=priority, limit="1..5",
        )
    return Playbook(
        id=pid,
        incident_type_zh=str(_need(entry, "incident_type_zh", where)),
        incident_type_en=str(_need(entry, "incident_type_en", where)),
        priority=priority,
        stages=tuple(stages),
        altitude_m=float(_need(entry, "altitude_m", where)),
        standoff_m=float(entry.get("standoff_m", 0.0)),
        payloads=tuple(_need(entry, "payloads", where)),
        optional_payloads=tuple(entry.get("optional_payloads", ())),
        pilot_confirmation=bool(entry.get("pilot_confirmation", False)),
        on_scene_s=float(entry.get("on_scene_s", 300.0)),
        template_id=flight.get("template_id"),
        search_box_m=entry.get("search_box_m"),
        note=str(entry.get("note", "")),
        close_when_landed=bool(entry.get("close_when_landed", False)),
    )


class Playbooks:
    """The loaded playbooks by id, in file order."""

    def __init__(self, playbooks: list[Playbook]) -> None:
        self._by_id = {p.id: p for p in playbooks}
        if len(self._by_id) != len(playbooks):
            raise PlaybookFileError("two playbooks share an id", field="playbooks")

    def get(self, playbook_id: str) -> Playbook:
        try:
            return self._by_id[playbook_id]
        except KeyError:
            raise UnknownPlaybook(
                f"no playbook {playbook_id!r}", field="playbook_id", value=playbook_id,
                limit=sorted(self._by_id),
            ) from None

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self._by_id.values())

    def __len__(self) -> int:
        return len(self._by_id)

    def __contains__(self, playbook_id: object) -> bool:
        return playbook_id in self._by_id


def parse_playbooks(doc: dict[str, Any]) -> Playbooks:
    entries = doc.get("playbooks")
    if not isinstance(entries, list):
        raise PlaybookFileError("the file has no 'playbooks' list", field="playbooks")
    return Playbooks([parse_playbook(e, f"playbooks[{n}]") for n, e in enumerate(entries)])


def load_playbooks(path: str | Path | None = None) -> Playbooks:
    """The shipped playbooks, or those of another file with the same shape."""
    if path is None:
        return _shipped()
    return parse_playbooks(json.loads(Path(path).read_text(encoding="utf-8")))


@lru_cache(maxsize=1)
def _shipped() -> Playbooks:
    text = resources.files("jinghang.dispatch").joinpath("playbooks.json").read_text("utf-8")
    return parse_playbooks(json.loads(text))
