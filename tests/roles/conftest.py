"""The role tests' fixtures: a real nats-server (skipped, saying why, when not installed) and
the store tests' real PostgreSQL server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.bus.natsserver import NatsServer, nats_server_binary
from tests.store.conftest import postgres_url  # noqa: F401  (the session's PostgreSQL)


def nats_binary() -> str:
    binary = nats_server_binary()
    if binary is None:
        pytest.skip("nats-server is not installed (Debian package nats-server; scripts/test "
                    "installs it)")
    return binary


@pytest.fixture
def nats_server(tmp_path: Path) -> Iterator[NatsServer]:
    server = NatsServer(nats_binary(), tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.stop()
