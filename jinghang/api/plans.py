"""Plan previews for the API: a compiled plan's figures, its items as JSON and every safety
rule it breaks (checked with the server's limits and no-fly zones; nothing is flown)."""

from __future__ import annotations

import dataclasses
from typing import Any

from jinghang.api.services import Services
from jinghang.api.zones import no_fly_zones, safety_limits
from jinghang.missions.plan import MissionPlan
from jinghang.missions.safety import find_violations


def item_dict(item: Any) -> dict[str, Any]:
    """One MissionItem as JSON (enums as their numbers)."""
    out = dataclasses.asdict(item)
    return {k: (int(v) if k in ("command", "frame", "mission_type") else v) for k, v in out.items()}


def preview(services: Services, plan: MissionPlan) -> dict[str, Any]:
    """The plan's figures, its items and every safety rule it breaks (empty when none)."""
    violations = find_violations(
        plan, safety_limits(services.settings), no_fly_zones(services.settings)
    )
    return {
        **plan.summary(),
        "items": [item_dict(i) for i in plan.items],
        "violations": [v.to_dict() for v in violations],
    }
