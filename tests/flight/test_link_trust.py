"""Attacks on the links, over real sockets: a system id spoofed on another TCP link or from
another UDP peer, junk-byte peers, 252 phantom ids, absurd telemetry, replayed signed frames.
Each was accepted before link trust and the state boundary."""

from __future__ import annotations

import asyncio
import json
import math
import socket

from pymavlink.dialects.v20 import ardupilotmega as mavlink

from jinghang.events import EventBus
from jinghang.flight import Fleet
from jinghang.flight.alarms import ALARM_TOPIC
from jinghang.flight.transport import UdpInTransport, UdpOutTransport
from jinghang.mavlink.channel import Channel
from jinghang.simulator.server import SimulatorServer
from tests.flight.conftest import eventually
from tests.flight.peer import ScriptedVehicle
from tests.flight.simulated import HOME

FAR_HOME = (10.0, 20.0, 5.0, 0.0)


class RawSender:
    """A UDP socket that sends MAVLink frames as any system id it likes."""

    def __init__(self, port: int) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.setblocking(False)
        self.port = port

    def frame(self, message: object, system_id: int) -> None:
        mav = mavlink.MAVLink(None, srcSystem=system_id, srcComponent=1)
        self.sock.sendto(bytes(message.pack(mav)), ("127.0.0.1", self.port))  # type: ignore[attr-defined]

    def raw(self, data: bytes) -> None:
        self.sock.sendto(data, ("127.0.0.1", self.port))

    def heartbeat(self, system_id: int) -> None:
        self.frame(mavlink.MAVLink_heartbeat_message(2, 3, 1, 0, 3, 3), system_id)

    def received(self) -> list[bytes]:
        out = []
        while True:
            try:
                out.append(self.sock.recv(65536))
            except BlockingIOError:
                return out

    def close(self) -> None:
        self.sock.close()


def absurd_position(lat_e7: int = 2_147_000_000, alt_mm: int = 2_147_000_000) -> object:
    return mavlink.MAVLink_global_position_int_message(0, lat_e7, 1_215_000_000, alt_mm,
                                                       alt_mm, 0, 0, 0, 9000)


async def test_a_system_id_spoofed_on_another_tcp_link_is_dropped_and_alarmed() -> None:
    bus = EventBus()
    async with (
        SimulatorServer(home=HOME, speedup=1.0, tcp_port=0) as real,
        SimulatorServer(home=FAR_HOME, speedup=1.0, tcp_port=0) as spoofer,
        bus.subscribe(ALARM_TOPIC) as alarms,
        Fleet(bus, request_streams=False) as fleet,
    ):
        await fleet.connect(real.address)
        vehicle = await fleet.wait_vehicle(1, timeout_s=10)
        await vehicle.wait_until(lambda s: s.has_position, timeout_s=10)
        await fleet.connect(spoofer.address)  # the same system id 1 on another link
        alarm = (await asyncio.wait_for(alarms.get(), 10)).data
        assert alarm["code"] == "link.spoofed_sysid" and alarm["drone_id"] == 1
        assert str(spoofer.tcp_port) in alarm["params"]["source"]
        await asyncio.sleep(1.5)
        assert abs(vehicle.state.latitude_deg - HOME[0]) < 0.01  # never the spoofer's
        await vehicle.set_mode("ALT_HOLD", actor="test")
        assert real.vehicle.mode.name == "ALT_HOLD" and spoofer.vehicle.mode.name != "ALT_HOLD"
        assert vehicle.state.spoofed_frames > 0
        assert fleet.link_trust()[0]["spoofed_frames"] > 0


async def test_a_system_id_spoofed_from_another_udp_peer_gets_no_state_and_no_commands() -> None:
    bus = EventBus()
    async with bus.subscribe(ALARM_TOPIC) as alarms, Fleet(
        bus, request_streams=False, ack_timeout_s=0.3
    ) as fleet:
        link = await fleet.connect("udpin:127.0.0.1:0")
        assert isinstance(link.transport, UdpInTransport)
        port = link.transport.port
        real = ScriptedVehicle(UdpOutTransport("127.0.0.1", port), system_id=1)
        spoofer = RawSender(port)
        async with asyncio.TaskGroup() as tg:
            task = tg.create_task(real.run())
            vehicle = await fleet.wait_vehicle(1, timeout_s=5)
            await vehicle.wait_until(lambda s: s.has_position, timeout_s=5)
            for _ in range(5):
                spoofer.heartbeat(1)
                spoofer.frame(absurd_position(lat_e7=100_000_000, alt_mm=50_000), 1)
                await asyncio.sleep(0.05)
            alarm = (await asyncio.wait_for(alarms.get(), 5)).data
            assert alarm["code"] == "link.spoofed_sysid"
            await vehicle.set_mode("LOITER", actor="test")
            assert real.custom_mode == 5
            assert abs(vehicle.state.latitude_deg - 31.1) < 0.01
            await asyncio.sleep(0.3)
            commands = [
                m for m in Channel().parse(b"".join(spoofer.received()))
                if m.get_type() == "COMMAND_LONG"
            ]
            assert commands == []  # the pilot's commands went to the real drone only
            task.cancel()
        spoofer.close()


async def test_junk_byte_senders_are_not_peers_and_peers_are_bounded() -> None:
    async with Fleet(request_streams=False, max_udp_peers=4, heartbeat_interval_s=0.2) as fleet:
        link = await fleet.connect("udpin:127.0.0.1:0")
        assert isinstance(link.transport, UdpInTransport)
        port = link.transport.port
        junk = [RawSender(port) for _ in range(50)]
        for sender in junk:
            sender.raw(b"\xfd")
        talkers = [RawSender(port) for _ in range(8)]
        for i, sender in enumerate(talkers):
            sender.heartbeat(10 + i)
        await asyncio.sleep(0.6)  # a few GCS heartbeats go out
        assert all(sender.received() == [] for sender in junk)
        assert len(link.transport.peers) == 4 and link.transport.peers_refused >= 4
        for sender in junk + talkers:
            sender.close()


async def test_phantom_ids_are_quarantined_never_vehicles_and_expire() -> None:
    registered = {1}
    async with Fleet(
        request_streams=False, registered=registered.__contains__, quarantine_expiry_s=0.5,
        heartbeat_interval_s=0.2,
    ) as fleet:
        link = await fleet.connect("udpin:127.0.0.1:0")
        assert isinstance(link.transport, UdpInTransport)
        sender = RawSender(link.transport.port)
        for system_id in range(1, 256):
            sender.heartbeat(system_id)
        await eventually(lambda: 1 in fleet.vehicles and len(fleet.quarantined()) == 254)
        assert list(fleet.vehicles) == [1]
        quarantined = {q["system_id"]: q for q in fleet.quarantined()}
        assert quarantined[255]["reason"] == "reserved"
        assert quarantined[2]["reason"] == "unregistered"
        await eventually(lambda: fleet.quarantined() == [], timeout_s=5)
        assert list(fleet.vehicles) == [1]
        sender.close()


async def test_without_a_register_one_sender_gets_one_vehicle() -> None:
    async with Fleet(request_streams=False) as fleet:
        link = await fleet.connect("udpin:127.0.0.1:0")
        assert isinstance(link.transport, UdpInTransport)
        sender = RawSender(link.transport.port)
        for system_id in range(4, 256):
            sender.heartbeat(system_id)
        await eventually(lambda: len(fleet.quarantined()) == 251)
        assert list(fleet.vehicles) == [4]
        sender.close()


async def test_absurd_telemetry_never_reaches_the_state_and_flags_the_vehicle() -> None:
    bus = EventBus()
    async with bus.subscribe(ALARM_TOPIC) as alarms, Fleet(bus, request_streams=False) as fleet:
        link = await fleet.connect("udpin:127.0.0.1:0")
        assert isinstance(link.transport, UdpInTransport)
        sender = RawSender(link.transport.port)
        sender.heartbeat(1)
        vehicle = await fleet.wait_vehicle(1, timeout_s=5)
        sender.frame(mavlink.MAVLink_vfr_hud_message(0, math.inf, 0, 0, math.nan, 0), 1)
        sender.frame(absurd_position(), 1)
        sender.frame(mavlink.MAVLink_sys_status_message(0, 0, 0, 0, 12000, 0, 120, 0, 0, 0, 0,
                                                        0, 0), 1)
        await eventually(lambda: len(vehicle.state.rejected_fields) >= 5)
        state = vehicle.state
        assert not math.isinf(state.ground_speed_m_s) and not state.has_position
        assert math.isnan(state.relative_altitude_m) and state.battery_pct is None
        json.dumps(state.to_dict(), allow_nan=False)  # valid JSON for the API and console
        codes = set()
        while not alarms.queue.empty():
            alarm = alarms.queue.get_nowait().data
            codes.add(alarm["code"])
            if alarm["params"].get("field") == "ground_speed_m_s":
                assert alarm["params"]["value"] == "inf"
        assert codes == {"telemetry.rejected"}
        assert {"ground_speed_m_s", "latitude_deg", "relative_altitude_m",
                "battery_pct"} <= set(state.rejected_fields)
        sender.close()


async def test_a_signed_frame_replayed_on_a_new_link_is_refused() -> None:
    """The fleet's channels share the last timestamp of every signing stream."""
    key = bytes(range(32))
    async with Fleet(request_streams=False, signing_key=key) as fleet:
        first = await fleet.connect("udpin:127.0.0.1:0")
        second = await fleet.connect("udpin:127.0.0.1:0")
        assert isinstance(first.transport, UdpInTransport)
        assert isinstance(second.transport, UdpInTransport)
        drone = Channel(system_id=1, component_id=1, signing_key=key)
        heartbeat = drone.encode(mavlink.MAVLink_heartbeat_message(2, 3, 1, 4, 3, 3))
        later = drone.encode(mavlink.MAVLink_heartbeat_message(2, 3, 1, 5, 3, 3))
        sender = RawSender(first.transport.port)
        sender.raw(heartbeat)
        sender.raw(later)
        vehicle = await fleet.wait_vehicle(1, timeout_s=5)
        await eventually(lambda: vehicle.state.custom_mode == 5)
        replay = RawSender(second.transport.port)
        replay.raw(heartbeat)  # captured on the first link, replayed on another
        await asyncio.sleep(0.3)
        assert vehicle.state.custom_mode == 5
        assert second.channel.counters.signing_rejected == 1
        sender.close()
        replay.close()


async def test_a_signed_frame_replayed_after_a_restart_is_refused(tmp_path: object) -> None:
    """The last timestamps survive the fleet through its StreamStore (a file here)."""
    from pathlib import Path

    from jinghang.mavlink.signing import FileStreamStore

    key = bytes(range(32))
    store = FileStreamStore(Path(str(tmp_path)) / "signing-streams.json")
    drone = Channel(system_id=1, component_id=1, signing_key=key)
    heartbeat = drone.encode(mavlink.MAVLink_heartbeat_message(2, 3, 1, 4, 3, 3))
    async with Fleet(request_streams=False, signing_key=key, signing_streams=store) as fleet:
        link = await fleet.connect("udpin:127.0.0.1:0")
        assert isinstance(link.transport, UdpInTransport)
        sender = RawSender(link.transport.port)
        sender.raw(heartbeat)
        await fleet.wait_vehicle(1, timeout_s=5)
        sender.close()
    async with Fleet(request_streams=False, signing_key=key, signing_streams=store) as fleet:
        link = await fleet.connect("udpin:127.0.0.1:0")
        assert isinstance(link.transport, UdpInTransport)
        replay = RawSender(link.transport.port)
        replay.raw(heartbeat)
        await eventually(lambda: link.channel.counters.signing_rejected == 1)
        assert fleet.vehicles == {}
        replay.close()


async def test_commands_timing_out_after_someone_set_up_signing_flag_the_vehicle() -> None:
    """A drone that adopted another client's key (SETUP_SIGNING while disarmed is accepted,
    as on ArduPilot) ignores our unsigned commands: the vehicle is flagged and alarmed."""
    bus = EventBus()
    async with (
        SimulatorServer(home=HOME, speedup=1.0, tcp_port=0) as sim,
        bus.subscribe(ALARM_TOPIC) as alarms,
        Fleet(bus, request_streams=False, ack_timeout_s=0.2) as fleet,
    ):
        await fleet.connect(sim.address)
        vehicle = await fleet.wait_vehicle(1, timeout_s=10)
        _reader, writer = await asyncio.open_connection("127.0.0.1", sim.tcp_port)
        attacker = mavlink.MAVLink(None, srcSystem=254, srcComponent=190)
        writer.write(bytes(
            mavlink.MAVLink_setup_signing_message(1, 1, list(bytes(32 * [7])), 0).pack(attacker)
        ))
        await writer.drain()
        await eventually(lambda: vehicle.frames_signed, timeout_s=5)
        for _ in range(2):
            try:
                await vehicle.set_mode("ALT_HOLD", actor="test")
            except Exception as error:
                assert type(error).__name__ == "CommandTimeout"
        alarm = (await asyncio.wait_for(alarms.get(), 5)).data
        assert alarm["code"] == "link.signing_lost" and vehicle.state.signing_lost
        writer.close()


async def test_a_forged_signature_cannot_lock_a_signing_stream_out() -> None:
    """pymavlink moves a stream's timestamp before checking the signature; ours does not, so
    a frame with a far-future timestamp and a bad signature changes nothing."""
    key = bytes(range(32))
    async with Fleet(request_streams=False, signing_key=key) as fleet:
        link = await fleet.connect("udpin:127.0.0.1:0")
        assert isinstance(link.transport, UdpInTransport)
        forger = Channel(system_id=1, component_id=1, signing_key=bytes(32 * [3]))
        forger.mav.signing.timestamp = 2**47  # far in the future
        sender = RawSender(link.transport.port)
        sender.raw(forger.encode(mavlink.MAVLink_heartbeat_message(2, 3, 1, 4, 3, 3)))
        drone = Channel(system_id=1, component_id=1, signing_key=key)
        sender.raw(drone.encode(mavlink.MAVLink_heartbeat_message(2, 3, 1, 4, 3, 3)))
        vehicle = await fleet.wait_vehicle(1, timeout_s=5)
        assert vehicle.state.custom_mode == 4
        assert link.channel.counters.signing_rejected == 1
        sender.close()


async def test_a_signed_frame_from_another_link_moves_the_binding() -> None:
    key = bytes(range(32))
    bus = EventBus()
    async with bus.subscribe(ALARM_TOPIC) as alarms, Fleet(
        bus, request_streams=False, signing_key=key
    ) as fleet:
        first = await fleet.connect("udpin:127.0.0.1:0")
        second = await fleet.connect("udpin:127.0.0.1:0")
        assert isinstance(first.transport, UdpInTransport)
        assert isinstance(second.transport, UdpInTransport)
        drone = Channel(system_id=1, component_id=1, signing_key=key)
        radio, cellular = RawSender(first.transport.port), RawSender(second.transport.port)
        radio.raw(drone.encode(mavlink.MAVLink_heartbeat_message(2, 3, 1, 4, 3, 3)))
        await fleet.wait_vehicle(1, timeout_s=5)
        cellular.raw(drone.encode(mavlink.MAVLink_heartbeat_message(2, 3, 1, 5, 3, 3)))
        alarm = (await asyncio.wait_for(alarms.get(), 5)).data
        assert alarm["code"] == "link.rebound" and alarm["params"]["because"] == "signed"
        assert fleet.router.link_of(1) is second
        radio.close()
        cellular.close()


async def test_after_silence_a_new_udp_peer_may_prove_the_id_again() -> None:
    bus = EventBus()
    async with bus.subscribe(ALARM_TOPIC) as alarms, Fleet(
        bus, request_streams=False, rebind_after_s=0.3
    ) as fleet:
        link = await fleet.connect("udpin:127.0.0.1:0")
        assert isinstance(link.transport, UdpInTransport)
        before, after = RawSender(link.transport.port), RawSender(link.transport.port)
        before.heartbeat(1)
        await fleet.wait_vehicle(1, timeout_s=5)
        after.heartbeat(1)  # too soon: spoofed
        assert (await asyncio.wait_for(alarms.get(), 5)).data["code"] == "link.spoofed_sysid"
        await asyncio.sleep(0.5)
        after.heartbeat(1)  # the drone rebooted onto a new port
        alarm = (await asyncio.wait_for(alarms.get(), 5)).data
        assert alarm["code"] == "link.rebound" and alarm["params"]["because"] == "silence"
        before.close()
        after.close()


async def test_leaving_the_uploaded_geofence_raises_an_alarm() -> None:
    from jinghang.missions.items import Cmd, Frame, MissionItem, MissionType
    from tests.flight.conftest import scripted_vehicle

    bus = EventBus()
    corners = [(31.2, 121.6), (31.2, 121.7), (31.3, 121.7), (31.3, 121.6)]  # not where it is
    fence = [
        MissionItem(Cmd.NAV_FENCE_POLYGON_VERTEX_INCLUSION, frame=Frame.GLOBAL, param1=4,
                    latitude_deg=lat, longitude_deg=lon, mission_type=MissionType.FENCE)
        for lat, lon in corners
    ]
    async with bus.subscribe(ALARM_TOPIC) as alarms, scripted_vehicle(bus=bus) as (_, vehicle, _p):
        await vehicle.upload_mission(fence, MissionType.FENCE, actor="test")
        alarm = (await asyncio.wait_for(alarms.get(), 5)).data
        assert alarm["code"] == "vehicle.outside_fence"
        assert alarm["params"]["breach"] == "outside_inclusion" and vehicle.state.outside_fence
