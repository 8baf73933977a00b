"""The ``gb28181`` section of the settings: where the police video platform's SIP server is,
who this platform is to it, and how often to say so. Disabled by default.

Environment: ``JINGHANG_GB28181='{"enabled": true, "server_id": ..., ...}'`` (JSON), or a
``[gb28181]`` table in the TOML config file.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, SecretStr, field_validator, model_validator

from jinghang.video.gb28181.ids import GB_ID, default_channel_prefix


class Gb28181Settings(BaseModel):
    """A GB/T 28181 device registration to one platform (its "upper" SIP server)."""

    enabled: bool = False
    #: The platform's SIP server id (20 digits) and domain (its first 10 digits by custom).
    server_id: str = "34020000002000000001"
    server_domain: str = "3402000000"
    server_host: str = "127.0.0.1"
    server_port: int = Field(default=5060, ge=1, le=65535)
    #: This platform's id as a device (type 118 NVR by custom, 132 IPC also accepted).
    device_id: str = "34020000001180000001"
    device_name: str = "Jinghang"
    #: 14 digits in front of each drone's 6-digit serial; empty: derived from ``device_id``.
    channel_prefix: str = ""
    #: The digest password the platform gave this device (kept out of logs and reprs).
    password: SecretStr = SecretStr("")
    transport: Literal["udp", "tcp"] = "udp"
    #: Where our SIP socket is bound (port 0: any free port) and the address we announce.
    local_host: str = "127.0.0.1"
    local_port: int = Field(default=0, ge=0, le=65535)
    #: The address put into SDP answers and Contact headers; empty: ``local_host``.
    media_host: str = ""
    keepalive_interval_s: float = Field(default=60.0, ge=1.0, le=3600.0)
    register_expiry_s: int = Field(default=3600, ge=10, le=86400)
    #: Seconds between registration attempts after a failure.
    retry_interval_s: float = Field(default=10.0, ge=0.5, le=600.0)
    manufacturer: str = "Jinghang"
    model: str = "Jinghang UAV gateway"

    @field_validator("server_id", "device_id")
    @classmethod
    def _twenty_digits(cls, value: str) -> str:
        if not GB_ID.match(value):
            raise ValueError("must be 20 decimal digits")
        return value

    @model_validator(mode="after")
    def _prefix(self) -> Gb28181Settings:
        if self.channel_prefix and not (len(self.channel_prefix) == 14
                                        and self.channel_prefix.isdigit()):
            raise ValueError("channel_prefix must be 14 decimal digits")
        return self

    @property
    def channel_id_prefix(self) -> str:
        return self.channel_prefix or default_channel_prefix(self.device_id)

    @property
    def announced_host(self) -> str:
        return self.media_host or self.local_host
