"""``jinghang sim``: start a fleet of built-in simulated ArduCopters and print each address.

jinghang sim --count 3 --home 37.5125,122.1199,10,0 --speedup 5
jinghang sim --count 3 --signing-master-key-file signing.key   # each signs with its own key
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

from jinghang.errors import SimulatorError
from jinghang.simulator.fleet import SimFleet
from jinghang.simulator.server import DEFAULT_HOME, parse_home


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "sim",
        help="run built-in simulated ArduCopters (MAVLink on TCP 5760 + 10 * instance)",
        description="Start N simulated ArduCopter vehicles on one event loop and print their "
        "MAVLink addresses; Ctrl-C stops them.",
    )
    home_text = ",".join(str(x) for x in DEFAULT_HOME)
    parser.add_argument("--count", type=int, default=1, help="number of vehicles (default 1)")
    parser.add_argument(
        "--home", default=home_text, help=f"lat,lon,alt,heading (default {home_text})"
    )
    parser.add_argument(
        "--speedup", type=float, default=1.0, help="simulated seconds per wall second"
    )
    parser.add_argument(
        "--instance", type=int, default=0, help="first instance number (port 5760 + 10*i)"
    )
    parser.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)"
    )
    parser.add_argument(
        "--ephemeral-ports", action="store_true", help="listen on free ports instead"
    )
    parser.add_argument("--signing-key", default="", help="MAVLink 2 signing key, 64 hex digits")
    parser.add_argument(
        "--signing-master-key-file", default="", metavar="FILE",
        help="sign each vehicle with its own key derived from this master key (as "
        "jinghang serve's JINGHANG_SIGNING_MASTER_KEY_FILE)",
    )
    parser.add_argument(
        "--duration", type=float, default=0.0, help="stop after this many wall seconds"
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        home = parse_home(args.home)
        key = bytes.fromhex(args.signing_key) if args.signing_key else None
        if key is not None and len(key) != 32:
            raise SimulatorError(
                "signing key must be 32 bytes (64 hex digits)", field="signing_key"
            )
        keys = master_keys(args.signing_master_key_file)
        fleet = SimFleet(
            args.count,
            home,
            args.speedup,
            first_instance=args.instance,
            ephemeral_ports=args.ephemeral_ports,
            signing_key=key,
            signing_keys=keys,
            host=args.host,
        )
    except (SimulatorError, ValueError) as exc:
        print(f"jinghang sim: {describe(exc)}")
        return 2
    try:
        asyncio.run(_serve(fleet, args.duration))
    except KeyboardInterrupt:
        pass
    except SimulatorError as exc:
        print(f"jinghang sim: {describe(exc)}")
        return 1
    return 0


def master_keys(path: str) -> Callable[[int], bytes | None] | None:
    """Each vehicle's derived key from the master key file at ``path`` (None: no file)."""
    if not path:
        return None
    from jinghang.mavlink.keys import MASTER_KEY_MIN_BYTES, DroneKeys

    try:
        master = bytes.fromhex(Path(path).expanduser().read_text(encoding="ascii").strip())
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise SimulatorError(f"cannot read a hex master key from {path}: {exc}",
                             field="signing_master_key_file") from None
    if len(master) < MASTER_KEY_MIN_BYTES:
        raise SimulatorError("the signing master key is too short",
                             field="signing_master_key_file", value=len(master),
                             limit=MASTER_KEY_MIN_BYTES)
    return DroneKeys(master).key_for


def describe(exc: Exception) -> str:
    """The error with the field at fault, the value given and the limit it broke."""
    if not isinstance(exc, SimulatorError):
        return str(exc)
    parts = [exc.message]
    if exc.field is not None:
        parts.append(f"field {exc.field}")
    if exc.value is not None:
        parts.append(f"got {exc.value!r}")
    if exc.limit is not None:
        parts.append(f"limit {exc.limit}")
    return "; ".join(parts)


async def _serve(fleet: SimFleet, duration_s: float) -> None:
    async with fleet:
        for server in fleet.servers:
            v = server.vehicle
            print(
                f"vehicle {server.system_id}: {server.address} "
                f"home {v.home_lat_deg:.7f},{v.home_lon_deg:.7f},{v.home_alt_amsl_m:g} "
                f"speedup {server.speedup:g}",
                flush=True,
            )
        if duration_s > 0:
            await asyncio.sleep(duration_s)
        else:
            await asyncio.Event().wait()
