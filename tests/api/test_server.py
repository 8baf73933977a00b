"""The API's HTTP server as a client meets it: keep-alive responses come back at once."""

from __future__ import annotations

import socket
import statistics
import time
from pathlib import Path

from jinghang.api.server import bind_socket
from tests.api.harness import running_api


def test_accepted_connections_are_tcp_so_asyncio_sets_nodelay() -> None:
    sock = bind_socket("127.0.0.1", 0)
    try:
        assert sock.proto == socket.IPPROTO_TCP
    finally:
        sock.close()


async def test_keep_alive_requests_do_not_wait_for_the_delayed_ack(tmp_path: Path) -> None:
    """Without TCP_NODELAY each response on a kept-alive connection waits for the client's
    delayed ACK: about 40 ms on Linux loopback, whatever the server's own speed."""
    async with running_api(tmp_path) as api:
        await api.get("/api/health")  # the connection is open and kept alive from here
        times_ms = []
        for _ in range(20):
            started = time.perf_counter()
            response = await api.get("/api/health")
            times_ms.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200
        # the delayed ACK costs ~40 ms a response; a loaded 2-core machine still answers in a few
        assert statistics.median(times_ms) < 25, f"keep-alive requests took {times_ms} ms"
