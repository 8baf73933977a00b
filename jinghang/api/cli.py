"""Sub-commands of ``jinghang.api``: ``serve`` (a configured server) and ``demo`` (the whole
platform on one machine with simulated drones at Weihai)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from pathlib import Path
from typing import Any

from jinghang.errors import JinghangError

SERVE_EXAMPLE = """example jinghang.toml:
  secret_key = "at least 16 random characters"
  audit_key_file = "/etc/jinghang/audit.key"   # made by: jinghang audit new-key FILE
  signing_master_key_file = "/etc/jinghang/signing.key"   # jinghang signing new-key FILE
  database_url = "postgresql://jinghang:pw@127.0.0.1:5432/jinghang"   # default sqlite:///jinghang.db
  host = "0.0.0.0"
  port = 8000
  links = ["tcp:10.0.0.21:5760", "udpin:0.0.0.0:14550"]
  [[users]]
  username = "duty.commander"
  password = "change this at once"
  role = "commander"                # admin | commander | pilot | observer
  [[vehicles]]
  drone_id = 1                      # the register's id, used everywhere above the link
  name = "Weihai-1"
  link = "tcp:10.0.0.21:5760"       # the link it is on ("" = any link)
  mavlink_system_id = 1             # what it speaks there (omit: the same as drone_id)
  base_latitude_deg = 37.505
  base_longitude_deg = 122.130
  payloads = ["camera", "zoom", "loudspeaker"]
  video_source_url = "rtsp://10.0.0.21:8554/main"
"""


def register(subparsers: Any) -> None:
    serve = subparsers.add_parser(
        "serve",
        help="run the command-center server",
        description="Run the server. Configuration comes from the environment (JINGHANG_*) "
        "and an optional JSON or TOML file: database_url, links, users, vehicles, secret_key, "
        "audit_key_file.",
        epilog=SERVE_EXAMPLE,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    serve.add_argument("--config", help="a JSON or TOML configuration file")
    serve.add_argument("--host", help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port to listen on (default 8000)")
    serve.add_argument("--database-url", help="sqlite:///file.db or postgresql://...")
    serve.add_argument(
        "--link",
        action="append",
        dest="links",
        help="a MAVLink connection string (tcp:HOST:PORT, udpin:..., serial:...); repeatable",
    )
    serve.add_argument(
        "--role", choices=("all", "link", "api"),
        help="all (default: everything in one process, no broker), link (a link worker) or "
        "api (an API node); link and api need nats_urls (docs/SCALE-OUT.md)",
    )
    serve.add_argument("--nats-url", action="append", dest="nats_urls",
                       help="a NATS server of the bus (nats://HOST:PORT); repeatable")
    serve.add_argument("--worker-name", help="this process's name on the bus (unique)")
    serve.set_defaults(func=run_serve)

    demo = subparsers.add_parser(
        "demo", help="run the demo: server, three simulated drones at Weihai, demo users"
    )
    demo.add_argument("--host", default="127.0.0.1")
    demo.add_argument("--port", type=int, default=8000)
    demo.add_argument("--dir", default="jinghang-demo", help="where the demo keeps its database")
    demo.add_argument("--speedup", type=float, default=1.0, help="simulation speed (1 = real)")
    demo.add_argument("--no-video", action="store_true", help="no simulated cameras")
    demo.set_defaults(func=run_demo)


def check_links(links: list[str]) -> None:
    """Refuse a malformed MAVLink connection string before anything starts."""
    from jinghang.errors import ConfigError
    from jinghang.flight.transport import parse_address

    for index, link in enumerate(links):
        try:
            parse_address(link)
        except JinghangError as exc:
            raise ConfigError(exc.message, field=f"links[{index}]", value=link) from exc


def _fail(exc: JinghangError) -> int:
    field = f" [{exc.field}]" if exc.field else ""
    print(f"jinghang: {exc.message}{field}", file=sys.stderr)
    return 2


def run_serve(args: argparse.Namespace) -> int:
    from jinghang.api.serve_settings import load_serve_settings

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    try:
        settings = load_serve_settings(
            args.config,
            host=args.host,
            port=args.port,
            database_url=args.database_url,
            links=args.links,
            role=getattr(args, "role", None),
            nats_urls=getattr(args, "nats_urls", None),
            worker_name=getattr(args, "worker_name", None),
        )
        if settings.role != "all":
            check_links(settings.links)
            return _serve_role(settings)
        settings.check_for_serving()
        settings.check_audit_key_for_serving()
        settings.check_signing_for_serving()
        check_links(settings.links)
        asyncio.run(_serve(settings))
    except JinghangError as exc:
        return _fail(exc)
    except KeyboardInterrupt:
        return 130
    return 0


def _serve_role(settings: Any) -> int:
    """``--role link`` or ``--role api`` (jinghang.roles)."""
    from jinghang.roles import serve

    serve.check_role(settings)
    if settings.role == "api":
        settings.check_for_serving()
        settings.check_audit_key_for_serving()
        asyncio.run(serve.serve_api(settings))
    else:
        asyncio.run(serve.serve_link(settings))
    return 0


async def _serve(settings: Any) -> None:
    from jinghang.api.app import create_app
    from jinghang.api.runtime import build_services
    from jinghang.api.server import serve_forever

    services = build_services(settings)
    try:
        app = create_app(settings, services)
        await serve_forever(app, host=settings.host, port=settings.port)
    finally:
        services.store.close()


def run_demo(args: argparse.Namespace) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s: %(message)s")
    try:
        asyncio.run(_demo(args))
    except JinghangError as exc:
        return _fail(exc)
    except KeyboardInterrupt:
        return 130
    return 0


async def _demo(args: argparse.Namespace) -> None:
    from jinghang.api import demo
    from jinghang.api.app import create_app
    from jinghang.api.runtime import build_services
    from jinghang.api.server import serve_forever

    sim_ports = [demo.free_port() for _ in demo.DEMO_DRONES]
    settings = demo.demo_settings(
        Path(args.dir), host=args.host, port=args.port, sim_ports=sim_ports, speedup=args.speedup
    )
    services = build_services(settings)
    sims = demo.simulators(sim_ports, args.speedup, settings.signing_master_key())
    services.contexts.extend(sims)
    if not args.no_video:
        demo.add_cameras(services, sims)
    services.on_ready.append(lambda: demo.banner(settings))
    try:
        app = create_app(settings, services)
        await serve_forever(app, host=settings.host, port=settings.port, log_level="warning")
    finally:
        services.store.close()
