"""Share links: a signed token that lets anyone holding it watch one case read-only.

A token is a JWT (HS256 with the server's ``secret_key``, as the sign-in tokens, but with the
audience :data:`AUDIENCE`, so that neither kind passes for the other) carrying the share's
row id (``sid``), the case (``inc``) and the expiry (``exp``). :func:`check_share` accepts a
token only while its row exists for that case, is not revoked, has not expired (the row's
``expires_at`` and the token's ``exp``, whichever comes first) and the case is still open;
otherwise it raises a :class:`ShareRefused` with a stable code:

- ``share.invalid`` (404): malformed, forged, or naming no share;
- ``share.expired`` (403): past its expiry;
- ``share.revoked`` (403): revoked by a commander;
- ``share.case_closed`` (403): the case was closed or cancelled;
- ``share.throttled`` (429): too many bad tokens from this address (see :data:`THROTTLE`).

A wrong token counts against the caller's address in a :class:`LoginThrottle` of its own.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass
from typing import Any

import jwt
from fastapi import Request

from jinghang.api.deps import client_address
from jinghang.api.login_throttle import Limit, LoginThrottle
from jinghang.api.services import Services
from jinghang.errors import JinghangError
from jinghang.limits import MAX_DB_INT
from jinghang.store.incidents import get_incident
from jinghang.store.schemas import IncidentPublic
from jinghang.store.shares import ShareRow, get_share

AUDIENCE = "jinghang:share"
ALGORITHM = "HS256"
#: Bounds and default of a link's validity.
MIN_EXPIRES_S = 300
MAX_EXPIRES_S = 86_400
DEFAULT_EXPIRES_S = 3_600
#: Longest token looked at (a real one is ~200 characters).
MAX_TOKEN_CHARS = 1024
#: Bad tokens from one address: 30 in 10 min lock it out of share links for 10 min.
THROTTLE: tuple[Limit, ...] = (
    Limit("account_address", max_failures=30, window_s=600.0, lockout_s=600.0),
    Limit("account", max_failures=1_000_000, window_s=600.0, lockout_s=1.0),
    Limit("address", max_failures=30, window_s=600.0, lockout_s=600.0),
)
_THROTTLE_ACCOUNT = "share-link"
FINAL_CASE_STATES = frozenset({"closed", "cancelled"})


class ShareRefused(JinghangError):
    """A share token that does not (or no longer) open its case."""

    code = "share.invalid"
    status_code = 404
    title = "Share link refused"

    def __init__(self, message: str, *, code: str = "share.invalid", status: int = 404,
                 **details: Any) -> None:
        super().__init__(message, code=code, field="token", **details)
        self.status_code = status


@dataclass(frozen=True, slots=True)
class OpenShare:
    """A token that opens its case now: the share row and the case."""

    share: ShareRow
    incident: IncidentPublic

    @property
    def viewer(self) -> str:
        """The name the video gateway counts this link's sessions under."""
        return f"share:{self.share.id}"


def issue_share_token(share: ShareRow, *, secret_key: str) -> str:
    claims = {
        "aud": AUDIENCE,
        "sid": share.id,
        "inc": share.incident_id,
        "iat": int(share.created_at.timestamp()),
        "exp": int(share.expires_at.timestamp()),
    }
    return jwt.encode(claims, secret_key, algorithm=ALGORITHM)


def share_url(token: str) -> str:
    return f"/share/{token}"


def read_share_token(token: str, *, secret_key: str) -> tuple[int, int]:
    """(share id, case id) of a well-signed, unexpired token; ShareRefused otherwise."""
    if not token or len(token) > MAX_TOKEN_CHARS:
        raise ShareRefused("the share link is not valid", limit=MAX_TOKEN_CHARS)
    try:
        claims = jwt.decode(token, secret_key, algorithms=[ALGORITHM], audience=AUDIENCE,
                            options={"require": ["sid", "inc", "exp", "aud"]})
    except jwt.ExpiredSignatureError as exc:
        raise ShareRefused("the share link has expired", code="share.expired",
                           status=403) from exc
    except jwt.PyJWTError as exc:
        raise ShareRefused("the share link is not valid") from exc
    sid, inc = claims.get("sid"), claims.get("inc")
    if not (isinstance(sid, int) and isinstance(inc, int)) or isinstance(sid, bool) \
            or isinstance(inc, bool) or not (0 < sid <= MAX_DB_INT and 0 < inc <= MAX_DB_INT):
        raise ShareRefused("the share link is not valid")
    return sid, inc


def _throttle(request: Request) -> LoginThrottle:
    state = request.app.state
    throttle: LoginThrottle | None = getattr(state, "share_throttle", None)
    if throttle is None:
        throttle = LoginThrottle(THROTTLE)
        state.share_throttle = throttle
    return throttle


def check_share(request: Request, services: Services, token: str,
                now_s: float | None = None) -> OpenShare:
    """The share and case a token opens now; raises ShareRefused (or 429 when throttled)."""
    throttle = _throttle(request)
    address = client_address(request)
    lockout = throttle.check(_THROTTLE_ACCOUNT, address)
    if lockout is not None:
        raise ShareRefused("too many invalid share links from this address; try later",
                           code="share.throttled", status=429,
                           retry_after_s=lockout.retry_after_header)
    try:
        share_id, incident_id = read_share_token(token, secret_key=services.settings.secret_key)
    except ShareRefused as refused:
        if refused.code == "share.invalid":
            throttle.failed(_THROTTLE_ACCOUNT, address)
        raise
    with services.store.read_session() as session:
        share = get_share(session, share_id)
        if share is None or share.incident_id != incident_id:
            throttle.failed(_THROTTLE_ACCOUNT, address)
            raise ShareRefused("the share link is not valid")
        incident = get_incident(session, incident_id)
    now = dt.datetime.fromtimestamp(time.time() if now_s is None else now_s, dt.UTC)
    if share.revoked_at is not None:
        raise ShareRefused("the share link was revoked", code="share.revoked", status=403)
    if share.expires_at <= now:
        raise ShareRefused("the share link has expired", code="share.expired", status=403)
    if incident.state in FINAL_CASE_STATES:
        raise ShareRefused("the case is over: its links no longer open it",
                           code="share.case_closed", status=403, state=incident.state)
    return OpenShare(share, incident)
