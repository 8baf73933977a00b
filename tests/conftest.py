"""Fixtures shared by every test: free loopback ports and the ``sitl`` marker's skip rule."""

from __future__ import annotations

import os
import socket

import pytest

SITL_ENV = "JINGHANG_SITL_BINARY"


def free_tcp_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def free_udp_port() -> int:
    """A UDP port on 127.0.0.1 that nothing is bound to right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def sitl_binary() -> str | None:
    """The real ArduPilot SITL ``arducopter`` binary, when JINGHANG_SITL_BINARY names one."""
    path = os.environ.get(SITL_ENV, "")
    return path if path and os.path.isfile(path) and os.access(path, os.X_OK) else None


@pytest.fixture(params=["builtin", pytest.param("sitl", marks=pytest.mark.sitl)])
def backend(request: pytest.FixtureRequest) -> str:
    """Which simulator a flight test flies: the built-in one, and real ArduPilot SITL.

    Every flight test that takes this fixture runs twice; the ``sitl`` case is skipped, with
    the reason printed, when JINGHANG_SITL_BINARY names no binary (as in CI).
    """
    name = str(request.param)
    if name == "sitl" and sitl_binary() is None:
        pytest.skip(
            f"{SITL_ENV} does not name an ArduPilot SITL arducopter binary; "
            "the real-SITL run of this test is skipped"
        )
    return name
