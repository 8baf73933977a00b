"""Message types a channel decodes only when read: the router, link trust and forwards see
the same frame, and the first field read gives the pymavlink message itself."""

from __future__ import annotations

from jinghang.mavlink.channel import Channel, frame_is_signed, mavlink

KEY = bytes(range(32))


def wind(channel: Channel, speed_m_s: float) -> bytes:
    return channel.encode(mavlink.MAVLink_wind_message(180.0, speed_m_s, 0.0))


def test_a_type_not_decoded_at_once_reads_like_the_decoded_message() -> None:
    sender = Channel(system_id=7, component_id=1)
    eager, lazy = Channel(), Channel(eager_types={"HEARTBEAT"})
    data = wind(sender, 2.5)
    [expected], [got] = eager.parse(data), lazy.parse(data)
    assert got.get_type() == "WIND" and got.get_srcSystem() == 7 and got.get_srcComponent() == 1
    assert bytes(got.get_msgbuf()) == data  # what a forward relays, byte for byte
    assert not frame_is_signed(got)
    assert got.speed == 2.5 and got.direction == 180.0
    assert isinstance(got, mavlink.MAVLink_wind_message)
    assert got == expected and str(got) == str(expected)
    assert got.to_dict() == expected.to_dict()


def test_a_lazily_decoded_frame_can_be_re_signed_for_a_signing_link() -> None:
    got = Channel(eager_types=()).parse(wind(Channel(system_id=7, component_id=1), 4.0))[0]
    relay = Channel(system_id=7, component_id=1, signing_key=KEY)
    resigned = relay.encode(got)
    [again] = Channel(signing_key=KEY).parse(resigned)
    assert again.speed == 4.0 and again._signed


def test_the_signing_policy_holds_for_frames_not_decoded_at_once() -> None:
    signer = Channel(system_id=7, component_id=1, signing_key=KEY)
    receiver = Channel(signing_key=KEY, eager_types=())
    signed = wind(signer, 1.0)
    [got] = receiver.parse(signed)
    assert got._signed and frame_is_signed(got) and got.speed == 1.0
    assert receiver.parse(signed) == []  # replayed
    assert receiver.parse(wind(Channel(system_id=7, component_id=1), 9.0)) == []  # unsigned
    forged = bytearray(wind(signer, 3.0))
    forged[-1] ^= 0xFF
    assert receiver.parse(bytes(forged)) == []
    assert receiver.counters.signing_rejected == 3
    assert receiver.parse(wind(signer, 5.0))[0].speed == 5.0  # the forgery moved nothing


def test_a_bad_checksum_on_a_type_not_decoded_at_once_loses_only_its_frame() -> None:
    sender, receiver = Channel(system_id=7, component_id=1), Channel(eager_types=())
    broken = bytearray(wind(sender, 1.0))
    broken[-1] ^= 0xFF
    got = receiver.parse(bytes(broken) + wind(sender, 2.0))
    assert [m.speed for m in got] == [2.0]
    assert receiver.counters.bad >= 1 and receiver.counters.received == 1
