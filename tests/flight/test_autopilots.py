"""Autopilot strategies: the registry by MAV_AUTOPILOT, and what each firmware's modes mean,
read from real heartbeats (ArduPilot: the built-in simulator, or real SITL; PX4: a scripted
PX4 vehicle on an in-memory link)."""

from __future__ import annotations

import pytest

from jinghang.flight import autopilot_for, autopilot_named
from jinghang.flight.autopilots import PX4, ArduPilot, Autopilot, Generic, register
from jinghang.mavlink.constants import (
    MAV_AUTOPILOT_ARDUPILOTMEGA,
    MAV_AUTOPILOT_INVALID,
    MAV_AUTOPILOT_PX4,
)
from tests.flight.conftest import scripted_vehicle
from tests.flight.simulated import connected_vehicle, take_off


def test_the_registry_picks_the_strategy_by_mav_autopilot() -> None:
    assert isinstance(autopilot_for(MAV_AUTOPILOT_ARDUPILOTMEGA), ArduPilot)
    assert isinstance(autopilot_for(MAV_AUTOPILOT_PX4), PX4)
    assert isinstance(autopilot_for(MAV_AUTOPILOT_INVALID), Generic)
    assert isinstance(autopilot_for(0), Generic)  # MAV_AUTOPILOT_GENERIC
    assert autopilot_named("ardupilot") is autopilot_for(MAV_AUTOPILOT_ARDUPILOTMEGA)
    assert autopilot_named("px4") is autopilot_for(MAV_AUTOPILOT_PX4)
    assert isinstance(autopilot_named("no-such-firmware"), Generic)


def test_a_firmware_can_be_registered() -> None:
    class Yaw(Autopilot):
        name = "yaw-test"
        returning_modes = frozenset({"HOMEWARD"})

    register(250, Yaw())
    try:
        assert autopilot_for(250).is_returning("HOMEWARD")
        assert autopilot_named("yaw-test").name == "yaw-test"
    finally:
        register(250, Generic())


def test_mode_names_and_returning_differ_by_firmware() -> None:
    ardupilot, px4 = ArduPilot(), PX4()
    assert ardupilot.mode_name(6) == "RTL" and ardupilot.custom_mode("smart_rtl") == 21
    assert px4.mode_name((4 << 16) | (5 << 24)) == "AUTO.RTL"
    assert px4.custom_mode("RTL") == px4.custom_mode("AUTO.RTL")  # the common name maps
    for mode in ("RTL", "SMART_RTL", "AUTO_RTL", "LAND"):
        assert ardupilot.is_returning(mode) and not px4.is_returning(mode)
    for mode in ("AUTO.RTL", "AUTO.LAND"):
        assert px4.is_returning(mode) and not ardupilot.is_returning(mode)
    for mode in ("AUTO", "GUIDED", "BRAKE", "LOITER", "AUTO.MISSION", "AUTO.LOITER"):
        assert not ardupilot.is_returning(mode) and not px4.is_returning(mode)
    assert "AUTO.MISSION" in px4.mode_names() and "BRAKE" in ardupilot.mode_names()


def test_arming_refusal_texts_are_read_per_firmware() -> None:
    texts = ["PreArm: GPS 1: Bad fix", "Mission: 1 WP", "Preflight Fail: Compass not calibrated",
             "Arm: Throttle too high"]
    assert ArduPilot().arming_refusals(texts) == [texts[0], texts[3]]
    assert PX4().arming_refusals(texts) == [texts[2], texts[3]]


async def test_the_simulators_heartbeats_give_ardupilot_modes_and_returning(
    backend: str,
) -> None:
    async with connected_vehicle(backend) as (_, vehicle):
        assert isinstance(vehicle.autopilot, ArduPilot)
        assert autopilot_named(vehicle.state.autopilot) is vehicle.autopilot
        await take_off(vehicle, 10.0)
        assert vehicle.state.mode == "GUIDED"
        assert not vehicle.autopilot.is_returning(vehicle.state.mode)
        await vehicle.pause(actor="pilot")
        assert vehicle.state.mode == "BRAKE"  # ArduPilot pauses in BRAKE
        await vehicle.rtl(actor="pilot")
        state = await vehicle.wait_until(lambda s: s.mode == "RTL", timeout_s=10)
        assert autopilot_named(state.autopilot).is_returning(state.mode)
        await vehicle.land(actor="pilot")
        state = await vehicle.wait_until(lambda s: s.mode == "LAND", timeout_s=10)
        assert vehicle.autopilot.is_returning(state.mode)


async def test_px4_heartbeats_give_px4_modes_and_returning() -> None:
    async with scripted_vehicle(autopilot=MAV_AUTOPILOT_PX4, home_at_seq0=False) as (
        _, vehicle, _peer,
    ):
        assert isinstance(vehicle.autopilot, PX4)
        assert vehicle.state.autopilot == "px4"
        await vehicle.pause(actor="pilot")
        assert vehicle.state.mode == "AUTO.LOITER"
        assert not vehicle.autopilot.is_returning(vehicle.state.mode)
        await vehicle.rtl(actor="pilot")
        assert vehicle.state.mode == "AUTO.RTL"
        assert autopilot_named(vehicle.state.autopilot).is_returning(vehicle.state.mode)
        assert not ArduPilot().is_returning(vehicle.state.mode)


@pytest.mark.parametrize("mode", ["RTL", "AUTO.RTL"])
def test_dispatch_reads_returning_from_the_strategy(mode: str) -> None:
    from dataclasses import dataclass

    from jinghang.dispatch.flights import Flight, Phase, observe

    @dataclass
    class State:
        autopilot: str
        mode: str
        armed: bool = True
        relative_altitude_m: float = 40.0
        mission_current_seq: int | None = 1

    def phase(autopilot: str) -> Phase:
        flight = Flight(drone_id=1, mission_id=1, items=[], scene_seq=3, return_seq=20)
        flight.phase = Phase.EN_ROUTE
        return observe(flight, State(autopilot, mode))

    firmware = "ardupilot" if mode == "RTL" else "px4"
    other = "px4" if firmware == "ardupilot" else "ardupilot"
    assert phase(firmware) == Phase.RETURNING
    assert phase(other) == Phase.EN_ROUTE
