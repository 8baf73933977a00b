"""Byte transports on asyncio: UDP listen and connect, TCP client with reconnect, serial.

A transport moves raw bytes and knows nothing of MAVLink. Each one has the same shape:
``run(on_bytes)`` runs until cancelled, calling ``on_bytes(data)`` for every chunk that
arrives (and reconnecting where the medium allows), and ``send(data)`` queues bytes without
blocking (bytes sent while disconnected are dropped, as a radio would). Connection strings
follow MAVProxy: ``udpin:0.0.0.0:14550``, ``udpout:host:port``, ``tcp:host:port``,
``serial:/dev/ttyUSB0:57600``. :class:`MemoryTransport` pairs carry bytes in memory with
injectable loss for tests.
"""

from __future__ import annotations

import asyncio
import os
import random
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from jinghang.flight.errors import LinkError

OnBytes = Callable[[bytes], None]

#: datagrams a UDP listener reads per wake-up of the event loop
UDP_READ_BATCH = 256
#: the largest datagram read (MAVLink frames are at most 280 bytes; senders may batch)
UDP_DATAGRAM_MAX = 65535
#: the receive buffer a UDP listener asks for (the kernel caps it at net.core.rmem_max and
#: doubles it): about 1,200 small datagrams, a fifth of a second of a thousand drones'
#: telemetry. Enough for a pause of the loop; small enough that a loop which cannot keep up
#: loses old datagrams rather than serving telemetry seconds late (4 MB held 2-3 s of it).
UDP_RECEIVE_BUFFER_BYTES = 512 * 1024


class Transport(Protocol):
    """What a link needs from a byte transport."""

    name: str

    @property
    def connected(self) -> bool: ...

    async def run(self, on_bytes: OnBytes) -> None: ...

    def send(self, data: bytes) -> None: ...


@dataclass(frozen=True, slots=True)
class Address:
    """A parsed connection string."""

    kind: str  # "udpin" | "udpout" | "tcp" | "serial"
    host: str
    port: int  # serial: baud rate
    device: str = ""


def parse_address(connection: str) -> Address:
    """Parse a MAVProxy-style connection string, naming the part at fault when it is bad."""
    kind, sep, rest = connection.partition(":")
    if not sep or kind not in ("udpin", "udp", "udpout", "tcp", "serial"):
        raise LinkError(
            f"connection string {connection!r} must start with udpin:, udpout:, tcp: or serial:",
            field="connection",
            value=connection,
        )
    if kind == "udp":
        kind = "udpin"
    host, sep, port_text = rest.rpartition(":")
    if not sep or not host:
        raise LinkError(
            f"connection string {connection!r} needs "
            f"{'DEVICE:BAUD' if kind == 'serial' else 'HOST:PORT'}",
            field="connection",
            value=connection,
        )
    try:
        port = int(port_text)
    except ValueError:
        raise LinkError(
            f"{'baud rate' if kind == 'serial' else 'port'} {port_text!r} in {connection!r} "
            "is not a number",
            field="connection",
            value=connection,
        ) from None
    limit = 4_000_000 if kind == "serial" else 65535
    if not 0 <= port <= limit:
        raise LinkError(
            f"{'baud rate' if kind == 'serial' else 'port'} {port} out of range",
            field="connection",
            value=port,
            limit=f"0..{limit}",
        )
    if kind == "serial":
        return Address("serial", "", port, device=host)
    return Address(kind, host, port)


def open_transport(connection: str, **options: Any) -> Transport:
    """The transport for a connection string (not yet running: call ``run``); ``options``
    go to the TCP client (``on_state``, backoff) or the UDP listener (``max_peers``)."""
    address = parse_address(connection)
    if address.kind == "udpin":
        return UdpInTransport(address.host, address.port, name=connection, **options)
    if address.kind == "udpout":
        return UdpOutTransport(address.host, address.port, name=connection)
    if address.kind == "tcp":
        return TcpClientTransport(address.host, address.port, name=connection, **options)
    return SerialTransport(address.device, address.port, name=connection)


class _DatagramHandler(asyncio.DatagramProtocol):
    def __init__(self, on_datagram: Callable[[bytes, Any], None]) -> None:
        self.on_datagram = on_datagram

    def datagram_received(self, data: bytes, addr: Any) -> None:
        self.on_datagram(data, addr)

    def error_received(self, exc: Exception) -> None:  # ICMP port unreachable etc.
        pass


class UdpInTransport:
    """Listen on a UDP port and reply to the peers that proved themselves (like MAVProxy's
    udpin, but a sender becomes a peer only when the link accepts a MAVLink frame from it:
    one junk byte earns nothing).

    While ``on_bytes`` runs, :attr:`current_peer` is the address the datagram came from; the
    link calls :meth:`admit` for it once it has accepted a frame. At most ``max_peers`` are
    kept; when full, the peer silent longest makes room if it has been silent
    ``peer_expiry_s``, otherwise the newcomer is refused (counted in ``peers_refused``).

    The socket is read on the event loop directly, up to :data:`UDP_READ_BATCH` datagrams
    per wake-up (asyncio's datagram transport reads one per loop iteration), with a receive
    buffer of ``receive_buffer_bytes`` (as much of it as the kernel allows, see
    :data:`UDP_RECEIVE_BUFFER_BYTES`) so that a busy moment does not drop datagrams. Sends
    that would block are dropped, as a radio would.
    """

    def __init__(
        self,
        host: str,
        port: int,
        *,
        name: str = "",
        max_peers: int = 32,
        peer_expiry_s: float = 60.0,
        receive_buffer_bytes: int = UDP_RECEIVE_BUFFER_BYTES,
    ) -> None:
        self.host, self.port, self.name = host, port, name or f"udpin:{host}:{port}"
        self._socket: socket.socket | None = None
        self.max_peers = max_peers
        self.peer_expiry_s = peer_expiry_s
        self.receive_buffer_bytes = receive_buffer_bytes
        #: admitted peer -> when it last sent an accepted frame (monotonic seconds)
        self._peers: dict[Any, float] = {}
        self.peers_refused = 0
        self.sends_dropped = 0
        self.current_peer: Any = None
        self._on_bytes: OnBytes | None = None
        self._bind_lock = asyncio.Lock()

    @property
    def connected(self) -> bool:
        return bool(self._peers)

    @property
    def peers(self) -> list[Any]:
        return list(self._peers)

    def admit(self, peer: Any) -> bool:
        """Make ``peer`` (or keep it) one of the peers sent to; False when refused."""
        now = time.monotonic()
        peers = self._peers
        if peer in peers:
            peers[peer] = now
            return True
        if len(peers) >= self.max_peers:
            oldest = min(peers, key=peers.__getitem__)
            if now - peers[oldest] < self.peer_expiry_s:
                self.peers_refused += 1
                return False
            del peers[oldest]
        peers[peer] = now
        return True

    async def bind(self) -> int:
        """Bind the socket now (so that a port in use fails at once); return the port."""
        async with self._bind_lock:
            return await self._bind()

    async def _bind(self) -> int:
        if self._socket is None:
            loop = asyncio.get_running_loop()
            try:
                infos = await loop.getaddrinfo(
                    self.host, self.port, type=socket.SOCK_DGRAM, flags=socket.AI_PASSIVE
                )
                family, kind, proto, _, address = infos[0]
                sock = socket.socket(family, kind, proto)
                try:
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF,
                                    self.receive_buffer_bytes)
                    sock.setblocking(False)
                    sock.bind(address)
                except OSError:
                    sock.close()
                    raise
            except OSError as exc:
                raise LinkError(
                    f"cannot listen on UDP {self.host}:{self.port}: "
                    f"{getattr(exc, 'strerror', None) or exc}",
                    field="connection",
                    value=self.name,
                ) from exc
            self._socket = sock
            self.port = int(sock.getsockname()[1])
            loop.add_reader(sock.fileno(), self._read_ready)
        return self.port

    def _read_ready(self) -> None:
        sock, on_bytes = self._socket, self._on_bytes
        if sock is None:
            return
        recvfrom = sock.recvfrom
        for _ in range(UDP_READ_BATCH):
            try:
                data, addr = recvfrom(UDP_DATAGRAM_MAX)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:  # ICMP errors and the like: nothing to read now
                return
            if on_bytes is None:
                continue  # bound but not running yet: like a port nobody reads
            self.current_peer = addr
            try:
                on_bytes(data)
            finally:
                self.current_peer = None

    async def wait_bound(self) -> int:
        return await self.bind()

    async def run(self, on_bytes: OnBytes) -> None:
        self._on_bytes = on_bytes
        await self.bind()
        try:
            await asyncio.Future()
        finally:
            sock, self._socket = self._socket, None
            self._on_bytes = None
            if sock is not None:
                asyncio.get_running_loop().remove_reader(sock.fileno())
                sock.close()

    def send(self, data: bytes) -> None:
        for peer in self._peers:
            self.send_to(data, peer)

    def send_to(self, data: bytes, peer: Any) -> None:
        """Send to one peer only (a vehicle's commands go to the address it is bound to)."""
        sock = self._socket
        if sock is None:
            return
        try:
            sock.sendto(data, peer)
        except (BlockingIOError, InterruptedError):
            self.sends_dropped += 1
        except OSError:  # a peer gone (ICMP) or unroutable: UDP forgets it
            self.sends_dropped += 1


class UdpOutTransport:
    """Send to a fixed UDP address and read its replies (like MAVProxy's udpout)."""

    def __init__(self, host: str, port: int, *, name: str = "") -> None:
        self.host, self.port, self.name = host, port, name or f"udpout:{host}:{port}"
        self._transport: asyncio.DatagramTransport | None = None
        self._heard = False

    @property
    def connected(self) -> bool:
        return self._transport is not None

    async def run(self, on_bytes: OnBytes) -> None:
        def on_datagram(data: bytes, addr: Any) -> None:
            self._heard = True
            on_bytes(data)

        loop = asyncio.get_running_loop()
        transport, _ = await loop.create_datagram_endpoint(
            lambda: _DatagramHandler(on_datagram), remote_addr=(self.host, self.port)
        )
        self._transport = transport
        try:
            await asyncio.Future()
        finally:
            transport.close()
            self._transport = None

    def send(self, data: bytes) -> None:
        if self._transport is not None:
            self._transport.sendto(data)


class TcpClientTransport:
    """A TCP client that reconnects with exponential backoff when the connection drops.

    ``on_state(connected)`` is called on every connect and disconnect; ``reconnects`` counts
    successful connections after the first.
    """

    def __init__(
        self,
        host: str,
        port: int,
        *,
        name: str = "",
        backoff_initial_s: float = 0.1,
        backoff_max_s: float = 2.0,
        on_state: Callable[[bool], None] | None = None,
    ) -> None:
        self.host, self.port, self.name = host, port, name or f"tcp:{host}:{port}"
        self.backoff_initial_s = backoff_initial_s
        self.backoff_max_s = backoff_max_s
        self.on_state = on_state
        self._writer: asyncio.StreamWriter | None = None
        self.connections = 0

    @property
    def connected(self) -> bool:
        return self._writer is not None and not self._writer.is_closing()

    @property
    def reconnects(self) -> int:
        return max(0, self.connections - 1)

    async def run(self, on_bytes: OnBytes) -> None:
        delay_s = self.backoff_initial_s
        while True:
            try:
                reader, writer = await asyncio.open_connection(self.host, self.port)
            except OSError:
                await asyncio.sleep(delay_s)
                delay_s = min(self.backoff_max_s, delay_s * 2)
                continue
            delay_s = self.backoff_initial_s
            self._writer = writer
            self.connections += 1
            if self.on_state is not None:
                self.on_state(True)
            try:
                while True:
                    data = await reader.read(65536)
                    if not data:
                        break
                    on_bytes(data)
            except OSError:
                pass
            finally:
                self._writer = None
                writer.close()
                if self.on_state is not None:
                    self.on_state(False)
            await asyncio.sleep(delay_s)

    def send(self, data: bytes) -> None:
        writer = self._writer
        if writer is not None and not writer.is_closing():
            writer.write(data)

    def drop_connection(self) -> None:
        """Abort the current connection (the run loop reconnects); for tests and operators."""
        if self._writer is not None:
            self._writer.transport.abort()


class SerialTransport:
    """A serial port opened non-blocking with pyserial and read on the event loop."""

    def __init__(self, device: str, baud: int, *, name: str = "") -> None:
        self.device, self.baud, self.name = device, baud, name or f"serial:{device}:{baud}"
        self._port: Any = None

    @property
    def connected(self) -> bool:
        return self._port is not None

    async def run(self, on_bytes: OnBytes) -> None:
        import serial  # pyserial; imported here so that the package works without a port

        try:
            port = serial.Serial(self.device, self.baud, timeout=0, write_timeout=0)
        except (OSError, serial.SerialException) as exc:
            raise LinkError(
                f"cannot open serial port {self.device}: {exc}", field="connection", value=self.name
            ) from exc
        loop = asyncio.get_running_loop()
        fd = port.fileno()
        closed = loop.create_future()

        def readable() -> None:
            try:
                data = os.read(fd, 4096)
            except BlockingIOError:
                return
            except OSError as exc:
                if not closed.done():
                    closed.set_exception(LinkError(f"serial port {self.device} failed: {exc}"))
                return
            if data:
                on_bytes(data)

        loop.add_reader(fd, readable)
        self._port = port
        try:
            await closed
        finally:
            loop.remove_reader(fd)
            self._port = None
            port.close()

    def send(self, data: bytes) -> None:
        if self._port is not None:
            try:
                self._port.write(data)
            except Exception:  # a full or failed port drops bytes like a radio would
                pass


class MemoryTransport:
    """One end of an in-memory byte pipe with injectable loss (for tests and benches).

    ``loss`` is the probability that a chunk sent from this end is dropped; ``drop_next``
    drops the next n chunks exactly. Create pairs with :func:`memory_pair`.
    """

    def __init__(self, name: str = "memory", *, loss: float = 0.0, seed: int = 1) -> None:
        self.name = name
        self.loss = loss
        self.drop_next = 0
        self.peer: MemoryTransport | None = None
        self._queue: asyncio.Queue[bytes] = asyncio.Queue()
        self._random = random.Random(seed)
        self.sent_chunks = 0
        self.dropped_chunks = 0

    @property
    def connected(self) -> bool:
        return self.peer is not None

    async def run(self, on_bytes: OnBytes) -> None:
        while True:
            on_bytes(await self._queue.get())

    def send(self, data: bytes) -> None:
        self.sent_chunks += 1
        if self.drop_next > 0:
            self.drop_next -= 1
            self.dropped_chunks += 1
            return
        if self.loss and self._random.random() < self.loss:
            self.dropped_chunks += 1
            return
        if self.peer is not None:
            self.peer._queue.put_nowait(bytes(data))


def memory_pair(loss: float = 0.0, seed: int = 1) -> tuple[MemoryTransport, MemoryTransport]:
    """Two connected in-memory transports, both losing ``loss`` of what they send."""
    a = MemoryTransport("memory-a", loss=loss, seed=seed)
    b = MemoryTransport("memory-b", loss=loss, seed=seed + 1)
    a.peer, b.peer = b, a
    return a, b
