"""Per-drone MAVLink signing keys, derived from one master key and never stored.

A drone's key is ``HMAC-SHA256(master key, b"jinghang/mavlink-signing/v1/" + identity)``,
where the identity is how the register names the drone: its drone id (the register's id) in
ASCII decimal (drone 7: ``b"7"``). Without per-link identities a drone's id is the MAVLink
system id it speaks, so those drones keep the keys they had when keys went by system id; with
them, two drones that both speak system 1 on different links have different keys (a link asks
the register which drone a source is, see :class:`jinghang.flight.fleet.Fleet`). The 32-byte
result is the drone's MAVLink 2 signing key (SETUP_SIGNING's ``secret_key``). Two drones' keys
are unrelated to someone without the master key, so a key read out of one drone signs for that
drone only; the master key lives with the server (a file readable by its owner only, mode 0600,
like the audit key) and ``jinghang signing provision`` gives each drone its own key over a
trusted link. The ``v1`` in the label changes if the derivation ever does (every drone is then
provisioned again).
"""

from __future__ import annotations

import hashlib
import hmac
from pathlib import Path

from jinghang.key_files import write_new_key_file
from jinghang.limits import MAX_DRONE_ID

#: The shortest master key accepted (bytes), as the audit key.
MASTER_KEY_MIN_BYTES = 32
DERIVATION_LABEL = b"jinghang/mavlink-signing/v1/"


def drone_identity(drone_id: int) -> bytes:
    """The register's name for a drone, as the derivation reads it: its drone id."""
    return str(int(drone_id)).encode("ascii")


def drone_key(master_key: bytes, drone_id: int) -> bytes:
    """The 32-byte signing key of the drone with the register's id ``drone_id``."""
    if len(master_key) < MASTER_KEY_MIN_BYTES:
        raise ValueError(f"the signing master key needs at least {MASTER_KEY_MIN_BYTES} bytes")
    return hmac.new(master_key, DERIVATION_LABEL + drone_identity(drone_id),
                    hashlib.sha256).digest()


class DroneKeys:
    """Every drone's key from one master key, computed once per drone id (a link asks
    for the key of every signed frame's sender)."""

    def __init__(self, master_key: bytes) -> None:
        drone_key(master_key, 0)  # refuse a short master key now
        self._master_key = master_key
        self._cache: dict[int, bytes] = {}

    def key_for(self, drone_id: int) -> bytes | None:
        """The key of drone ``drone_id``; None for ids no drone may have (below 1 or above
        :data:`jinghang.limits.MAX_DRONE_ID`)."""
        if not 1 <= drone_id <= MAX_DRONE_ID:
            return None
        key = self._cache.get(drone_id)
        if key is None:
            key = self._cache[drone_id] = drone_key(self._master_key, drone_id)
        return key


def write_new_master_key(path: Path) -> None:
    """Write a new 32-byte master key (hex) to ``path``, readable by its owner only; never
    overwrites a file (a lost master key means provisioning every drone again)."""
    write_new_key_file(path, key_bytes=MASTER_KEY_MIN_BYTES)
