"""Settings of the ``serve`` command: :class:`jinghang.config.Settings` plus the users and the
fleet register to create at start, from the environment (``JINGHANG_USERS``,
``JINGHANG_VEHICLES`` as JSON) or a JSON/TOML config file (``--config``)."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, ValidationError, field_validator, model_validator

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
    # roles (docs/SCALE-OUT.md): ``all`` is one process with the in-process bus, no broker
    #: ``all`` (everything, the default), ``link`` (a link worker) or ``api`` (an API node).
    role: Literal["all", "link", "api"] = "all"
    #: The NATS servers of the bus (``nats://host:4222``), needed by every role but ``all``.
    nats_urls: list[str] = Field(default_factory=list, max_length=16)
    #: JetStream copies of the bus's streams and leases: 3 on a NATS cluster of three (the
    #: bus survives losing one server), 1 on a single server.
    nats_replicas: int = Field(default=1, ge=1, le=5)
    #: This process's name on the bus and in the leases (unique per process; 1-48 of
    #: letters, digits, ``-``, ``_``); empty: the role and the host's name.
    worker_name: str = Field(default="", max_length=48)

    @field_validator("nats_urls")
    @classmethod
    def _nats_urls(cls, urls: list[str]) -> list[str]:
        for url in urls:
            if not _NATS_URL_RE.match(url):
                raise ValueError(f"{url!r} is not nats://host:port (or tls://host:port)")
        return urls

    @field_validator("worker_name")
    @classmethod
    def _worker_name(cls, name: str) -> str:
        if name and not _WORKER_RE.match(name):
            raise ValueError("must be 1-48 letters, digits, '-' or '_'")
        return name

    @model_validator(mode="after")
    def _role_needs_nats(self) -> ServeSettings:
        if self.role != "all" and not self.nats_urls:
            raise ConfigError(f"role {self.role!r} needs nats_urls (the NATS servers of the bus)",
                              field="nats_urls", code="config.nats_urls_missing", role=self.role)
        return self


_NATS_URL_RE = re.compile(r"^(nats|tls)://[A-Za-z0-9.\-\[\]:@_%]+:\d{1,5}$")
_WORKER_RE = re.compile(r"^[A-Za-z0-9_-]{1,48}$")


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
