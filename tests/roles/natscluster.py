"""A real three-node nats-server cluster with JetStream on 127.0.0.1 for the role tests.

Each node has its own client port, cluster port and storage directory; :func:`start_cluster`
returns once every node answers and JetStream has a meta leader (a stream can be created).
"""

from __future__ import annotations

import asyncio
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import nats

from tests.conftest import free_tcp_port


@dataclass
class ClusterNode:
    name: str
    port: int
    cluster_port: int
    directory: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    def start(self, binary: str, routes: list[str]) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        log = (self.directory / "nats.log").open("ab")
        self.process = subprocess.Popen(
            [binary, "-a", "127.0.0.1", "-p", str(self.port), "-n", self.name, "-js",
             "-sd", str(self.directory / "js"), "--cluster_name", "jh",
             "--cluster", f"nats://127.0.0.1:{self.cluster_port}",
             "--routes", ",".join(routes)],
            stdout=log, stderr=subprocess.STDOUT)
        log.close()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


async def _jetstream_ready(url: str, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            nc = await nats.connect(url, connect_timeout=1, allow_reconnect=False)
            try:
                await nc.jetstream().account_info()
                return
            finally:
                await nc.close()
        except Exception:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.25)


async def start_cluster(binary: str, directory: Path, size: int = 3,
                        timeout_s: float = 30.0) -> list[ClusterNode]:
    nodes = [ClusterNode(f"n{i + 1}", free_tcp_port(), free_tcp_port(), directory / f"n{i + 1}")
             for i in range(size)]
    for node in nodes:
        node.start(binary, [f"nats://127.0.0.1:{n.cluster_port}" for n in nodes if n is not node])
    for node in nodes:
        await _jetstream_ready(node.url, timeout_s)
    return nodes
