"""Serving an app with uvicorn inside the caller's event loop.

:func:`serving` binds (port 0 picks a free port), runs uvicorn in a TaskGroup, waits until the
lifespan has started, yields the base URL and shuts down cleanly on exit. Used by the CLI, the
tests and the benchmarks alike, so all of them run the same real HTTP server.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import uvicorn
from fastapi import FastAPI

from jinghang.errors import JinghangError

STARTUP_TIMEOUT_S = 60.0


class ServerStartFailed(JinghangError):
    code = "server.start_failed"
    status_code = 500
    title = "Server did not start"


def bind_socket(host: str, port: int) -> socket.socket:
    """A listening TCP socket on ``host:port`` (IPv4 or IPv6 by the host's form).

    The protocol is given as ``IPPROTO_TCP``: asyncio sets TCP_NODELAY only on accepted sockets
    whose protocol says TCP, and a socket made with protocol 0 passes that on to every accepted
    connection, so each keep-alive response would wait for the client's delayed ACK (~40 ms).
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise ServerStartFailed(
            f"cannot listen on {host}:{port}: {exc.strerror}", field="port", value=port
        ) from exc
    sock.listen(128)
    sock.setblocking(False)
    return sock


@asynccontextmanager
async def serving(
    app: FastAPI, *, host: str = "127.0.0.1", port: int = 0, log_level: str = "warning"
) -> AsyncIterator[str]:
    """Run ``app`` on ``host:port``; yields ``http://host:port`` once it is up."""
    sock = bind_socket(host, port)
    bound_port = int(sock.getsockname()[1])
    server = uvicorn.Server(_config(app, log_level))
    try:
        async with asyncio.TaskGroup() as tasks:
            task = tasks.create_task(server.serve(sockets=[sock]), name="uvicorn")
            async with asyncio.timeout(STARTUP_TIMEOUT_S):
                while not server.started:
                    if task.done():
                        break
                    await asyncio.sleep(0.02)
            if not server.started:
                raise ServerStartFailed("the server stopped during start-up (see the log above)")
            try:
                yield f"http://{host}:{bound_port}"
            finally:
                server.should_exit = True
    finally:
        sock.close()


def _config(app: FastAPI, log_level: str) -> uvicorn.Config:
    ws = "websockets-sansio" if _has_sansio() else "auto"
    return uvicorn.Config(app, log_level=log_level, lifespan="on", ws=ws, access_log=False)


def _has_sansio() -> bool:
    try:
        from uvicorn.protocols.websockets import websockets_sansio_impl  # noqa: F401
    except ImportError:
        return False
    return True


async def serve_forever(app: FastAPI, *, host: str, port: int, log_level: str = "info") -> None:
    """Run ``app`` until cancelled or interrupted (the ``serve`` and ``demo`` commands)."""
    sock = bind_socket(host, port)
    server = uvicorn.Server(_config(app, log_level))
    try:
        await server.serve(sockets=[sock])
    finally:
        sock.close()
