"""Sub-commands of ``jinghang.video`` (placeholder until the video work lands)."""

from __future__ import annotations

import argparse
from typing import Any


def register(subparsers: Any) -> None:
    _ = argparse
