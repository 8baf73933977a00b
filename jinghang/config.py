"""Typed configuration, built once at start-up from the environment (``JINGHANG_*``) or a
file, and passed in; nothing reads it at import time."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from jinghang.errors import ConfigError
from jinghang.limits import Limits
from jinghang.video.gb28181.settings import Gb28181Settings

PLACEHOLDER_SECRET = "change-me"
#: The shortest audit key accepted (bytes), as jinghang.store.audit_key.MIN_KEY_BYTES.
AUDIT_KEY_MIN_BYTES = 32
#: The shortest signing master key accepted (bytes), as jinghang.mavlink.keys.
SIGNING_MASTER_KEY_MIN_BYTES = 32


class Settings(BaseSettings):
    """Everything a Jinghang server needs to start."""

    model_config = SettingsConfigDict(
        env_prefix="JINGHANG_", env_file=None, extra="ignore", env_nested_delimiter="__"
    )

    demo: bool = False
    database_url: str = "sqlite:///jinghang.db"
    secret_key: str = PLACEHOLDER_SECRET
    token_lifetime_s: int = 12 * 3600
    host: str = "127.0.0.1"
    port: int = 8000
    #: The relay instance (MAV_CMD_DO_SET_RELAY) the drones' spotlights are wired to.
    spotlight_relay: int = Field(default=0, ge=0, le=15)
    #: MAVLink connection strings of the fleet's links (``tcp:127.0.0.1:5760``, ...).
    links: list[str] = Field(default_factory=list)
    #: STUN/TURN servers for WebRTC, as aiortc RTCIceServer dicts; the default is none.
    ice_servers: list[dict[str, str]] = Field(default_factory=list)
    #: Whether WebRTC offers 127.0.0.1 as a host candidate: ``auto`` when the machine has no
    #: other address (an offline laptop), ``always``, or ``never``.
    ice_loopback: Literal["auto", "always", "never"] = "auto"
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
    #: Most peers a ``udpin:`` link answers (only senders of trusted MAVLink frames count).
    udp_max_peers: int = Field(default=32, ge=1, le=10_000)
    #: MAVLink 2 signing: ``on`` (the default) signs every link to a registered drone with
    #: that drone's key (derived from the master key below, :mod:`jinghang.mavlink.keys`)
    #: and refuses unsigned frames; ``off`` is an explicit choice, logged at start.
    signing: Literal["on", "off"] = "on"
    #: The signing master key (hex, at least 32 bytes) every drone's key is derived from;
    #: give it here (``JINGHANG_SIGNING_MASTER_KEY_HEX``) or in a file
    #: (``signing_master_key_file``, mode 0600); ``jinghang signing new-key FILE`` makes one.
    signing_master_key_hex: str = Field(default="", repr=False)
    signing_master_key_file: str = ""
    sitl_binary: str = ""
    #: Bounds on every input and on the CPU worker pool (``JINGHANG_LIMITS__JSON_BODY_BYTES``...).
    limits: Limits = Field(default_factory=Limits)
    #: Registration to a police video platform as a GB/T 28181 device (off by default).
    gb28181: Gb28181Settings = Field(default_factory=Gb28181Settings)
    #: The audit trail's key (hex, at least 32 bytes), which MACs every audit row and signs
    #: its checkpoints; it must not live in the database. Give it here
    #: (``JINGHANG_AUDIT_KEY_HEX``) or in a file (``audit_key_file``); ``jinghang serve``
    #: refuses to start without one outside the demo (``jinghang audit new-key FILE`` makes
    #: one).
    audit_key_hex: str = Field(default="", repr=False)
    #: A file holding the audit key in hex (``JINGHANG_AUDIT_KEY_FILE``; keep it mode 0600,
    #: off the database's disk or backups).
    audit_key_file: str = ""
    #: A signed checkpoint of the audit head is written at most this often (seconds).
    audit_checkpoint_interval_s: float = Field(default=300.0, ge=0)
    #: WHEP viewing sessions: at most this many in all, per drone and per user; a session
    #: whose ICE has not connected this long after its offer was answered is closed.
    video_max_sessions: int = Field(default=256, ge=1)
    video_max_sessions_per_drone: int = Field(default=64, ge=1)
    video_max_sessions_per_user: int = Field(default=8, ge=1)
    video_connect_timeout_s: float = Field(default=20.0, gt=0)

    def audit_secret(self) -> bytes | None:
        """The audit key's bytes (from ``audit_key_hex`` or ``audit_key_file``), or None when
        neither is set; ConfigError naming the setting when it is not a usable key."""
        if self.audit_key_hex:
            text, field = self.audit_key_hex, "audit_key_hex"
        elif self.audit_key_file:
            field = "audit_key_file"
            try:
                text = Path(self.audit_key_file).expanduser().read_text(encoding="ascii")
            except (OSError, UnicodeDecodeError) as exc:
                raise ConfigError(f"cannot read the audit key file {self.audit_key_file}: "
                                  f"{exc}", field=field, value=self.audit_key_file) from exc
        else:
            return None
        try:
            secret = bytes.fromhex(text.strip())
        except ValueError:
            raise ConfigError("the audit key is not hex", field=field,
                              limit=f"{AUDIT_KEY_MIN_BYTES * 2} or more hex digits") from None
        if len(secret) < AUDIT_KEY_MIN_BYTES:
            raise ConfigError(f"the audit key is {len(secret)} bytes; it needs at least "
                              f"{AUDIT_KEY_MIN_BYTES}", field=field,
                              limit=f"{AUDIT_KEY_MIN_BYTES * 2} or more hex digits")
        return secret

    def signing_master_key(self) -> bytes | None:
        """The signing master key's bytes (from ``signing_master_key_hex`` or
        ``signing_master_key_file``), or None when neither is set; ConfigError naming the
        setting when it is not a usable key."""
        if self.signing_master_key_hex:
            text, field = self.signing_master_key_hex, "signing_master_key_hex"
        elif self.signing_master_key_file:
            field = "signing_master_key_file"
            try:
                text = Path(self.signing_master_key_file).expanduser().read_text(
                    encoding="ascii")
            except (OSError, UnicodeDecodeError) as exc:
                raise ConfigError(f"cannot read the signing master key file "
                                  f"{self.signing_master_key_file}: {exc}", field=field,
                                  value=self.signing_master_key_file) from exc
        else:
            return None
        limit = f"{SIGNING_MASTER_KEY_MIN_BYTES * 2} or more hex digits"
        try:
            secret = bytes.fromhex(text.strip())
        except ValueError:
            raise ConfigError("the signing master key is not hex", field=field,
                              limit=limit) from None
        if len(secret) < SIGNING_MASTER_KEY_MIN_BYTES:
            raise ConfigError(f"the signing master key is {len(secret)} bytes; it needs at "
                              f"least {SIGNING_MASTER_KEY_MIN_BYTES}", field=field,
                              value=len(secret), limit=limit)
        return secret

    def check_signing_for_serving(self) -> None:
        """``jinghang serve`` refuses to start without a signing master key outside the demo
        unless ``signing`` is explicitly ``off``; a bad key is refused here too."""
        if self.signing == "off":
            return
        if self.signing_master_key() is None and not self.demo:
            raise ConfigError(
                "refusing to start without a MAVLink signing master key outside demo mode: "
                "make one with `jinghang signing new-key /etc/jinghang/signing.key` and set "
                "JINGHANG_SIGNING_MASTER_KEY_FILE to it (or JINGHANG_SIGNING_MASTER_KEY_HEX), "
                "then provision each drone with `jinghang signing provision`; or set "
                "JINGHANG_SIGNING=off to fly unsigned",
                field="signing_master_key_file",
                limit=f"a key of at least {SIGNING_MASTER_KEY_MIN_BYTES} bytes, or signing=off",
            )

    def check_for_serving(self) -> None:
        """Refuse to serve with a placeholder secret outside the demo."""
        if not self.demo and (self.secret_key == PLACEHOLDER_SECRET or len(self.secret_key) < 16):
            raise ConfigError(
                "refusing to start with a placeholder or short secret outside demo mode; "
                "set JINGHANG_SECRET_KEY to at least 16 random characters",
                field="secret_key",
                limit="at least 16 characters, not the placeholder",
            )

    def check_audit_key_for_serving(self) -> None:
        """``jinghang serve`` refuses to start without an audit key outside the demo (the key
        itself is read, and a bad one refused, when the store opens). An app built in code
        without one writes rows MACed with the public development key, which a verifier
        with the real key names."""
        if not (self.audit_key_hex or self.audit_key_file) and not self.demo:
            raise ConfigError(
                "refusing to start without an audit key outside demo mode: make one with "
                "`jinghang audit new-key /etc/jinghang/audit.key` and set "
                "JINGHANG_AUDIT_KEY_FILE to it (or JINGHANG_AUDIT_KEY_HEX)",
                field="audit_key_file",
                limit=f"a key of at least {AUDIT_KEY_MIN_BYTES} bytes, not in the database",
            )
