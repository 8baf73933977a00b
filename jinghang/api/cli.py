"""Sub-commands of ``jinghang.api`` (placeholder until the api work lands)."""

from __future__ import annotations

import argparse
from typing import Any


def register(subparsers: Any) -> None:
    _ = argparse
