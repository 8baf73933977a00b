"""Mission transfer on lossy links: 10% of datagrams lost each way, over real UDP sockets to the
built-in simulator and to real ArduPilot SITL (through a lossy proxy) and in memory to the
scripted vehicle; the upload completes and the download then matches."""

from __future__ import annotations

from jinghang.flight import Fleet
from jinghang.missions.items import Cmd, MissionItem
from jinghang.simulator import start_vehicle
from tests.flight.conftest import scripted_vehicle
from tests.flight.simulated import HOME
from tests.flight.udp_lossy_proxy import LossyUdpProxy


def plan(n: int) -> list[MissionItem]:
    items = [MissionItem(Cmd.NAV_TAKEOFF, altitude_m=30.0)]
    for i in range(1, n):
        items.append(
            MissionItem(
                Cmd.NAV_WAYPOINT,
                latitude_deg=HOME[0] + i * 1e-4,
                longitude_deg=HOME[1] - i * 1.3e-5,
                altitude_m=30.0 + i % 7,
            )
        )
    return items


async def test_100_items_up_and_down_at_10_percent_loss_over_udp_to_the_vehicle(
    backend: str,
) -> None:
    """Through a proxy that drops 10% of datagrams each way, to the built-in simulator and to
    real ArduPilot SITL (its TCP port behind the proxy's UDP side)."""
    items = plan(100)
    async with start_vehicle(backend, home=HOME, speedup=1.0,  # type: ignore[arg-type]
                             tcp_port=0, instance=None) as conn:
        port = int(conn.rsplit(":", 1)[1])
        async with LossyUdpProxy("127.0.0.1", port, loss=0.1) as proxy, Fleet(
            request_streams=False
        ) as fleet:
            await fleet.connect(proxy.address)
            vehicle = await fleet.wait_vehicle(timeout_s=20)
            await vehicle.upload_mission(items, actor="test")
            got = await vehicle.download_mission()
        assert proxy.dropped > 20  # the link really lost datagrams
    assert len(got) == len(items)
    assert all(a.same_as(b) for a, b in zip(got, items, strict=True))


async def test_100_items_up_and_down_at_10_percent_loss_in_memory() -> None:
    items = plan(100)
    async with scripted_vehicle(loss=0.1, request_timeout_s=1.0) as (_, vehicle, _peer):
        await vehicle.upload_mission(items, actor="test")
        got = await vehicle.download_mission()
    assert len(got) == len(items)
    assert all(a.same_as(b) for a, b in zip(got, items, strict=True))


async def test_upload_whose_final_ack_is_lost_completes() -> None:
    """ArduPilot answers the resent last item with MISSION_ACK(ERROR) once its transfer has
    closed; the upload must not take that for a refusal."""
    items = plan(10)
    async with scripted_vehicle(drop_upload_acks=1) as (_, vehicle, peer):
        await vehicle.upload_mission(items, actor="test")
        assert len(peer.lists[0]) == len(items) + 1
        assert len(await vehicle.download_mission()) == len(items)
