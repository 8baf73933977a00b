"""A real nats-server with JetStream for the bus tests, on a free 127.0.0.1 port.

It keeps its port and its storage directory across :meth:`NatsServer.restart`, so JetStream's
streams, consumers and leases survive a restart the way they do in a deployment.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from pathlib import Path

from tests.conftest import free_tcp_port


def nats_server_binary() -> str | None:
    """Debian's nats-server (package ``nats-server``), if installed."""
    return shutil.which("nats-server") or (
        "/usr/sbin/nats-server" if Path("/usr/sbin/nats-server").exists() else None)


class NatsServer:
    def __init__(self, binary: str, store_dir: Path) -> None:
        self.binary = binary
        self.store_dir = store_dir
        self.port = free_tcp_port()
        self.process: subprocess.Popen[bytes] | None = None
        self.log_path = store_dir / "nats-server.log"

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    def start(self, timeout_s: float = 10.0) -> None:
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [self.binary, "-a", "127.0.0.1", "-p", str(self.port), "-js",
             "-sd", str(self.store_dir / "js")],
            stdout=log, stderr=subprocess.STDOUT)
        log.close()
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"nats-server exited: {self.log_path.read_text()[-2000:]}")
            if b"Server is ready" in self.log_path.read_bytes():
                try:
                    with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                        return
                except OSError:
                    pass
            time.sleep(0.05)
        raise RuntimeError(f"nats-server not ready in {timeout_s} s")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None
        # the next start's "ready" line is the one to wait for
        self.log_path.write_bytes(b"")

    def restart(self) -> None:
        self.stop()
        self.start()
