"""The template catalog: the 33 government aerial application templates, loaded from one data
file in the package (``catalog.json``). A template is data, not a class: an id, its names in
Chinese and English, a category, the stages of patterns it flies, default parameters, the
operator inputs it needs and the payloads it uses. Adding a 34th template is a data change."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from jinghang.missions.errors import FormatError, UnknownTemplateError
from jinghang.missions.params import resolve_params
from jinghang.missions.patterns import PATTERN_INPUTS

ORBIT_AT = ("point", "points", "centroid", "route_end")


@dataclass(frozen=True)
class Stage:
    """One pattern flown in a template, with its own parameter overrides."""

    pattern: str
    at: str = "point"
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Template:
    id: str
    category: str
    category_zh: str
    category_en: str
    name_zh: str
    name_en: str
    pattern: str
    stages: tuple[Stage, ...]
    #: Each entry is an input name, or alternatives joined with ``|`` (``point|area``).
    inputs: tuple[str, ...]
    optional_inputs: tuple[str, ...]
    payloads: tuple[str, ...]
    defaults: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "category": self.category,
            "category_zh": self.category_zh,
            "category_en": self.category_en,
            "name_zh": self.name_zh,
            "name_en": self.name_en,
            "pattern": self.pattern,
            "stages": [
                {"pattern": s.pattern, "at": s.at, "params": dict(s.params)} for s in self.stages
            ],
            "inputs": list(self.inputs),
            "optional_inputs": list(self.optional_inputs),
            "payloads": list(self.payloads),
            "defaults": dict(self.defaults),
        }


@dataclass(frozen=True)
class Catalog:
    templates: dict[str, Template]
    categories: dict[str, dict[str, str]]

    def get(self, template_id: str) -> Template:
        try:
            return self.templates[template_id.upper()]
        except KeyError:
            raise UnknownTemplateError(
                f"no template {template_id!r} in the catalog",
                field="template_id", value=template_id, limit=sorted(self.templates),
            ) from None

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self.templates.values())

    def __len__(self) -> int:
        return len(self.templates)


def _bad(message: str, where: str, value: Any = None) -> FormatError:
    return FormatError(message, field=where, value=value, limit="see catalog.json's layout")


def parse_catalog(doc: dict[str, Any]) -> Catalog:
    """A :class:`Catalog` from the JSON document, every template checked."""
    categories = doc.get("categories")
    entries = doc.get("templates")
    if not isinstance(categories, dict) or not isinstance(entries, list):
        raise _bad("a catalog needs 'categories' and 'templates'", "catalog")
    templates: dict[str, Template] = {}
    for i, raw in enumerate(entries):
        where = f"templates[{i}]"
        try:
            tid = str(raw["id"])
            category = str(raw["category"])
            stages = tuple(
                Stage(str(s["pattern"]), str(s.get("at", "point")), dict(s.get("params", {})))
                for s in raw["stages"]
            )
            template = Template(
                id=tid,
                category=category,
                category_zh=categories[category]["zh"],
                category_en=categories[category]["en"],
                name_zh=str(raw["name_zh"]),
                name_en=str(raw["name_en"]),
                pattern=str(raw.get("pattern", stages[0].pattern if stages else "")),
                stages=stages,
                inputs=tuple(raw.get("inputs", [])),
                optional_inputs=tuple(raw.get("optional_inputs", [])),
                payloads=tuple(raw.get("payloads", [])),
                defaults=dict(raw.get("defaults", {})),
            )
        except (KeyError, TypeError) as exc:
            raise _bad(f"{where} is missing or has a bad {exc}", where) from exc
        if tid in templates:
            raise _bad(f"template id {tid} appears twice", f"{where}.id", tid)
        if not stages:
            raise _bad(f"template {tid} has no stages", f"{where}.stages")
        for stage in stages:
            if stage.pattern not in PATTERN_INPUTS:
                raise _bad(f"template {tid} uses unknown pattern {stage.pattern}",
                           f"{where}.stages", stage.pattern)
            if stage.at not in ORBIT_AT:
                raise _bad(f"template {tid} has unknown 'at' {stage.at}", f"{where}.stages",
                           stage.at)
            resolve_params(template.defaults, stage.params)
        templates[tid] = template
    return Catalog(templates, {k: dict(v) for k, v in categories.items()})


def load_catalog(path: str | Path | None = None) -> Catalog:
    """The catalog shipped with the package, or one from ``path``."""
    if path is None:
        return _shipped_catalog()
    try:
        doc = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise FormatError(f"cannot read catalog {path}: {exc}", field="catalog",
                          value=str(path)) from exc
    return parse_catalog(doc)


@lru_cache(maxsize=1)
def _shipped_catalog() -> Catalog:
    text = resources.files("jinghang.missions").joinpath("catalog.json").read_text("utf-8")
    return parse_catalog(json.loads(text))
