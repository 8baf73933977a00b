"""``jinghang signing``: the MAVLink signing master key and giving drones their keys.

- ``jinghang signing new-key FILE`` writes a new random master key (hex, mode 0600, never
  overwriting a file); point ``JINGHANG_SIGNING_MASTER_KEY_FILE`` at it.
- ``jinghang signing provision --drone N [--link tcp:HOST:PORT] [--config FILE]
  [--operator NAME]`` gives registered drone N (the register's drone id) its derived key
  (:mod:`jinghang.mavlink.keys`) with SETUP_SIGNING, addressed to the MAVLink system id the
  register says it speaks (its ``mavlink_system_id``, else its drone id), over ``--link``
  (default: the register's ``link`` for it), checks that it now answers signed, and records
  the outcome in the audit trail (action ``signing.provision``, actor ``cli:<operator>``, the OS
  login by default). Use a trusted link (USB, a cable, the bench): SETUP_SIGNING carries
  the key in clear. Exit 0 when provisioned, 1 when the drone did not take the key, 2 when
  nothing could be tried (no master key or audit key, drone not registered, no or a bad link).
  The key is never printed.

Settings (the database, the master key, the audit key) are read as ``jinghang serve`` reads
them: the environment, overridden by ``--config``.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
from pathlib import Path
from typing import Any

from jinghang.errors import JinghangError

EXIT_PROVISIONED = 0
EXIT_REFUSED = 1
EXIT_CANNOT_TRY = 2


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("signing", help="MAVLink signing keys: make, provision")
    commands = parser.add_subparsers(dest="signing_command", metavar="ACTION", required=True)

    new_key = commands.add_parser("new-key", help="write a new signing master key (mode 0600)")
    new_key.add_argument("file", help="the key file to create (never overwritten)")
    new_key.set_defaults(func=run_new_key)

    prov = commands.add_parser(
        "provision", help="give a drone its signing key over a trusted link, and check it")
    prov.add_argument("--drone", type=int, required=True, metavar="N",
                      help="the drone's id in the register")
    prov.add_argument("--link", default=None, metavar="CONNECTION",
                      help="tcp:HOST:PORT, serial:DEVICE:BAUD or udpout:HOST:PORT "
                           "(default: the drone's link in the register)")
    prov.add_argument("--config", metavar="FILE", help="the server's TOML or JSON settings")
    prov.add_argument("--operator", default=None,
                      help="who is provisioning, for the audit trail (default: login name)")
    prov.add_argument("--timeout", type=float, default=10.0, metavar="SECONDS")
    prov.set_defaults(func=run_provision)


def _fail(message: str) -> int:
    print(f"jinghang signing: {message}", file=sys.stderr)
    return EXIT_CANNOT_TRY


def run_new_key(args: argparse.Namespace) -> int:
    from jinghang.key_files import new_key_file_refusal

    path = Path(args.file)
    refusal = new_key_file_refusal(path, "a signing master key")
    if refusal is not None:
        return _fail(refusal)
    print(f"wrote a new signing master key to {path} (mode 0600); set "
          f"JINGHANG_SIGNING_MASTER_KEY_FILE={path} and provision each drone with "
          "`jinghang signing provision`")
    return EXIT_PROVISIONED


def run_provision(args: argparse.Namespace) -> int:
    from jinghang.api.audit import audit_key_of, record
    from jinghang.api.serve_settings import load_serve_settings
    from jinghang.api.services import Services
    from jinghang.errors import ConfigError
    from jinghang.events import EventBus
    from jinghang.flight.provision import provision
    from jinghang.flight.transport import parse_address
    from jinghang.limits import MAX_DRONE_ID
    from jinghang.mavlink.keys import drone_key
    from jinghang.store.engine import open_store

    operator = args.operator or _login()
    try:
        if not 1 <= args.drone <= MAX_DRONE_ID:
            raise ConfigError(f"the drone id must be 1..{MAX_DRONE_ID}", field="drone",
                              value=args.drone, limit=f"1..{MAX_DRONE_ID}")
        if args.link is not None:
            parse_address(args.link)
        settings = load_serve_settings(args.config)
        master = settings.signing_master_key()
        if master is None:
            raise ConfigError("no signing master key: set JINGHANG_SIGNING_MASTER_KEY_FILE "
                              "(make one with `jinghang signing new-key FILE`)",
                              field="signing_master_key_file")
        if settings.audit_secret() is None:  # the server's audit key, so its rows verify
            raise ConfigError("no audit key: set JINGHANG_AUDIT_KEY_FILE as for the server",
                              field="audit_key_file")
        store = open_store(settings.database_url, audit_key=audit_key_of(settings))
    except JinghangError as exc:
        field = f" [{exc.field}]" if exc.field else ""
        return _fail(exc.message + field)
    services = Services(settings=settings, bus=EventBus(), store=store)
    try:
        wire = _wire_identity_of(store, args.drone)
        if wire is None:
            return _fail(f"drone {args.drone} is not in the register [drone]")
        register_link, speaks = wire
        link = args.link or register_link
        if not link:
            return _fail(f"drone {args.drone} has no link in the register: give --link [link]")
        try:
            parse_address(link)
            result = asyncio.run(provision(link, speaks, drone_key(master, args.drone),
                                           timeout_s=args.timeout))
        except (JinghangError, OSError) as exc:
            return _fail(f"cannot use the link {link}: {exc}")
        record(services, actor=f"cli:{operator}", action="signing.provision",
               target_type="vehicle", target_id=args.drone,
               details={"link": link, "mavlink_system_id": speaks, "ok": result.ok,
                        "code": result.code, "params": result.params})
    finally:
        store.close()
    speaking = "" if speaks == args.drone else f" (drone {args.drone}, system id {speaks})"
    print(("provisioned: " if result.ok else "NOT provisioned: ") + result.message + speaking
          + f" [{result.code}]")
    return EXIT_PROVISIONED if result.ok else EXIT_REFUSED


def _wire_identity_of(store: Any, drone_id: int) -> tuple[str, int] | None:
    """The (link, MAVLink system id) the register names drone ``drone_id`` by ("" = any
    link), or None when it is not in the register."""
    from sqlmodel import select

    from jinghang.api.identities import wire_identity
    from jinghang.store.models import Vehicle

    with store.read_session() as session:
        row = session.execute(
            select(  # type: ignore[call-overload]
                Vehicle.link, Vehicle.mavlink_system_id
            ).where(Vehicle.drone_id == drone_id)
        ).first()
    return None if row is None else wire_identity(drone_id, row[0], row[1])


def _login() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"
