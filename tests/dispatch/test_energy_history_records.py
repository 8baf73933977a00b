"""Hostile or absent battery figures do not corrupt the record: NaN, infinities and -1
(unknown) are stored as unknown (NULL), the row says why it does not count, the corrected
endurance stays the nominal one, and the history reads back as plain JSON."""

from __future__ import annotations

import json
import math
from pathlib import Path

from jinghang.dispatch.energy_history import (
    BatteryMeter,
    Span,
    build_record,
    flight_energy_of,
)
from jinghang.mavlink.dialect import mavlink
from jinghang.missions.endurance import endurance_correction
from jinghang.store import (
    FlightEnergyCreate,
    MissionCreate,
    create_mission,
    get_mission,
    list_flight_energy,
    open_store,
    record_flight_energy,
    set_mission_state,
)
from jinghang.store.models import MissionState


def test_non_finite_figures_are_stored_as_unknown(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'energy.db'}")
    try:
        with store.transaction() as s:
            record_flight_energy(s, FlightEnergyCreate(
                drone_id=1, planned_time_s=math.nan, planned_pct=math.inf,
                flown_time_s=math.inf, consumed_mah=math.nan, energy_wh=-math.inf,
                remaining_before_pct=math.nan, used_pct=math.nan, completed=True))
        with store.read_session() as s:
            [row] = list_flight_energy(s, 1)
        assert (row.planned_time_s, row.planned_pct) == (0.0, 0.0)
        assert (row.flown_time_s, row.consumed_mah, row.energy_wh, row.used_pct) == (
            None, None, None, None)
        json.dumps(row.model_dump(mode="json"), allow_nan=False)
        correction = endurance_correction(1800.0, [flight_energy_of(row)] * 5)
        assert (correction.corrected_s, correction.basis) == (1800.0, "nominal")
    finally:
        store.close()


def test_a_flight_whose_vehicle_reports_nothing_is_recorded_as_unknown(tmp_path: Path) -> None:
    """BATTERY_STATUS with -1 everywhere and no SYS_STATUS percentage: no number is made up."""
    def battery() -> object:
        return mavlink.MAVLink_battery_status_message(
            0, 0, 0, 32767, [65535] * 10, -1, -1, -1, -1, 0, 0)

    meter = BatteryMeter()
    for message in (mavlink.MAVLink_system_time_message(0, 1_000), battery(),
                    mavlink.MAVLink_heartbeat_message(2, 3, 128, 3, 4, 3),
                    mavlink.MAVLink_system_time_message(0, 400_000), battery(),
                    mavlink.MAVLink_heartbeat_message(2, 3, 0, 3, 4, 3)):
        meter.observe(message)
    [span] = meter.spans
    assert isinstance(span, Span)
    store = open_store(f"sqlite:///{tmp_path / 'energy.db'}")
    try:
        with store.transaction() as s:
            mission = create_mission(s, MissionCreate(drone_id=1, template_id="P01",
                                                      flight_time_s=400.0), created_by="test")
            set_mission_state(s, mission.id, MissionState.COMPLETED, actor="test")
        with store.read_session() as s:
            mission = get_mission(s, mission.id)
        data = build_record(drone_id=1, mission=mission, nominal_s=1800.0,
                            endurance_s=1800.0, span=span, capacity_mah=3300.0)
        with store.transaction() as s:
            row = record_flight_energy(s, data)
    finally:
        store.close()
    assert row.flown_time_s == 399.0
    assert (row.consumed_mah, row.energy_wh, row.used_pct) == (None, None, None)
    assert (row.source, row.skip_code) == ("none", "energy.used_unknown")
    assert row.planned_pct == 100.0 * 400.0 / 1800.0

