"""Reading mission files safely: every file is hostile until checked.

The one place the format readers (KML/KMZ, GeoJSON, ``.plan``, ``.waypoints``) get their bytes,
text and JSON from, each bounded by :class:`jinghang.limits.Limits`:

- :func:`read_bytes`: a file of at most ``upload_body_bytes``;
- :func:`decode_text`: UTF-8 (a BOM allowed), or a :class:`FormatError` naming the byte;
- :func:`load_json`: strict JSON (no ``NaN``/``Infinity``, no number overflowing to infinity)
  nested at most ``nesting_depth`` deep;
- :func:`unzip_kml`: the KML inside a KMZ, after checking the ZIP directory (members, total
  inflated size, inflation ratio) *before* inflating anything, and inflating with a hard stop
  in case the directory lied;
- :func:`check_depth`, :func:`check_latlon`, :func:`check_count` and :func:`check_plan_values`
  for what the parsers build.
"""

from __future__ import annotations

import io
import json
import math
import zipfile
from pathlib import Path
from typing import Any

from jinghang.limits import DEFAULT_LIMITS, Limits
from jinghang.missions.errors import FormatError
from jinghang.missions.geo import LatLon
from jinghang.missions.plan import MissionPlan

#: Altitudes in a mission file beyond this, in metres, are nonsense (or an attack).
MAX_FILE_ALTITUDE_M = 100_000.0

_NOT_FINITE = object()


def read_bytes(path: str | Path, limits: Limits = DEFAULT_LIMITS) -> bytes:
    """The file's bytes, refusing one larger than ``upload_body_bytes``."""
    p = Path(path)
    try:
        size = p.stat().st_size
        if size > limits.upload_body_bytes:
            raise FormatError(
                f"{p} is {size} bytes; at most {limits.upload_body_bytes} are read",
                field="path", value=str(p), limit=f"{limits.upload_body_bytes} bytes",
                code="file_too_large",
            )
        with p.open("rb") as f:
            return f.read(limits.upload_body_bytes + 1)[: limits.upload_body_bytes]
    except OSError as exc:
        raise FormatError(f"cannot read {p}: {exc.strerror or exc}", field="path",
                          value=str(p)) from exc


def decode_text(raw: bytes, source: str) -> str:
    """``raw`` as UTF-8 text (a leading BOM dropped), or a clear error naming the byte."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise FormatError(
            f"{source} is not UTF-8 text: byte {exc.start} (0x{raw[exc.start]:02x}) "
            "cannot be decoded; save the file as UTF-8",
            field="encoding", value=source, limit="UTF-8", code="file_not_utf8",
        ) from None


def _finite_float(text: str) -> Any:
    value = float(text)
    return value if math.isfinite(value) else _NOT_FINITE


def _constant(_name: str) -> Any:
    return _NOT_FINITE


def load_json(text: str, source: str, limits: Limits = DEFAULT_LIMITS) -> Any:
    """Strict JSON from ``text``: finite numbers only, nested at most ``nesting_depth``."""
    try:
        doc = json.loads(text, parse_float=_finite_float, parse_constant=_constant)
    except RecursionError:
        raise _too_deep(source, limits) from None
    except ValueError as exc:
        raise FormatError(f"{source} is not valid JSON: {exc}", field="path", value=source,
                          limit="JSON") from None
    check_depth(doc, source, limits)
    return doc


def _too_deep(source: str, limits: Limits) -> FormatError:
    return FormatError(
        f"{source} nests deeper than {limits.nesting_depth} levels",
        field="path", value=source, limit=f"nesting depth {limits.nesting_depth}",
        code="file_too_deep",
    )


def check_depth(doc: Any, source: str, limits: Limits = DEFAULT_LIMITS) -> None:
    """Refuse JSON nested deeper than ``nesting_depth`` or holding a non-finite number."""
    stack: list[tuple[Any, int, str]] = [(doc, 0, "")]
    while stack:
        value, depth, where = stack.pop()
        if depth > limits.nesting_depth:
            raise _too_deep(source, limits)
        if value is _NOT_FINITE:
            raise FormatError(
                f"{source} has a number that is not finite (NaN, Infinity or too large)"
                + (f" at {where}" if where else ""),
                field=where or "path", value=source, limit="finite numbers",
                code="number_not_finite",
            )
        if isinstance(value, dict):
            stack.extend((v, depth + 1, f"{where}.{k}" if where else str(k))
                         for k, v in value.items())
        elif isinstance(value, list):
            stack.extend((v, depth + 1, f"{where}[{i}]") for i, v in enumerate(value))


def unzip_kml(raw: bytes, source: str, limits: Limits = DEFAULT_LIMITS) -> bytes:
    """The main ``.kml`` of a KMZ, checked against the inflation limits before inflating."""
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as zf:
            members = zf.infolist()
            if len(members) > limits.kmz_members:
                raise FormatError(
                    f"{source} holds {len(members)} files; at most {limits.kmz_members}",
                    field="kmz", value=len(members), limit=limits.kmz_members,
                    code="kmz_too_many_members",
                )
            total = sum(m.file_size for m in members)
            if total > limits.kmz_inflated_bytes:
                raise FormatError(
                    f"{source} would inflate to {total} bytes; at most "
                    f"{limits.kmz_inflated_bytes}",
                    field="kmz", value=total, limit=f"{limits.kmz_inflated_bytes} bytes",
                    code="kmz_too_large",
                )
            for m in members:
                ratio = m.file_size / max(m.compress_size, 1)
                if m.file_size > 1024 and ratio > limits.kmz_ratio:
                    raise FormatError(
                        f"{source}: {m.filename} inflates {ratio:.0f} times; at most "
                        f"{limits.kmz_ratio:g} (a zip bomb?)",
                        field="kmz", value=round(ratio), limit=limits.kmz_ratio,
                        code="kmz_ratio",
                    )
            names = [m.filename for m in members if m.filename.lower().endswith(".kml")]
            if not names:
                raise FormatError(f"{source} holds no .kml file", field="kmz", value=source,
                                  limit="a zip with doc.kml")
            main = "doc.kml" if "doc.kml" in names else names[0]
            cap = min(zf.getinfo(main).file_size, limits.kmz_inflated_bytes)
            with zf.open(main) as member:
                data = member.read(cap + 1)
            if len(data) > cap:  # the directory understated the size
                raise FormatError(
                    f"{source}: {main} inflates past the size its directory states",
                    field="kmz", value=source, limit=f"{cap} bytes", code="kmz_too_large",
                )
            return data
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, EOFError,
            ValueError) as exc:
        raise FormatError(f"{source} is not a readable KMZ (zip) file: {exc}", field="kmz",
                          value=source) from exc


def check_latlon(lat: float, lon: float, where: str) -> LatLon:
    """``(lat, lon)`` if finite and on the globe, else a FormatError naming ``where``."""
    if not (math.isfinite(lat) and -90.0 <= lat <= 90.0
            and math.isfinite(lon) and -180.0 <= lon <= 180.0):
        raise FormatError(
            f"{where} has a position off the globe: latitude {lat}, longitude {lon}",
            field=where, value=f"{lat},{lon}",
            limit="latitude -90..90, longitude -180..180 degrees, finite",
            code="position_off_globe",
        )
    return lat, lon


def check_count(count: int, limit: int, what: str, where: str) -> None:
    """Refuse more than ``limit`` ``what`` (vertices, features, items) in ``where``."""
    if count > limit:
        raise FormatError(
            f"{where} has {count} {what}; at most {limit} are read",
            field=where, value=count, limit=limit, code=f"too_many_{what}",
        )


def check_plan_values(plan: MissionPlan, source: str) -> MissionPlan:
    """Refuse a loaded plan with a position off the globe or a non-finite number."""
    if plan.home is not None:
        check_latlon(plan.home[0], plan.home[1], f"{source}: home")
        _finite_altitude(plan.home[2], f"{source}: home")
    for seq, item in enumerate(plan.items):
        where = f"{source}: item {seq}"
        check_latlon(item.latitude_deg, item.longitude_deg, where)
        _finite_altitude(item.altitude_m, where)
        for name in ("param1", "param2", "param3", "param4"):
            value = getattr(item, name)
            if math.isinf(value) or (not math.isnan(value) and abs(value) > 1e15):
                raise FormatError(
                    f"{where} has {name} = {value}", field=f"{where}.{name}", value=value,
                    limit="a finite number (or empty)", code="number_not_finite",
                )
    return plan


def _finite_altitude(altitude_m: float, where: str) -> None:
    if not (math.isfinite(altitude_m) and abs(altitude_m) <= MAX_FILE_ALTITUDE_M):
        raise FormatError(
            f"{where} has an altitude of {altitude_m} m", field=f"{where}.altitude_m",
            value=altitude_m, limit=f"finite, within ±{MAX_FILE_ALTITUDE_M:g} m",
            code="altitude_out_of_range",
        )
