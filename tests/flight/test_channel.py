"""The channel: round trips, and random or truncated bytes never crash it."""

from __future__ import annotations

import random

from jinghang.mavlink.channel import Channel, mavlink


def heartbeat_bytes(channel: Channel) -> bytes:
    return channel.encode(mavlink.MAVLink_heartbeat_message(2, 3, 128, 4, 4, 3))


def test_round_trip_keeps_fields_and_source_ids() -> None:
    sender, receiver = Channel(system_id=7, component_id=1), Channel()
    data = sender.encode(
        mavlink.MAVLink_global_position_int_message(
            1, 311234567, 1215000001, 10000, 2000, 1, 2, 3, 9000
        )
    )
    (message,) = receiver.parse(data)
    assert message.get_type() == "GLOBAL_POSITION_INT"
    assert (message.lat, message.get_srcSystem()) == (311234567, 7)
    assert receiver.counters.received == 1 and receiver.counters.bad == 0


def test_random_and_truncated_bytes_never_crash_and_good_messages_still_arrive() -> None:
    rng = random.Random(2024)
    sender, receiver = Channel(system_id=1, component_id=1), Channel()
    good = 0
    for _ in range(3000):
        choice = rng.random()
        if choice < 0.3:
            chunk = bytes(rng.getrandbits(8) for _ in range(rng.randint(1, 300)))
        elif choice < 0.5:
            frame = heartbeat_bytes(sender)
            chunk = frame[: rng.randint(1, len(frame) - 1)]  # truncated
        elif choice < 0.6:  # a valid header announcing a huge length, then garbage
            header = bytes([0xFD, 255, 0, 0, 0, 1, 1, 0, 0, 0])
            chunk = header + bytes(rng.getrandbits(8) for _ in range(20))
        else:
            chunk = heartbeat_bytes(sender)
            good += 1
        receiver.parse(chunk)
    # resynchronise and check the channel still decodes
    receiver.parse(bytes(300))
    got = receiver.parse(heartbeat_bytes(sender) * 3)
    assert len(got) >= 2
    assert receiver.counters.bad > 0
    assert receiver.counters.received > good // 4


def test_signing_accepts_the_right_key_and_counts_the_rest() -> None:
    key, wrong = bytes(range(32)), bytes(32)
    signed = Channel(system_id=1, component_id=1, signing_key=key)
    impostor = Channel(system_id=1, component_id=1, signing_key=wrong)
    plain = Channel(system_id=1, component_id=1)
    receiver = Channel(signing_key=key)
    assert len(receiver.parse(heartbeat_bytes(signed))) == 1
    assert receiver.parse(heartbeat_bytes(impostor)) == []
    assert receiver.parse(heartbeat_bytes(plain)) == []
    assert receiver.counters.signing_rejected == 2
    assert receiver.counters.received == 1


def test_a_truncated_frame_does_not_swallow_the_good_frame_after_it() -> None:
    sender, receiver = Channel(system_id=1, component_id=1), Channel()
    frame = heartbeat_bytes(sender)
    got = receiver.parse(frame[:7] + heartbeat_bytes(sender) + heartbeat_bytes(sender))
    assert len(got) == 2
    assert receiver.counters.bad >= 1
