"""The server's safety limits and no-fly zones, from the settings (the shipped Weihai sample
when no file is configured); loaded once per settings object."""

from __future__ import annotations

from functools import cache
from typing import Any

from jinghang.config import Settings
from jinghang.missions.nofly import NoFlyZones
from jinghang.missions.safety import SafetyLimits


@cache
def _zones(path: str) -> NoFlyZones:
    return NoFlyZones.from_file(path) if path else NoFlyZones.weihai_sample()


def no_fly_zones(settings: Settings) -> NoFlyZones:
    return _zones(settings.no_fly_zones_path)


def safety_limits(settings: Settings) -> SafetyLimits:
    return SafetyLimits(
        altitude_ceiling_m=settings.altitude_ceiling_m, reserve_pct=settings.battery_reserve_pct
    )


def zones_geojson(settings: Settings) -> dict[str, Any]:
    from shapely.geometry import mapping

    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"name": z.name, **z.properties},
                "geometry": mapping(z.geometry),
            }
            for z in no_fly_zones(settings).zones
        ],
    }
