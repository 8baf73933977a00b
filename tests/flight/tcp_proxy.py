"""A loopback TCP proxy for link tests: it can cut the connection (and refuse reconnects for a
while), and inject random and truncated bytes into what the vehicle sends."""

from __future__ import annotations

import asyncio
import random


class TcpProxy:
    def __init__(self, upstream_host: str, upstream_port: int, *, seed: int = 5) -> None:
        self.upstream = (upstream_host, upstream_port)
        self.port = 0
        self.refusing = False
        self.garbage_probability = 0.0
        self.truncate_frames = False
        self.connections = 0
        self.injected_chunks = 0
        self._random = random.Random(seed)
        self._writers: list[asyncio.StreamWriter] = []
        self._server: asyncio.base_events.Server | None = None
        self._pumps: set[asyncio.Task[None]] = set()

    async def __aenter__(self) -> TcpProxy:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.port = int(self._server.sockets[0].getsockname()[1])
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.cut()
        assert self._server is not None
        self._server.close()
        await asyncio.gather(*self._pumps, return_exceptions=True)

    @property
    def address(self) -> str:
        return f"tcp:127.0.0.1:{self.port}"

    def cut(self) -> None:
        """Abort every proxied connection, as a dropped radio or network would."""
        for writer in self._writers:
            writer.transport.abort()
        self._writers.clear()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.refusing:
            writer.transport.abort()
            return
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.upstream)
        except OSError:
            writer.transport.abort()
            return
        self.connections += 1
        self._writers += [writer, up_writer]
        down = asyncio.current_task()
        assert down is not None
        self._pumps.add(down)
        try:
            async with asyncio.TaskGroup() as tg:
                tg.create_task(self._pump(reader, up_writer, mangle=False))
                tg.create_task(self._pump(up_reader, writer, mangle=True))
        except* (OSError, ConnectionError):
            pass
        finally:
            self._pumps.discard(down)
            writer.transport.abort()
            up_writer.transport.abort()

    async def _pump(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, *, mangle: bool
    ) -> None:
        while data := await reader.read(4096):
            rng = self._random
            if mangle and rng.random() < self.garbage_probability:
                self.injected_chunks += 1
                noise = bytes(rng.getrandbits(8) for _ in range(rng.randint(1, 64)))
                if self.truncate_frames and len(data) > 4:
                    data = data[: self._random.randint(1, len(data) - 1)]
                writer.write(noise)
            writer.write(data)
            await writer.drain()
        writer.transport.abort()
