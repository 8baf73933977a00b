"""Passwords and tokens: argon2 hashes for stored passwords, signed JWT bearer tokens.

Pure functions over the settings' secret; no I/O. A token carries the user name (``sub``),
the role, the user's token version (``ver``: the user row's counter, raised whenever the
password, role or state changes, so older tokens stop working) and an expiry; a token that is
expired, forged or malformed raises :class:`AuthenticationError` (HTTP 401).

:func:`verify_unknown` spends the same time as a real check for a user that does not exist,
so that the answer's timing does not tell which user names exist. Hashing and verifying are
CPU-bound (tens of milliseconds): the API runs them off the event loop.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from jinghang.errors import JinghangError
from jinghang.store.models import Role

__all__ = [
    "AuthenticationError",
    "PermissionDenied",
    "Role",
    "TokenClaims",
    "hash_password",
    "issue_token",
    "prepare_unknown",
    "read_token",
    "verify_password",
    "verify_unknown",
]

TOKEN_ALGORITHM = "HS256"
_hasher = PasswordHasher()


class AuthenticationError(JinghangError):
    """No credentials, or credentials that do not prove who the caller is (HTTP 401)."""

    code = "auth.not_authenticated"
    status_code = 401
    title = "Not authenticated"


class PermissionDenied(JinghangError):
    """The caller is known but their role does not allow the action (HTTP 403)."""

    code = "auth.forbidden"
    status_code = 403
    title = "Forbidden"


@dataclass(frozen=True, slots=True)
class TokenClaims:
    """Who a valid token speaks for."""

    username: str
    role: Role
    expires_at_s: float
    #: The user's token version when the token was issued (0 for tokens older than versions).
    token_version: int = 0


def hash_password(password: str) -> str:
    """An argon2id hash of ``password`` in PHC string form."""
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """Whether ``password`` matches ``password_hash``; False for a malformed hash."""
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


_dummy_hash: list[str] = []


def prepare_unknown() -> str:
    """The throw-away hash :func:`verify_unknown` checks against (made on first use)."""
    if not _dummy_hash:
        _dummy_hash.append(_hasher.hash("no user has this password"))
    return _dummy_hash[0]


def verify_unknown(password: str) -> bool:
    """Verify ``password`` against a throw-away hash made with the same parameters as real
    ones, taking the time a real check takes; always False."""
    verify_password(prepare_unknown(), password)
    return False


def issue_token(
    username: str,
    role: Role | str,
    *,
    secret_key: str,
    lifetime_s: float,
    token_version: int = 0,
    now_s: float | None = None,
) -> str:
    """A signed bearer token for ``username`` valid for ``lifetime_s`` seconds, bound to the
    user's current ``token_version``."""
    issued_s = time.time() if now_s is None else now_s
    claims = {
        "sub": username,
        "role": str(Role(role)),
        "ver": int(token_version),
        "iat": int(issued_s),
        "exp": int(issued_s + lifetime_s),
    }
    return jwt.encode(claims, secret_key, algorithm=TOKEN_ALGORITHM)


def read_token(token: str, *, secret_key: str) -> TokenClaims:
    """The claims of a valid token; raises :class:`AuthenticationError` otherwise."""
    try:
        claims = jwt.decode(
            token, secret_key, algorithms=[TOKEN_ALGORITHM], options={"require": ["sub", "exp"]}
        )
    except jwt.ExpiredSignatureError as exc:
        raise AuthenticationError("the token has expired; log in again", field="token") from exc
    except jwt.PyJWTError as exc:
        raise AuthenticationError(f"the token is not valid: {exc}", field="token") from exc
    try:
        role = Role(claims.get("role", ""))
    except ValueError as exc:
        raise AuthenticationError("the token names no known role", field="token") from exc
    version = claims.get("ver", 0)
    if not isinstance(version, int) or isinstance(version, bool):
        raise AuthenticationError("the token's version is not a number", field="token")
    return TokenClaims(
        username=str(claims["sub"]),
        role=role,
        expires_at_s=float(claims["exp"]),
        token_version=version,
    )
