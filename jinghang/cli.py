"""The ``jinghang`` command line: ``demo``, ``serve``, ``sim``, ``templates``, ``plan``,
``recordings``, ``audit`` and ``signing``. Each sub-package registers its own sub-commands (a
module with a ``register(subparsers)`` function), so this file only assembles them."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

#: Modules that register sub-commands, in the order they appear in ``--help``.
COMMAND_MODULES = (
    "jinghang.api.cli",  # demo, serve
    "jinghang.simulator.cli",  # sim
    "jinghang.missions.cli",  # templates, plan
    "jinghang.video.cli",  # recordings
    "jinghang.store.audit_cli",  # audit verify | export-checkpoints | new-key
    "jinghang.api.signing_cli",  # signing new-key | provision
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="jinghang", description="Jinghang (警航) drone police operations platform"
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMAND_MODULES:
        module = importlib.import_module(name)
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    result = args.func(args)
    return int(result or 0)


if __name__ == "__main__":
    sys.exit(main())
