"""The MAVLink face of one simulated vehicle: what it answers, what it streams.

:class:`VehicleEndpoint` serves any number of connected clients (:class:`ClientLink`, one per
TCP connection, each with its own parser, sequence numbers, signing state, stream rates and
mission transfer). It handles heartbeats, commands (COMMAND_LONG and COMMAND_INT, acked with
COMMAND_ACK), SET_MODE, guided position targets, the parameter protocol, the mission protocol,
stream requests (SET_MESSAGE_INTERVAL, REQUEST_DATA_STREAM) and SETUP_SIGNING. It turns the
vehicle's notices into STATUSTEXT, MISSION_ITEM_REACHED, MISSION_CURRENT, HOME_POSITION and
CAMERA_FEEDBACK for every client. Stream rates are in simulated time; a message goes out at
most once per server tick, which caps wire rates at high speedups.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from jinghang.mavlink.channel import Channel
from jinghang.mavlink.dialect import MAVLinkMessage, mavlink
from jinghang.simulator import notices, telemetry
from jinghang.simulator.command_handler import NO_ANSWER, Command, handle_command
from jinghang.simulator.mission_protocol import MissionServer
from jinghang.simulator.vehicle import SimVehicle

M = mavlink
log = logging.getLogger(__name__)

MAX_CLIENT_BACKLOG_BYTES = 256 * 1024


class ClientLink:
    """One connected client of a simulated vehicle."""

    def __init__(
        self,
        endpoint: VehicleEndpoint,
        write: Callable[[bytes], None],
        backlog: Callable[[], int],
        link_id: int,
    ) -> None:
        self.endpoint = endpoint
        self._write = write
        self._backlog = backlog
        # one table of stream timestamps for every connection, as ArduPilot's signing_streams:
        # a signed frame captured on one connection is refused when replayed on another;
        # RADIO_STATUS passes unsigned, as on ArduPilot
        self.channel = Channel(
            system_id=endpoint.system_id,
            component_id=1,
            link_id=link_id,
            signing_key=endpoint.signing_key,
            unsigned_ids=(M.MAVLINK_MSG_ID_RADIO_STATUS,),
            streams=endpoint.signing_streams,
        )
        self.intervals_s: dict[int, float] = {
            msg_id: 1.0 / hz for msg_id, hz in telemetry.DEFAULT_RATES_HZ.items()
        }
        self.next_due_s: dict[int, float] = {}
        self.missions = MissionServer(endpoint.vehicle, self.send)
        self.closed = False

    def send(self, msg: MAVLinkMessage) -> None:
        if not self.closed:
            self._write(self.channel.encode(msg))

    @property
    def congested(self) -> bool:
        return self._backlog() > MAX_CLIENT_BACKLOG_BYTES


@dataclass(slots=True)
class EndpointStats:
    messages_in: int = 0
    messages_out: int = 0
    handler_errors: int = 0


class VehicleEndpoint:
    """Dispatches each client's messages to the vehicle and sends it telemetry."""

    def __init__(
        self, vehicle: SimVehicle, system_id: int, signing_key: bytes | None = None
    ) -> None:
        self.vehicle = vehicle
        self.system_id = system_id
        self.signing_key = signing_key
        #: last signing timestamp per (link id, system, component), shared by all clients
        self.signing_streams: dict[tuple[int, int, int], int] = {}
        self.clients: list[ClientLink] = []
        self.stats = EndpointStats()
        self._next_link_id = 0

    # -- clients ----------------------------------------------------------------------
    def add_client(self, write: Callable[[bytes], None], backlog: Callable[[], int]) -> ClientLink:
        client = ClientLink(self, write, backlog, self._next_link_id)
        self._next_link_id = (self._next_link_id + 1) % 256
        self.clients.append(client)
        client.send(telemetry.heartbeat(self.vehicle))
        return client

    def remove_client(self, client: ClientLink) -> None:
        client.closed = True
        if client in self.clients:
            self.clients.remove(client)

    def broadcast(self, msg: MAVLinkMessage) -> None:
        for client in self.clients:
            client.send(msg)

    def set_signing_key(self, key: bytes | None) -> None:
        self.signing_key = key if key and any(key) else None
        for client in self.clients:
            client.channel.set_signing_key(self.signing_key)

    # -- incoming -----------------------------------------------------------------------
    def receive(self, client: ClientLink, data: bytes, now_s: float) -> None:
        for msg in client.channel.parse(data):
            self.stats.messages_in += 1
            try:
                self._dispatch(client, msg, now_s)
            except Exception:  # one bad message must not take the vehicle down
                self.stats.handler_errors += 1
                log.exception("simulator: error handling %s", msg.get_type())
        self.flush_notices()

    def _targets_us(self, msg: MAVLinkMessage) -> bool:
        target = getattr(msg, "target_system", None)
        return target is None or target in (0, self.system_id)

    def _dispatch(self, client: ClientLink, msg: MAVLinkMessage, now_s: float) -> None:
        kind = msg.get_type()
        vehicle = self.vehicle
        if kind == "HEARTBEAT":
            if msg.type == M.MAV_TYPE_GCS or msg.get_srcSystem() == int(
                vehicle.param("SYSID_MYGCS")
            ):
                vehicle.gcs_heartbeat()
            return
        if not self._targets_us(msg):
            return
        if kind in ("COMMAND_LONG", "COMMAND_INT"):
            command = Command.from_message(msg)
            result, replies = handle_command(self, command, client)
            self.flush_notices()
            if result == NO_ANSWER:
                return
            client.send(
                M.MAVLink_command_ack_message(
                    command.command, result, 0, 0, msg.get_srcSystem(), msg.get_srcComponent()
                )
            )
            for reply in replies:
                client.send(reply)
        elif kind == "SET_MODE":
            ok = bool(msg.base_mode & M.MAV_MODE_FLAG_CUSTOM_MODE_ENABLED) and vehicle.set_mode(
                int(msg.custom_mode)
            )
            self.flush_notices()
            client.send(
                M.MAVLink_command_ack_message(
                    M.MAVLINK_MSG_ID_SET_MODE,
                    M.MAV_RESULT_ACCEPTED if ok else M.MAV_RESULT_FAILED,
                    0,
                    0,
                    msg.get_srcSystem(),
                    msg.get_srcComponent(),
                )
            )
        elif kind == "TUNNEL":
            vehicle.payload.receive_text(int(msg.payload_type),
                                         bytes(msg.payload[: int(msg.payload_length)]))
        elif kind == "SET_POSITION_TARGET_GLOBAL_INT":
            self._position_target(msg)
        elif kind == "PARAM_REQUEST_LIST":
            params = vehicle.params.all()
            for index, listed in enumerate(params):
                client.send(self._param_value(listed.name, index))
        elif kind == "PARAM_REQUEST_READ":
            index = int(msg.param_index)
            param = (
                vehicle.params.by_index(index)
                if index >= 0
                else vehicle.params.get(_param_name(msg.param_id))
            )
            if param is not None:
                client.send(self._param_value(param.name, vehicle.params.index_of(param.name)))
        elif kind == "PARAM_SET":
            name = _param_name(msg.param_id)
            if vehicle.params.set(name, float(msg.param_value)):
                vehicle.param_changed(vehicle.params.canonical(name))
                self.broadcast(self._param_value(name, vehicle.params.index_of(name)))
        elif kind == "REQUEST_DATA_STREAM":
            self._request_data_stream(client, msg)
        elif kind == "FILE_TRANSFER_PROTOCOL":
            client.send(_ftp_nak(msg))
        elif kind == "SETUP_SIGNING":
            # As ArduPilot's GCS_Signing: never while armed. With signing on, an unsigned
            # SETUP_SIGNING never gets here (the channel drops unsigned frames; ArduPilot
            # exempts only its USB channel 0, which the simulator does not have).
            if vehicle.armed:
                vehicle.text(notices.SEVERITY_WARNING, "ERROR: Won't setup signing when armed")
                self.flush_notices()
                return
            key = bytes(msg.secret_key)
            self.set_signing_key(key)
            for c in self.clients:
                if c.channel.signing_key is not None:
                    c.channel.advance_signing_timestamp(int(msg.initial_timestamp))
        elif client.missions.handle(msg, now_s):
            self.flush_notices()

    def _param_value(self, name: str, index: int) -> MAVLinkMessage:
        param = self.vehicle.params.get(name)
        assert param is not None
        return M.MAVLink_param_value_message(
            name.encode(), param.value, param.param_type, len(self.vehicle.params), index
        )

    def _position_target(self, msg: MAVLinkMessage) -> None:
        mask = int(msg.type_mask)
        vehicle = self.vehicle
        if not mask & 0b111:
            alt = float(msg.alt)
            if int(msg.coordinate_frame) in (M.MAV_FRAME_GLOBAL, M.MAV_FRAME_GLOBAL_INT):
                alt -= vehicle.home_alt_amsl_m
            vehicle.goto(int(msg.lat_int) / 1e7, int(msg.lon_int) / 1e7, alt)
        elif not mask & 0b111000:
            vehicle.set_velocity(float(msg.vx), float(msg.vy), float(msg.vz))

    def _request_data_stream(self, client: ClientLink, msg: MAVLinkMessage) -> None:
        stream = int(msg.req_stream_id)
        rate_hz = float(msg.req_message_rate) if msg.start_stop else 0.0
        groups = (
            list(telemetry.STREAM_GROUPS)
            if stream == M.MAV_DATA_STREAM_ALL
            else [stream]
            if stream in telemetry.STREAM_GROUPS
            else []
        )
        for group in groups:
            for msg_id in telemetry.STREAM_GROUPS[group]:
                self.set_interval(client, msg_id, 1.0 / rate_hz if rate_hz > 0 else None)

    def set_interval(self, client: ClientLink, msg_id: int, interval_s: float | None) -> None:
        if interval_s is None:
            client.intervals_s.pop(msg_id, None)
        else:
            client.intervals_s[msg_id] = max(0.001, interval_s)
            client.next_due_s.pop(msg_id, None)

    # -- outgoing -----------------------------------------------------------------------
    def flush_notices(self) -> None:
        vehicle = self.vehicle
        if not vehicle.outbox:
            return
        pending, vehicle.outbox = vehicle.outbox, []
        for notice in pending:
            msg = self._notice_message(notice)
            if msg is not None:
                self.broadcast(msg)

    def _notice_message(self, notice: notices.Notice) -> MAVLinkMessage | None:
        vehicle = self.vehicle
        if isinstance(notice, notices.StatusText):
            return M.MAVLink_statustext_message(notice.severity, notice.text[:50].encode())
        if isinstance(notice, notices.ItemReached):
            return M.MAVLink_mission_item_reached_message(notice.seq)
        if isinstance(notice, notices.MissionCurrentChanged):
            return telemetry.mission_current(vehicle)
        if isinstance(notice, notices.HomeChanged):
            return telemetry.home_position(vehicle)
        if isinstance(notice, notices.CameraTrigger):
            return M.MAVLink_camera_feedback_message(
                int(notice.time_s * 1e6),
                self.system_id,
                0,
                notice.image_index,
                round(notice.latitude_deg * 1e7),
                round(notice.longitude_deg * 1e7),
                notice.altitude_amsl_m,
                notice.relative_altitude_m,
                notice.roll_deg,
                notice.pitch_deg,
                notice.heading_deg,
                0.0,
                M.CAMERA_FEEDBACK_PHOTO,
                notice.image_index,
            )
        return None

    def tick(self, now_s: float) -> None:
        """Send what is due on every client (called once per server tick)."""
        self.flush_notices()
        sim_s = self.vehicle.time_s
        built: dict[int, Any] = {}
        for client in list(self.clients):
            client.missions.poll(now_s)
            if client.congested:
                continue
            for msg_id, interval_s in client.intervals_s.items():
                due = client.next_due_s.get(msg_id, 0.0)
                if sim_s < due:
                    continue
                due += interval_s
                client.next_due_s[msg_id] = due if due > sim_s else sim_s + interval_s
                if msg_id not in built:
                    built[msg_id] = telemetry.build(msg_id, self.vehicle)
                msg = built[msg_id]
                if msg is not None:
                    client.send(msg)
                    self.stats.messages_out += 1


FTP_OPCODE_NAK = 129
FTP_ERROR_UNKNOWN_COMMAND = 7


def _ftp_nak(msg: MAVLinkMessage) -> MAVLinkMessage:
    """MAVLink FTP is not served: NAK every request so clients (MAVProxy's parameter
    download) fall back to the plain protocols at once instead of timing out."""
    request = bytes(msg.payload)
    seq = int.from_bytes(request[0:2], "little") if len(request) >= 2 else 0
    session = request[2] if len(request) > 2 else 0
    req_opcode = request[3] if len(request) > 3 else 0
    reply = bytearray(251)
    reply[0:2] = ((seq + 1) & 0xFFFF).to_bytes(2, "little")
    reply[2] = session
    reply[3] = FTP_OPCODE_NAK
    reply[4] = 1  # size: one byte of error code
    reply[5] = req_opcode
    reply[12] = FTP_ERROR_UNKNOWN_COMMAND
    return M.MAVLink_file_transfer_protocol_message(
        0, msg.get_srcSystem(), msg.get_srcComponent(), list(reply)
    )


def _param_name(raw: Any) -> str:
    if isinstance(raw, bytes):
        raw = raw.decode("ascii", "replace")
    return str(raw).split("\x00", 1)[0].strip()
