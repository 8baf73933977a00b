"""Commands with acknowledgement: retries, typed rejections, timeouts, the command record."""

from __future__ import annotations

import pytest

from jinghang.events import EventBus
from jinghang.flight import ArmingRefused, CommandRejected, CommandTimeout
from jinghang.flight.errors import CommandDenied
from tests.flight.conftest import scripted_vehicle


async def test_lost_command_is_retried_with_confirmation_bumped() -> None:
    async with scripted_vehicle(drop_commands=2) as (_, vehicle, peer):
        await vehicle.set_mode("GUIDED", actor="pilot")
        assert vehicle.state.mode == "GUIDED"
        confirmations = [c.confirmation for c in peer.commands if c.command == 176]
        assert confirmations == [0, 1, 2]


async def test_rejection_becomes_a_typed_error_with_its_result() -> None:
    async with scripted_vehicle() as (_, vehicle, _peer):
        with pytest.raises(CommandDenied) as caught:
            await vehicle.set_speed(20.0)
        assert caught.value.result_name == "DENIED"
        assert isinstance(caught.value, CommandRejected)


async def test_no_answer_gives_command_timeout_after_bounded_retries() -> None:
    async with scripted_vehicle(drop_commands=100) as (_, vehicle, peer):
        with pytest.raises(CommandTimeout):
            await vehicle.set_speed(5.0)
        assert len(peer.commands) == 4  # first try and three retries
        assert vehicle.expectations.open_watches == 0


async def test_arming_refused_carries_the_prearm_reason() -> None:
    async with scripted_vehicle(gps_ok=False) as (_, vehicle, _peer):
        with pytest.raises(ArmingRefused) as caught:
            await vehicle.arm(actor="pilot")
        assert caught.value.reasons == ["PreArm: Need 3D Fix"]
        assert "Need 3D Fix" in str(caught.value)
        assert not vehicle.state.armed


async def test_every_command_is_published_with_actor_and_result() -> None:
    bus = EventBus()
    async with bus.subscribe("command") as sub:
        async with scripted_vehicle(bus=bus, gps_ok=False) as (_, vehicle, _peer):
            await vehicle.set_mode("LOITER", actor="operator:li")
            with pytest.raises(ArmingRefused):
                await vehicle.arm(actor="operator:li")
        first = await sub.get()
        second = await sub.get()
    assert first.data["command"] == "set_mode"
    assert first.data["actor"] == "operator:li"
    assert first.data["accepted"] is True
    assert first.data["params"] == {"mode": "LOITER"}
    assert second.data["command"] == "arm"
    assert second.data["accepted"] is False
    assert second.data["result"] == "FAILED"


async def test_takeoff_switches_to_guided_and_arms() -> None:
    async with scripted_vehicle() as (_, vehicle, peer):
        await vehicle.takeoff(20.0, actor="pilot")
        assert vehicle.state.armed and vehicle.state.mode == "GUIDED"
        takeoff = [c for c in peer.commands if c.command == 22][-1]
        assert takeoff.param7 == 20.0


async def test_bad_input_names_the_field_and_sends_nothing() -> None:
    async with scripted_vehicle() as (_, vehicle, peer):
        sent_before = len(peer.commands)
        with pytest.raises(Exception) as caught:
            await vehicle.takeoff(-5.0)
        assert getattr(caught.value, "field", None) == "altitude_m"
        with pytest.raises(Exception) as caught:
            await vehicle.goto(91.0, 0.0, 10.0)
        assert getattr(caught.value, "field", None) == "latitude_deg"
        with pytest.raises(Exception) as caught:
            await vehicle.set_mode("WARP")
        assert getattr(caught.value, "field", None) == "mode"
        assert len(peer.commands) == sent_before


async def test_pause_and_resume_return_to_the_previous_mode() -> None:
    async with scripted_vehicle() as (_, vehicle, _peer):
        await vehicle.set_mode("AUTO")
        await vehicle.pause()
        assert vehicle.state.mode == "BRAKE"
        await vehicle.resume()
        assert vehicle.state.mode == "AUTO"
