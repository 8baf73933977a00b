"""The one channel's resync rule: junk bytes and broken frames cost only themselves, on the
flight side and inside the simulator alike."""

from __future__ import annotations

import asyncio

from jinghang.mavlink.channel import Channel, mavlink
from jinghang.simulator import SimulatorServer
from tests.simulator.client import connect_gcs

HOME = (37.5125, 122.1199, 10.0, 0.0)


def heartbeat(channel: Channel) -> bytes:
    return channel.encode(mavlink.MAVLink_heartbeat_message(2, 3, 128, 4, 4, 3))


def position(channel: Channel, lat_e7: int) -> bytes:
    return channel.encode(
        mavlink.MAVLink_global_position_int_message(1, lat_e7, 1215000001, 10000, 2000, 0, 0, 0, 0)
    )


def test_junk_before_between_and_after_frames_costs_only_the_junk() -> None:
    sender, receiver = Channel(system_id=1, component_id=1), Channel()
    junk = bytes([0x00, 0x13, 0x37, 0xFF, 0x42]) * 7  # no start marker in it
    stream = junk + b"".join(junk + position(sender, 311000000 + n) for n in range(10)) + junk
    got = receiver.parse(stream)
    assert [m.lat for m in got] == [311000000 + n for n in range(10)]
    assert receiver.counters.received == 10
    assert receiver.counters.bad > 0


def test_a_start_marker_in_junk_does_not_swallow_the_frames_after_it() -> None:
    """A stray 0xFD announces a frame whose length runs into the good frames: parsing must
    restart one byte after that marker (pymavlink's robust parser drops them all)."""
    sender, receiver = Channel(system_id=1, component_id=1), Channel()
    fake_header = bytes([0xFD, 40, 0, 0, 0, 1, 1, 0, 0, 0])  # 40 bytes of payload, 2 of CRC
    frames = [position(sender, 311000000 + n) for n in range(3)]
    got = receiver.parse(fake_header + b"".join(frames))
    assert [m.lat for m in got] == [311000000, 311000001, 311000002]
    assert receiver.counters.bad >= 1


def test_a_frame_with_a_bad_checksum_loses_only_itself() -> None:
    sender, receiver = Channel(system_id=1, component_id=1), Channel()
    broken = bytearray(position(sender, 1))
    broken[-1] ^= 0xFF
    got = receiver.parse(bytes(broken) + position(sender, 2) + heartbeat(sender))
    assert [m.get_type() for m in got] == ["GLOBAL_POSITION_INT", "HEARTBEAT"]
    assert got[0].lat == 2
    assert receiver.counters.bad >= 1


def test_split_frames_wait_for_their_bytes() -> None:
    sender, receiver = Channel(system_id=1, component_id=1), Channel()
    data = position(sender, 7) + heartbeat(sender)
    got = [m for b in data for m in receiver.parse(bytes([b]))]
    assert [m.get_type() for m in got] == ["GLOBAL_POSITION_INT", "HEARTBEAT"]
    assert receiver.counters.bad == 0


async def test_the_simulator_answers_a_command_sent_right_after_a_truncated_frame() -> None:
    """The simulator parses with the same channel: a broken frame on its TCP port does not
    eat the command that follows it."""
    async with SimulatorServer(home=HOME, speedup=20.0, tcp_port=0) as sim:
        async with connect_gcs(sim.tcp_port, heartbeats=False) as gcs:
            await gcs.wait("HEARTBEAT")
            ours = Channel(system_id=255, component_id=190)
            truncated = heartbeat(ours)[:7]
            command = ours.encode(
                mavlink.MAVLink_command_long_message(
                    1, 1, mavlink.MAV_CMD_REQUEST_MESSAGE, 0,
                    mavlink.MAVLINK_MSG_ID_AUTOPILOT_VERSION, 0, 0, 0, 0, 0, 0,
                )
            )
            ack = gcs.expect("COMMAND_ACK", lambda m: m.command == mavlink.MAV_CMD_REQUEST_MESSAGE)
            gcs.send_raw(truncated + command)
            async with asyncio.timeout(5.0):
                assert int((await ack).result) == mavlink.MAV_RESULT_ACCEPTED
            (client,) = sim.endpoint.clients
            assert isinstance(client.channel, Channel)
            assert client.channel.counters.bad >= 1
