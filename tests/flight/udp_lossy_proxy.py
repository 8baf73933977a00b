"""A lossy UDP face for a TCP vehicle: the fleet talks UDP to the proxy, the proxy talks TCP to
the simulator, and each MAVLink frame is carried as its own datagram that is dropped with
probability ``loss`` in each direction (what a lossy radio or a cellular link does)."""

from __future__ import annotations

import asyncio
import random
from typing import Any

from pymavlink.dialects.v20 import ardupilotmega as mavlink


class _Datagrams(asyncio.DatagramProtocol):
    def __init__(self, proxy: LossyUdpProxy) -> None:
        self.proxy = proxy

    def datagram_received(self, data: bytes, addr: Any) -> None:
        self.proxy.from_udp(data, addr)


class LossyUdpProxy:
    def __init__(self, tcp_host: str, tcp_port: int, *, loss: float, seed: int = 11) -> None:
        self.tcp = (tcp_host, tcp_port)
        self.loss = loss
        self.port = 0
        self.dropped = 0
        self.carried = 0
        self._random = random.Random(seed)
        self._peer: Any = None
        self._udp: asyncio.DatagramTransport | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._pump: asyncio.Task[None] | None = None
        self._parser = mavlink.MAVLink(None)
        self._parser.robust_parsing = True

    @property
    def address(self) -> str:
        return f"udpout:127.0.0.1:{self.port}"

    async def __aenter__(self) -> LossyUdpProxy:
        loop = asyncio.get_running_loop()
        reader, self._writer = await asyncio.open_connection(*self.tcp)
        self._udp, _ = await loop.create_datagram_endpoint(
            lambda: _Datagrams(self), local_addr=("127.0.0.1", 0)
        )
        self.port = int(self._udp.get_extra_info("sockname")[1])
        self._pump = asyncio.create_task(self._from_tcp(reader))
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._pump is not None:
            self._pump.cancel()
            await asyncio.gather(self._pump, return_exceptions=True)
        if self._udp is not None:
            self._udp.close()
        if self._writer is not None:
            self._writer.close()

    def _lose(self) -> bool:
        if self._random.random() < self.loss:
            self.dropped += 1
            return True
        self.carried += 1
        return False

    def from_udp(self, data: bytes, addr: Any) -> None:
        self._peer = addr
        if not self._lose() and self._writer is not None:
            self._writer.write(data)

    async def _from_tcp(self, reader: asyncio.StreamReader) -> None:
        while data := await reader.read(65536):
            for message in self._parser.parse_buffer(data) or []:
                if message.get_type() == "BAD_DATA" or self._peer is None or self._udp is None:
                    continue
                if not self._lose():
                    self._udp.sendto(bytes(message.get_msgbuf()), self._peer)
