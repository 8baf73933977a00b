"""The channel's own frame splitting: every kind of frame pymavlink's parser accepted is still
accepted, every kind it refused is refused at the same cost, signed or not."""

from __future__ import annotations

from jinghang.mavlink.channel import Channel, frame_is_signed, mavlink

KEY = bytes(range(32))


def position(channel: Channel, lat_e7: int) -> bytes:
    return channel.encode(
        mavlink.MAVLink_global_position_int_message(1, lat_e7, 1215000001, 10000, 2000, 0, 0, 0, 0)
    )


def test_a_mavlink1_frame_is_still_read() -> None:
    sender = mavlink.MAVLink(None, 3, 1)
    sender.WIRE_PROTOCOL_VERSION = "1.0"
    heartbeat = mavlink.MAVLink_heartbeat_message(2, 3, 128, 4, 4, 3)
    frame = bytes(heartbeat.pack(sender, force_mavlink1=True))
    assert frame[0] == 0xFE
    got = Channel().parse(frame + position(Channel(system_id=1, component_id=1), 5))
    assert [m.get_type() for m in got] == ["HEARTBEAT", "GLOBAL_POSITION_INT"]
    assert got[0].get_srcSystem() == 3


def test_an_unknown_incompat_flag_costs_only_its_frame() -> None:
    sender, receiver = Channel(system_id=1, component_id=1), Channel()
    odd = bytearray(position(sender, 1))
    odd[2] = 0x02
    got = receiver.parse(bytes(odd) + position(sender, 2))
    assert [m.lat for m in got] == [2]
    assert receiver.counters.bad >= 1


def test_an_unknown_message_id_is_counted_bad_and_the_next_frame_read() -> None:
    sender, receiver = Channel(system_id=1, component_id=1), Channel()
    unknown = bytearray(position(sender, 1))
    unknown[7:10] = bytes([0x55, 0x55, 0x01])  # no message of this dialect has that id
    got = receiver.parse(bytes(unknown) + position(sender, 2))
    assert [m.lat for m in got] == [2]
    assert receiver.counters.bad >= 1


def test_a_datagram_ending_in_half_a_frame_drops_only_that_half() -> None:
    sender, receiver = Channel(system_id=1, component_id=1), Channel()
    datagram = position(sender, 1) + position(sender, 2)[:15]
    assert [m.lat for m in receiver.parse_datagram(datagram)] == [1]
    assert receiver.counters.bad == 1
    # nothing of the half frame is left over for the next datagram
    assert [m.lat for m in receiver.parse_datagram(position(sender, 3))] == [3]
    assert receiver.counters.bad == 1


def test_signed_frames_split_over_reads_are_verified_once_and_replays_refused() -> None:
    sender = Channel(system_id=1, component_id=1, signing_key=KEY)
    receiver = Channel(signing_key=KEY)
    data = position(sender, 7) + position(sender, 8)
    got = [m for b in data for m in receiver.parse(bytes([b]))]
    assert [m.lat for m in got] == [7, 8]
    assert all(frame_is_signed(m) and m._signed for m in got)
    assert receiver.parse(data) == []  # the same frames again: replayed
    assert receiver.counters.signing_rejected == 2
    assert receiver.counters.bad == 0


def test_an_unsigned_frame_is_refused_where_signing_is_required() -> None:
    receiver = Channel(signing_key=KEY)
    got = receiver.parse(position(Channel(system_id=1, component_id=1), 1))
    assert got == []
    assert receiver.counters.signing_rejected == 1
