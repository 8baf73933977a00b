"""``jinghang serve`` signs by default: outside the demo it refuses to start without a
signing master key (naming the setting), a bad key is named, and ``signing=off`` starts
unsigned and says so in the log."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from jinghang.config import Settings
from jinghang.errors import ConfigError
from tests.conftest import free_tcp_port

ROOT = Path(__file__).resolve().parents[2]


def _env(**values: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("JINGHANG_")}
    env.update(PYTHONPATH=str(ROOT), JINGHANG_SECRET_KEY="s" * 32,
               JINGHANG_AUDIT_KEY_HEX="ab" * 32)
    env.update(values)
    return env


def _serve(tmp_path: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "jinghang.cli", "serve", "--port", "0"],
                          capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120,
                          check=False)


def test_serve_refuses_to_start_without_a_signing_master_key(tmp_path: Path) -> None:
    done = _serve(tmp_path, _env())
    assert done.returncode == 2
    assert "signing master key" in done.stderr and "[signing_master_key_file]" in done.stderr
    assert "jinghang signing new-key" in done.stderr
    assert not (tmp_path / "jinghang.db").exists()  # it stopped before touching anything


def test_serve_names_a_short_or_unreadable_master_key(tmp_path: Path) -> None:
    short = _serve(tmp_path, _env(JINGHANG_SIGNING_MASTER_KEY_HEX="ab" * 16))
    assert short.returncode == 2 and "[signing_master_key_hex]" in short.stderr
    assert "16 bytes" in short.stderr
    missing = _serve(tmp_path, _env(JINGHANG_SIGNING_MASTER_KEY_FILE=str(tmp_path / "no.key")))
    assert missing.returncode == 2 and "[signing_master_key_file]" in missing.stderr


def test_the_check_passes_with_a_key_off_or_in_the_demo(tmp_path: Path) -> None:
    key_file = tmp_path / "signing.key"
    key_file.write_text("cd" * 32 + "\n")
    Settings(signing_master_key_file=str(key_file)).check_signing_for_serving()
    Settings(signing="off").check_signing_for_serving()
    Settings(demo=True).check_signing_for_serving()
    with pytest.raises(ConfigError) as caught:
        Settings(signing_master_key_hex="not hex").check_signing_for_serving()
    assert caught.value.field == "signing_master_key_hex"


async def test_serve_with_signing_off_starts_and_logs_it(tmp_path: Path) -> None:
    port = free_tcp_port()
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "jinghang.cli", "serve", "--port", str(port),
        "--database-url", f"sqlite:///{tmp_path / 'jinghang.db'}",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
        env=_env(JINGHANG_SIGNING="off"), cwd=tmp_path,
    )
    assert proc.stdout is not None
    log = ""
    try:
        async with asyncio.timeout(60):
            while "signing is OFF" not in log:
                line = await proc.stdout.readline()
                assert line, f"serve exited: {log}"
                log += line.decode()
    finally:
        if proc.returncode is None:
            proc.send_signal(signal.SIGINT)
            async with asyncio.timeout(30):
                await proc.wait()
    assert "signing=off" in log
