"""The shared codec: mission items, mode tables and the rule that the simulator stands alone."""

from __future__ import annotations

import subprocess
import sys

from jinghang.mavlink.channel import Channel, mavlink
from jinghang.mavlink.mission_items import decode_item, encode_item, home_item
from jinghang.mavlink.modes import ARDUCOPTER_MODES, CopterMode
from jinghang.missions.items import Frame, MissionItem, MissionType
from jinghang.simulator import SimulatorServer
from tests.simulator.client import connect_gcs

HOME = (37.5125, 122.1199, 10.0, 0.0)


def _wire(message: object) -> object:
    """A message through a real encode and parse."""
    (back,) = Channel().parse(Channel(system_id=1, component_id=1).encode(message))
    return back


def test_items_round_trip_and_int_frames_read_as_the_plain_ones() -> None:
    item = MissionItem(
        command=16, frame=Frame.GLOBAL_RELATIVE_ALT, latitude_deg=31.2345678,
        longitude_deg=121.4567891, altitude_m=42.5, param1=3.0,
    )
    back = decode_item(
        _wire(encode_item((1, 1), 4, item, mission_type=MissionType.MISSION)),
        MissionType.MISSION,
    )
    assert back.with_(latitude_deg=item.latitude_deg, longitude_deg=item.longitude_deg) == item
    assert abs(back.latitude_deg - item.latitude_deg) < 1e-9
    wire = encode_item((1, 1), 4, item, mission_type=0)
    wire.frame = mavlink.MAV_FRAME_GLOBAL_RELATIVE_ALT_INT
    assert decode_item(_wire(wire), MissionType.MISSION).frame == Frame.GLOBAL_RELATIVE_ALT
    floats = decode_item(
        _wire(encode_item((1, 1), 4, item, mission_type=0, as_int=False)), MissionType.MISSION
    )
    assert abs(floats.latitude_deg - item.latitude_deg) < 1e-5


def test_home_is_a_waypoint_at_home_in_amsl() -> None:
    home = home_item(31.0, 121.0, 12.5)
    assert (home.command, home.frame, home.altitude_m) == (16, Frame.GLOBAL, 12.5)


def test_copter_modes_are_the_dialects() -> None:
    for mode in CopterMode:
        assert ARDUCOPTER_MODES[mode.name] == mode.value
    assert ARDUCOPTER_MODES["GUIDED"] == 4 and ARDUCOPTER_MODES["SMART_RTL"] == 21


async def test_the_simulator_stores_int_frames_as_the_plain_ones_as_ardupilot_does() -> None:
    """Both sides decode items with the one codec: an item uploaded in
    GLOBAL_RELATIVE_ALT_INT comes back in GLOBAL_RELATIVE_ALT."""
    async with SimulatorServer(home=HOME, speedup=20.0, tcp_port=0) as sim:
        async with connect_gcs(sim.tcp_port) as gcs:
            await gcs.wait("HEARTBEAT")
            home = (0, 16, 0, 0, 0, 0, HOME[0], HOME[1], HOME[2])
            wp = (mavlink.MAV_FRAME_GLOBAL_RELATIVE_ALT_INT, 16, 0, 0, 0, 0,
                  HOME[0] + 0.001, HOME[1], 30.0)
            assert await gcs.upload([home, wp]) == mavlink.MAV_MISSION_ACCEPTED
            back = await gcs.download()
    assert [m.frame for m in back[1:]] == [mavlink.MAV_FRAME_GLOBAL_RELATIVE_ALT]


def test_the_simulator_imports_nothing_of_the_flight_core() -> None:
    code = (
        "import sys, jinghang.simulator, jinghang.simulator.sitl, jinghang.simulator.cli;"
        "print(sorted(m for m in sys.modules if m.startswith('jinghang.flight')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"
