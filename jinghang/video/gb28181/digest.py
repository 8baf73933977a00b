"""SIP digest authentication (RFC 2617, RFC 7616 with RFC 8760's SIP use): the answer to a
401/407 challenge, MD5 only (what GB/T 28181 platforms send), ``qop=auth`` or none.

``qop``, ``nc`` and ``algorithm`` go unquoted into the Authorization value, as RFC 2617
writes them.
"""

from __future__ import annotations

import hashlib
import secrets

from jinghang.errors import VideoError
from jinghang.video.gb28181.message import auth_params


class AuthenticationRefused(VideoError):
    """The platform's challenge cannot be answered (another scheme, algorithm or qop)."""

    code = "video.gb28181_auth_refused"
    status_code = 502
    title = "GB/T 28181 authentication refused"


def quote(value: str) -> str:
    """A quoted-string (RFC 3261 §25.1)."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _md5(text: str) -> str:
    return hashlib.md5(text.encode("utf-8"), usedforsecurity=False).hexdigest()


class DigestClient:
    """Answers a platform's challenges; reuses the last nonce with a counting ``nc``."""

    def __init__(self, username: str, password: str) -> None:
        self.username = username
        self.password = password
        self.challenge: dict[str, str] | None = None
        self.nonce_count = 0

    def accept(self, header_value: str) -> None:
        """Take a WWW-Authenticate / Proxy-Authenticate value (AuthenticationRefused if it
        cannot be answered)."""
        scheme, challenge = auth_params(header_value)
        if scheme.lower() != "digest":
            raise AuthenticationRefused(f"the platform asks for {scheme} "
                                        "authentication; only Digest is supported",
                                        field="WWW-Authenticate", value=scheme)
        algorithm = challenge.get("algorithm", "MD5")
        if algorithm.upper() != "MD5":
            raise AuthenticationRefused(f"digest algorithm {algorithm} is not supported",
                                        field="WWW-Authenticate.algorithm", value=algorithm,
                                        limit=["MD5"])
        if "nonce" not in challenge:
            raise AuthenticationRefused("the challenge has no nonce",
                                        field="WWW-Authenticate.nonce")
        qops = [q.strip() for q in challenge.get("qop", "").split(",") if q.strip()]
        if qops and "auth" not in qops:
            raise AuthenticationRefused("the challenge's qop has no 'auth'",
                                        field="WWW-Authenticate.qop", value=qops,
                                        limit=["auth"])
        self.challenge = challenge
        self.nonce_count = 0

    def credentials(self, method: str, uri: str) -> str | None:
        """The Authorization value for a request, or None before any challenge."""
        if self.challenge is None:
            return None
        params = self.challenge
        realm = params.get("realm", "")
        nonce = params["nonce"]
        ha1 = _md5(f"{self.username}:{realm}:{self.password}")
        ha2 = _md5(f"{method}:{uri}")
        self.nonce_count += 1
        fields = [f"username={quote(self.username)}", f"realm={quote(realm)}",
                  f"nonce={quote(nonce)}", f"uri={quote(uri)}"]
        if "qop" in params:
            nc = f"{self.nonce_count:08x}"
            cnonce = secrets.token_hex(8)
            response = _md5(f"{ha1}:{nonce}:{nc}:{cnonce}:auth:{ha2}")
            fields += [f"response={quote(response)}", "algorithm=MD5",
                       f"cnonce={quote(cnonce)}", "qop=auth", f"nc={nc}"]
        else:
            fields += [f"response={quote(_md5(f'{ha1}:{nonce}:{ha2}'))}", "algorithm=MD5"]
        if "opaque" in params:
            fields.append(f"opaque={quote(params['opaque'])}")
        return "Digest " + ", ".join(fields)
