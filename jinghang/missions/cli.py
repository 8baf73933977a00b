"""Sub-commands of ``jinghang.missions`` (placeholder until the missions work lands)."""

from __future__ import annotations

import argparse
from typing import Any


def register(subparsers: Any) -> None:
    _ = argparse
