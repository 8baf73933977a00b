"""Settings of the ``serve`` command: :class:`jinghang.config.Settings` plus the users and the
fleet register to create at start, from the environment (``JINGHANG_USERS``,
``JINGHANG_VEHICLES`` as JSON) or a JSON/TOML config file (``--config``)."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, ValidationError

from jinghang.api.register import VehicleCreate
from jinghang.api.security import Role
from jinghang.config import Settings
from jinghang.errors import ConfigError


class UserSeed(BaseModel):
    """A user the server makes sure exists at start (its password is (re)set)."""

    username: str
    password: str = Field(min_length=8)
    role: Role
    full_name: str = ""


class ServeSettings(Settings):
    """Everything ``jinghang serve`` needs."""

    users: list[UserSeed] = Field(default_factory=list)
    vehicles: list[VehicleCreate] = Field(default_factory=list)
    #: How fast patrols and simulators run in the demo (1.0 is real time).
    demo_speedup: float = 1.0


def load_serve_settings(config_path: str | None = None, **overrides: Any) -> ServeSettings:
    """Settings from the environment, overridden by a JSON or TOML file and keyword values."""
    values: dict[str, Any] = {}
    if config_path:
        path = Path(config_path)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(
                f"cannot read the config file {path}: {exc.strerror}",
                field="config",
                value=str(path),
            ) from exc
        try:
            values = tomllib.loads(text) if path.suffix == ".toml" else json.loads(text)
        except (ValueError, tomllib.TOMLDecodeError) as exc:
            kind = "TOML" if path.suffix == ".toml" else "JSON"
            raise ConfigError(
                f"the config file {path} is not valid {kind}: {exc}",
                field="config",
                value=str(path),
            ) from exc
    values.update({k: v for k, v in overrides.items() if v is not None})
    try:
        return ServeSettings(**values)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"])
        raise ConfigError(f"configuration {field}: {first['msg']}", field=field) from exc
