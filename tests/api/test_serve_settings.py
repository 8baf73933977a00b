"""``jinghang serve``'s configuration: a TOML or JSON file over the environment, and a bad
file or value named in the error."""

from __future__ import annotations

from pathlib import Path

import pytest

from jinghang.api.cli import SERVE_EXAMPLE
from jinghang.api.serve_settings import load_serve_settings
from jinghang.errors import ConfigError


def _example_toml(tmp_path: Path) -> Path:
    body = "\n".join(line[2:] for line in SERVE_EXAMPLE.splitlines()[1:])
    path = tmp_path / "jinghang.toml"
    path.write_text(body, encoding="utf-8")
    return path


def test_the_documented_example_loads(tmp_path: Path) -> None:
    settings = load_serve_settings(str(_example_toml(tmp_path)))
    assert settings.port == 8000 and settings.links[0] == "tcp:10.0.0.21:5760"
    assert settings.users[0].role == "commander"
    assert settings.vehicles[0].payloads == ["camera", "zoom", "loudspeaker"]
    settings.check_for_serving()
    overridden = load_serve_settings(str(_example_toml(tmp_path)), port=9000)
    assert overridden.port == 9000


def test_environment_users_and_a_bad_value_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(
        "JINGHANG_USERS", '[{"username": "li", "password": "12345678", "role": "pilot"}]'
    )
    assert load_serve_settings().users[0].username == "li"
    monkeypatch.setenv(
        "JINGHANG_USERS", '[{"username": "li", "password": "12345678", "role": "captain"}]'
    )
    with pytest.raises(ConfigError) as caught:
        load_serve_settings()
    assert caught.value.field == "users.0.role"


def test_unreadable_or_malformed_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as missing:
        load_serve_settings(str(tmp_path / "nope.toml"))
    assert missing.value.field == "config"
    broken = tmp_path / "broken.json"
    broken.write_text("{not json", encoding="utf-8")
    with pytest.raises(ConfigError) as malformed:
        load_serve_settings(str(broken))
    assert "not valid JSON" in malformed.value.message


def test_serve_refuses_the_placeholder_secret(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if not k.startswith("JINGHANG_")}
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[2])
    done = subprocess.run(
        [sys.executable, "-m", "jinghang.cli", "serve", "--port", "0"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
        check=False,
    )
    assert done.returncode == 2
    assert "secret" in done.stderr and "[secret_key]" in done.stderr
    assert not (tmp_path / "jinghang.db").exists()  # it stopped before touching anything


def test_a_malformed_link_is_named_before_anything_starts() -> None:
    from jinghang.api.cli import check_links

    check_links(["tcp:127.0.0.1:5760", "udpin:0.0.0.0:14550", "serial:/dev/ttyUSB0:57600"])
    with pytest.raises(ConfigError) as caught:
        check_links(["tcp:127.0.0.1:5760", "bogus:thing"])
    assert caught.value.field == "links[1]"
