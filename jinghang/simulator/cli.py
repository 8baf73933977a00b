"""Sub-commands of ``jinghang.simulator`` (placeholder until the simulator work lands)."""

from __future__ import annotations

import argparse
from typing import Any


def register(subparsers: Any) -> None:  # noqa: ARG001 - filled in by the simulator work
    _ = argparse
