"""Fixtures for the simulator tests: a running built-in simulator and a GCS client on it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from jinghang.simulator import SimulatorServer
from tests.simulator.client import GcsClient, connect_gcs

HOME = (37.5125, 122.1199, 10.0, 0.0)


@pytest.fixture
async def sim() -> AsyncIterator[SimulatorServer]:
    async with SimulatorServer(home=HOME, speedup=40.0, tcp_port=0) as server:
        yield server


@pytest.fixture
async def gcs(sim: SimulatorServer) -> AsyncIterator[GcsClient]:
    async with connect_gcs(sim.tcp_port) as client:
        await client.wait("HEARTBEAT")
        yield client
