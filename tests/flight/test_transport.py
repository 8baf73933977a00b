"""Transports on real loopback sockets: connection strings, UDP both ways, TCP reconnect."""

from __future__ import annotations

import asyncio
import os
import select
import tty

import pytest

from jinghang.flight import LinkError
from jinghang.flight.transport import (
    SerialTransport,
    TcpClientTransport,
    UdpInTransport,
    UdpOutTransport,
    parse_address,
)
from tests.flight.conftest import eventually


def test_connection_strings_in_the_mavproxy_style() -> None:
    assert parse_address("udpin:0.0.0.0:14550").kind == "udpin"
    assert parse_address("tcp:127.0.0.1:5760").port == 5760
    serial = parse_address("serial:/dev/ttyUSB0:57600")
    assert (serial.device, serial.port) == ("/dev/ttyUSB0", 57600)
    for bad, field in (("http://x", "connection"), ("tcp:host", "connection"),
                       ("tcp:h:99999", "connection"), ("udpout:h:abc", "connection")):
        with pytest.raises(LinkError) as caught:
            parse_address(bad)
        assert caught.value.field == field


async def test_udp_in_and_out_exchange_both_ways() -> None:
    """A sender becomes a peer only when admitted (the link admits senders of valid frames)."""
    server = UdpInTransport("127.0.0.1", 0)
    got_server: list[bytes] = []
    got_client: list[bytes] = []

    def on_server(data: bytes) -> None:
        got_server.append(data)
        server.admit(server.current_peer)

    async with asyncio.TaskGroup() as tg:
        t1 = tg.create_task(server.run(on_server))
        port = await server.wait_bound()
        client = UdpOutTransport("127.0.0.1", port)
        t2 = tg.create_task(client.run(got_client.append))
        for _ in range(100):
            client.send(b"ping")
            await asyncio.sleep(0.02)
            if got_server:
                break
        server.send(b"pong")
        await eventually(lambda: bool(got_client))
        t1.cancel()
        t2.cancel()
    assert got_server[0] == b"ping" and got_client == [b"pong"]


async def test_tcp_client_reconnects_after_the_connection_drops() -> None:
    connections: list[asyncio.StreamWriter] = []

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connections.append(writer)
        writer.write(f"hello {len(connections)}".encode())
        await writer.drain()
        await reader.read()  # until the peer goes

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    states: list[bool] = []
    client = TcpClientTransport("127.0.0.1", port, backoff_initial_s=0.05, on_state=states.append)
    got: list[bytes] = []
    async with server, asyncio.TaskGroup() as tg:
        task = tg.create_task(client.run(got.append))
        await eventually(lambda: b"hello 1" in b"".join(got))
        connections[0].transport.abort()  # the far end cuts the link
        await eventually(lambda: b"hello 2" in b"".join(got))
        task.cancel()
    assert client.reconnects == 1
    assert states[:3] == [True, False, True]


async def test_serial_port_reads_and_writes_on_the_loop() -> None:
    master, slave = os.openpty()
    tty.setraw(master)
    tty.setraw(slave)
    port = SerialTransport(os.ttyname(slave), 57600)
    got: list[bytes] = []
    try:
        async with asyncio.TaskGroup() as tg:
            task = tg.create_task(port.run(got.append))
            await eventually(lambda: port.connected)
            os.write(master, b"\xfdfrom-the-radio")
            await eventually(lambda: b"".join(got) == b"\xfdfrom-the-radio")
            port.send(b"to-the-radio")
            await eventually(lambda: select.select([master], [], [], 0)[0] != [])
            assert os.read(master, 100) == b"to-the-radio"
            task.cancel()
    finally:
        os.close(master)
        os.close(slave)


async def test_a_missing_serial_port_is_a_clear_link_error() -> None:
    with pytest.raises(LinkError) as caught:
        await SerialTransport("/dev/no-such-radio", 57600).run(lambda _data: None)
    assert caught.value.field == "connection"
