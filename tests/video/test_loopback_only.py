"""Video on a machine whose only address is 127.0.0.1 (an offline laptop in the field): the
gateway offers a loopback host candidate, so a viewer on the same machine gets a picture.

Each case runs tests/video/loopback_probe.py in a new network namespace (``unshare --net``: a
host with nothing but its loopback interface), as the gateway would run there."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _can_unshare() -> str:
    if shutil.which("unshare") is None or shutil.which("ip") is None:
        return "needs unshare and ip (util-linux, iproute2)"
    probe = subprocess.run(["unshare", "--net", "true"], capture_output=True)
    if probe.returncode != 0:
        return f"cannot make a network namespace here: {probe.stderr.decode().strip()}"
    return ""


def _probe(policy: str) -> subprocess.CompletedProcess[str]:
    script = f"ip link set lo up && exec {sys.executable} -m tests.video.loopback_probe {policy}"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(["unshare", "--net", "sh", "-c", script], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


@pytest.mark.skipif(bool(_can_unshare()), reason=_can_unshare() or "unshare works")
def test_a_loopback_only_machine_gets_a_picture() -> None:
    result = _probe("auto")
    assert result.returncode == 0, result.stdout + result.stderr
    assert int(result.stdout.split("frames")[1]) >= 5


@pytest.mark.skipif(bool(_can_unshare()), reason=_can_unshare() or "unshare works")
def test_without_the_loopback_candidate_no_picture_arrives() -> None:
    """What the setting fixes: aioice's own behaviour gives a viewer on such a host nothing."""
    result = _probe("never")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "frames 0" in result.stdout


def test_policy_adds_loopback_only_where_it_says() -> None:
    from jinghang.video.ice_hosts import host_addresses

    def lan(v4: bool, v6: bool) -> list[str]:
        return ["192.0.2.10"]

    def nothing(v4: bool, v6: bool) -> list[str]:
        return []

    assert host_addresses(lan, True, False, "auto") == ["192.0.2.10"]
    assert host_addresses(nothing, True, False, "auto") == ["127.0.0.1"]
    assert host_addresses(lan, True, False, "always") == ["192.0.2.10", "127.0.0.1"]
    assert host_addresses(nothing, True, False, "never") == []
