"""Mission, fence and rally transfers, tolerant of loss and of odd request orders."""

from __future__ import annotations

import pytest

from jinghang.flight import MissionTransferError
from jinghang.missions.items import Cmd, Frame, MissionItem, MissionType
from tests.flight.conftest import scripted_vehicle


def survey(n: int) -> list[MissionItem]:
    items = [MissionItem(Cmd.NAV_TAKEOFF, altitude_m=30.0)]
    for i in range(1, n):
        items.append(
            MissionItem(
                Cmd.NAV_WAYPOINT,
                param2=2.0,
                latitude_deg=31.1 + i * 1e-4,
                longitude_deg=121.5 - i * 1.3e-5,
                altitude_m=30.0 + i % 7,
            )
        )
    return items


def assert_same(got: list[MissionItem], sent: list[MissionItem]) -> None:
    assert len(got) == len(sent)
    for a, b in zip(got, sent, strict=True):
        assert a.same_as(b), (a, b)


async def test_upload_then_download_is_identical_and_home_is_hidden() -> None:
    async with scripted_vehicle() as (_, vehicle, peer):
        items = survey(40)
        await vehicle.upload_mission(items)
        assert len(peer.lists[0]) == 41  # the vehicle keeps home at seq 0
        assert_same(await vehicle.download_mission(), items)


@pytest.mark.parametrize(
    "options",
    [
        {"loss": 0.2},
        {"shuffle_requests": True, "repeat_requests": True},
        {"loss": 0.1, "shuffle_requests": True, "mission_request_int": False},
        {"loss": 0.15, "repeat_requests": True, "nak_out_of_sequence": True},
    ],
    ids=["lossy", "shuffled-repeated", "lossy-shuffled-legacy-request", "ardupilot-seq-nak"],
)
async def test_transfers_survive_loss_and_odd_requests(options: dict[str, object]) -> None:
    async with scripted_vehicle(**options) as (_, vehicle, _peer):  # type: ignore[arg-type]
        items = survey(30)
        await vehicle.upload_mission(items)
        assert_same(await vehicle.download_mission(), items)


async def test_fence_and_rally_lists_have_no_home_item() -> None:
    fence = [
        MissionItem(Cmd.NAV_FENCE_POLYGON_VERTEX_INCLUSION, frame=Frame.GLOBAL, param1=4,
                    latitude_deg=31.0 + dx, longitude_deg=121.0 + dy,
                    mission_type=MissionType.FENCE)
        for dx, dy in ((0, 0), (0, 0.01), (0.01, 0.01), (0.01, 0))
    ]
    rally = [MissionItem(Cmd.NAV_RALLY_POINT, latitude_deg=31.0, longitude_deg=121.0,
                         altitude_m=40.0, mission_type=MissionType.RALLY)]
    async with scripted_vehicle() as (_, vehicle, peer):
        await vehicle.upload_mission(fence, MissionType.FENCE)
        await vehicle.upload_mission(rally, MissionType.RALLY)
        assert len(peer.lists[1]) == 4 and len(peer.lists[2]) == 1
        assert_same(await vehicle.download_mission(MissionType.FENCE), fence)
        assert_same(await vehicle.download_mission(MissionType.RALLY), rally)
        await vehicle.clear_mission(MissionType.FENCE)
        assert await vehicle.download_mission(MissionType.FENCE) == []
        assert len(peer.lists[2]) == 1


async def test_set_current_uses_the_callers_numbering() -> None:
    async with scripted_vehicle() as (_, vehicle, peer):
        await vehicle.upload_mission(survey(5))
        await vehicle.set_current_item(2)
        assert peer.mission_current == 3
        assert vehicle.state.mission_current_seq == 2


async def test_silent_vehicle_gives_a_clear_transfer_error() -> None:
    async with scripted_vehicle() as (_, vehicle, peer):
        peer.silent = True
        with pytest.raises(MissionTransferError) as caught:
            await vehicle.upload_mission(survey(3))
        assert "upload" in str(caught.value)
        assert vehicle.expectations.open_watches == 0


async def test_empty_mission_upload_clears() -> None:
    async with scripted_vehicle() as (_, vehicle, _peer):
        await vehicle.upload_mission(survey(3))
        await vehicle.upload_mission([])
        assert await vehicle.download_mission() == []
