"""``jinghang serve --role``: settings a role cannot run with are refused before anything
starts, with the field named (exit status 2, one line on stderr)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import free_tcp_port
from tests.roles.deployment import REPO


def _serve(tmp_path: Path, config: dict[str, object],
           *args: str) -> subprocess.CompletedProcess[str]:
    path = tmp_path / "c.json"
    path.write_text(json.dumps(config))
    env = {k: v for k, v in os.environ.items() if not k.startswith("JINGHANG_")}
    env["PYTHONPATH"] = str(REPO)
    return subprocess.run([sys.executable, "-m", "jinghang", "serve", "--config", str(path),
                           *args], capture_output=True, text=True, timeout=60, env=env,
                          cwd=tmp_path)


@pytest.mark.parametrize(("config", "args", "field"), [
    ({"links": ["tcp:127.0.0.1:5760"]}, ["--role", "link"], "nats_urls"),
    ({}, ["--role", "link", "--nats-url", "nats://127.0.0.1:4222"], "links"),
    ({"links": ["tcp:127.0.0.1:5760"]}, ["--role", "api", "--nats-url", "nats://127.0.0.1:4222"],
     "links"),
    ({"nats_urls": ["http://127.0.0.1:4222"]}, ["--role", "api"], "nats_urls"),
    ({"worker_name": "two words"}, ["--role", "link", "--nats-url", "nats://127.0.0.1:1"],
     "worker_name"),
])
def test_a_role_refuses_settings_it_cannot_run_with(
        tmp_path: Path, config: dict[str, object], args: list[str], field: str) -> None:
    result = _serve(tmp_path, config, *args)
    assert result.returncode == 2, result.stderr
    assert f"[{field}]" in result.stderr


def test_a_link_worker_says_when_nats_cannot_be_reached(tmp_path: Path) -> None:
    result = _serve(tmp_path, {"links": ["tcp:127.0.0.1:5760"]}, "--role", "link",
                    "--nats-url", f"nats://127.0.0.1:{free_tcp_port()}")
    assert result.returncode == 2, result.stderr
    assert "cannot reach NATS" in result.stderr and "[nats_urls]" in result.stderr
