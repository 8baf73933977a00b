"""Typed configuration, built once at start-up from the environment (``JINGHANG_*``) or a
file, and passed in; nothing reads it at import time."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from jinghang.errors import ConfigError

PLACEHOLDER_SECRET = "change-me"


class Settings(BaseSettings):
    """Everything a Jinghang server needs to start."""

    model_config = SettingsConfigDict(env_prefix="JINGHANG_", env_file=None, extra="ignore")

    demo: bool = False
    database_url: str = "sqlite:///jinghang.db"
    secret_key: str = PLACEHOLDER_SECRET
    token_lifetime_s: int = 12 * 3600
    host: str = "127.0.0.1"
    port: int = 8000
    #: MAVLink connection strings of the fleet's links (``tcp:127.0.0.1:5760``, ...).
    links: list[str] = Field(default_factory=list)
    #: STUN/TURN servers for WebRTC, as aiortc RTCIceServer dicts; the default is none.
    ice_servers: list[dict[str, str]] = Field(default_factory=list)
    #: A GeoJSON file of no-fly zones; empty for the sample shipped with the package.
    no_fly_zones_path: str = ""
    altitude_ceiling_m: float = 120.0
    battery_reserve_pct: float = 20.0
    #: A drone that lands farther than this from its base is ``landed_away`` (not proposed
    #: until flown home or marked recovered).
    landed_away_m: float = Field(default=50.0, gt=0)
    #: A deployment's own map tile server for the console (``http://tiles.local/{z}/{x}/{y}.png``);
    #: empty for the offline base map shipped with the console.
    console_tile_url: str = ""
    console_tile_attribution: str = ""
    recordings_dir: Path = Path("recordings")
    time_zone: str = "Asia/Shanghai"
    #: Seconds of silence after which a vehicle is marked link-lost.
    link_lost_after_s: float = 5.0
    #: MAVLink 2 signing key (hex, 32 bytes) for links that require signing; empty for none.
    signing_key_hex: str = ""
    sitl_binary: str = ""

    def check_for_serving(self) -> None:
        """Refuse to serve with a placeholder secret outside the demo."""
        if not self.demo and (self.secret_key == PLACEHOLDER_SECRET or len(self.secret_key) < 16):
            raise ConfigError(
                "refusing to start with a placeholder or short secret outside demo mode; "
                "set JINGHANG_SECRET_KEY to at least 16 random characters",
                field="secret_key",
                limit="at least 16 characters, not the placeholder",
            )
