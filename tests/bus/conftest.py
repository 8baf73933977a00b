"""The bus tests' fixture: a real nats-server (skipped, saying why, when it is not installed)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.bus.natsserver import NatsServer, nats_server_binary


@pytest.fixture
def nats_server(tmp_path: Path) -> Iterator[NatsServer]:
    binary = nats_server_binary()
    if binary is None:
        pytest.skip("nats-server is not installed (Debian package nats-server; scripts/test "
                    "installs it)")
    server = NatsServer(binary, tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.stop()
