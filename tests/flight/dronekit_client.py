"""A pilot's dronekit script (run as a subprocess by the forwarding test): connect through the
platform's forward, print what it sees, switch the vehicle to GUIDED and wait for it."""

from __future__ import annotations

import sys
import time

from dronekit import VehicleMode, connect


def main(connection: str) -> int:
    vehicle = connect(connection, wait_ready=["mode", "armed"], heartbeat_timeout=30, timeout=30)
    print(f"SEEN mode={vehicle.mode.name} armed={vehicle.armed}", flush=True)
    vehicle.mode = VehicleMode("GUIDED")
    deadline = time.monotonic() + 20
    while vehicle.mode.name != "GUIDED" and time.monotonic() < deadline:
        time.sleep(0.1)
    print(f"AFTER mode={vehicle.mode.name}", flush=True)
    vehicle.close()
    return 0 if vehicle.mode.name == "GUIDED" else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
