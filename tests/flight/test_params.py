"""Parameters: read one, set one with confirmation, fetch all, over a lossy link."""

from __future__ import annotations

import pytest

from jinghang.events import EventBus
from jinghang.flight import ParameterError
from tests.flight.conftest import scripted_vehicle


async def test_get_set_and_fetch_all_over_a_lossy_link() -> None:
    async with scripted_vehicle(loss=0.15) as (_, vehicle, peer):
        assert await vehicle.params.get("RTL_ALT") == 1500.0
        assert await vehicle.params.set("RTL_ALT", 3000.0) == 3000.0
        assert peer.params["RTL_ALT"] == 3000.0
        everything = await vehicle.params.fetch_all()
        assert everything == peer.params


async def test_unknown_and_refused_parameters_are_clear_errors() -> None:
    async with scripted_vehicle() as (_, vehicle, _peer):
        with pytest.raises(ParameterError) as caught:
            await vehicle.params.get("NO_SUCH_PARAM")
        assert caught.value.field == "name"
        with pytest.raises(ParameterError) as caught:
            await vehicle.params.set("WPNAV_SPEED", 1e9)  # the vehicle clamps it
        assert "kept WPNAV_SPEED" in str(caught.value)
        with pytest.raises(ParameterError):
            await vehicle.params.get("A_NAME_FAR_TOO_LONG_FOR_MAVLINK")


async def test_a_parameter_change_is_recorded_with_who_asked() -> None:
    bus = EventBus()
    async with bus.subscribe("command") as sub:
        async with scripted_vehicle(bus=bus) as (_, vehicle, _peer):
            await vehicle.params.set("FS_GCS_ENABLE", 1, actor="safety-officer")
        event = (await sub.get()).data
    assert event["command"] == "param_set" and event["actor"] == "safety-officer"
    assert event["params"] == {"name": "FS_GCS_ENABLE", "value": 1} and event["accepted"]
