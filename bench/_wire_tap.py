"""A timestamping TCP tap between the platform and its vehicles: where the dispatch benchmark
sees the first command byte on the wire to a vehicle, and the vehicle's answer.

    python bench/_wire_tap.py --log FILE HOST:PORT [HOST:PORT ...]

For each upstream vehicle address it listens on a free port of 127.0.0.1 and prints
``tap <index> tcp:127.0.0.1:<port>`` (one line each, in argument order), then forwards bytes
both ways unchanged, one thread per direction with blocking sockets, stamping ``time.time()``
the moment ``recv`` returns, before forwarding. It runs in its own process so that neither the
platform's nor the simulators' event loop delays a stamp.

Each MAVLink frame of interest goes to ``FILE`` as one line ``<t> <link> <dir> <msgid> <a> <b>``
(``dir`` is ``up`` towards the vehicle, ``down`` from it; every frame in one ``recv`` carries
that ``recv``'s stamp):

- up: SET_MODE, COMMAND_LONG / COMMAND_INT (``a`` = the command number), every MISSION_*
  message;
- down: COMMAND_ACK (``a`` = command, ``b`` = result), MISSION_ACK (``b`` = result), and
  HEARTBEAT when its armed flag or custom mode changed (``a`` = armed 0/1, ``b`` = mode).

Frames are delimited from their headers only (MAVLink 1 and 2, signed or not); the CRC is not
checked: the tap is transparent and both ends check it.
"""

from __future__ import annotations

import argparse
import socket
import struct
import sys
import threading
import time
from typing import TextIO

HEARTBEAT, SET_MODE, COMMAND_INT, COMMAND_LONG, COMMAND_ACK, MISSION_ACK = 0, 11, 75, 76, 77, 47
#: MISSION_ITEM, _REQUEST, _SET_CURRENT, _REQUEST_LIST, _COUNT, _CLEAR_ALL, _ACK,
#: _REQUEST_INT, _ITEM_INT
MISSION = {39, 40, 41, 43, 44, 45, 47, 51, 73}
UP = {SET_MODE, COMMAND_INT, COMMAND_LONG} | MISSION
DOWN = {HEARTBEAT, COMMAND_ACK, MISSION_ACK}


def frames(buffer: bytearray) -> list[tuple[int, bytes]]:
    """Take every complete frame off the front of ``buffer``: (message id, payload)."""
    out: list[tuple[int, bytes]] = []
    while True:
        start = next((i for i, b in enumerate(buffer) if b in (0xFD, 0xFE)), -1)
        if start < 0:
            buffer.clear()
            return out
        del buffer[:start]
        if len(buffer) < 6:
            return out
        length = buffer[1]
        if buffer[0] == 0xFD:
            if len(buffer) < 10:
                return out
            total = 12 + length + (13 if buffer[2] & 0x01 else 0)
            msgid = buffer[7] | buffer[8] << 8 | buffer[9] << 16
            header = 10
        else:
            total = 8 + length
            msgid = buffer[5]
            header = 6
        if len(buffer) < total:
            return out
        out.append((msgid, bytes(buffer[header:header + length])))
        del buffer[:total]


def padded(payload: bytes, size: int) -> bytes:
    """MAVLink 2 drops trailing zero bytes of a payload; put them back."""
    return payload + bytes(max(0, size - len(payload)))


class Log:
    """The record file, shared by every forwarding thread."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.lock = threading.Lock()

    def write(self, lines: list[str]) -> None:
        if lines:
            with self.lock:
                self.out.write("".join(lines))
                self.out.flush()


def forward(src: socket.socket, dst: socket.socket, link: int, up: bool, log: Log) -> None:
    buffer = bytearray()
    last_heartbeat: tuple[int, int] | None = None
    wanted = UP if up else DOWN
    direction = "up" if up else "down"
    try:
        while True:
            data = src.recv(65536)
            stamp = time.time()
            if not data:
                break
            dst.sendall(data)
            buffer += data
            lines = []
            for msgid, payload in frames(buffer):
                if msgid not in wanted:
                    continue
                a = b = 0
                if msgid in (COMMAND_LONG, COMMAND_INT):
                    a = struct.unpack_from("<H", padded(payload, 30), 28)[0]
                elif msgid == COMMAND_ACK:
                    a, b = struct.unpack_from("<HB", padded(payload, 3), 0)
                elif msgid == MISSION_ACK and not up:
                    b = padded(payload, 3)[2]
                elif msgid == HEARTBEAT:
                    mode, base = struct.unpack_from("<I", padded(payload, 9), 0)[0], payload[6:7]
                    seen = (1 if base and base[0] & 0x80 else 0, mode)
                    if seen == last_heartbeat:
                        continue
                    last_heartbeat = seen
                    a, b = seen
                lines.append(f"{stamp:.6f} {link} {direction} {msgid} {a} {b}\n")
            log.write(lines)
    except OSError:
        pass
    finally:
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def serve(listener: socket.socket, upstream: tuple[str, int], link: int, log: Log) -> None:
    said = False
    while True:
        client, _ = listener.accept()
        try:
            vehicle = socket.create_connection(upstream, timeout=10)
            vehicle.settimeout(None)
        except OSError as exc:
            if not said:
                print(f"tap {link}: cannot reach {upstream[0]}:{upstream[1]}: {exc}",
                      file=sys.stderr, flush=True)
                said = True
            client.close()
            continue
        for s in (client, vehicle):
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for src, dst, up in ((client, vehicle, True), (vehicle, client, False)):
            threading.Thread(target=forward, args=(src, dst, link, up, log), daemon=True).start()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--log", required=True)
    parser.add_argument("upstream", nargs="+", help="vehicle address, host:port or tcp:host:port")
    args = parser.parse_args()
    log = Log(open(args.log, "w", encoding="ascii"))  # open as long as we run
    threads = []
    for link, address in enumerate(args.upstream):
        host, port = address.removeprefix("tcp:").rsplit(":", 1)
        listener = socket.create_server(("127.0.0.1", 0))
        print(f"tap {link} tcp:127.0.0.1:{listener.getsockname()[1]}", flush=True)
        threads.append(threading.Thread(target=serve, args=(listener, (host, int(port)), link,
                                                            log), daemon=True))
    for thread in threads:
        thread.start()
    sys.stdin.read()  # until the benchmark closes our stdin (or exits)


if __name__ == "__main__":
    main()
