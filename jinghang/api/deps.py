"""Typed dependencies of the routes: the services, the signed-in user and the role checks.

``Reader`` is any signed-in user, ``Commander`` dispatches (commander only), ``Flyer`` flies a
drone by hand (pilot or commander), ``Admin`` manages users. No token gives 401, a token whose
role is not allowed gives 403; both as problem responses. A token is valid only while the
user exists, is enabled and still has the token version the token was issued for (a changed
password, role or state revokes it). The user's name is left in ``request.state.actor`` for
the audit middleware.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer

from jinghang.api import accounts
from jinghang.api.login_throttle import LoginThrottle
from jinghang.api.security import AuthenticationError, PermissionDenied, Role, read_token
from jinghang.api.services import Services

oauth2_scheme = OAuth2PasswordBearer(tokenUrl="/api/auth/token", auto_error=False)


async def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(get_services)]


@dataclass(frozen=True, slots=True)
class Principal:
    """The signed-in user a request acts for."""

    username: str
    role: Role


def authenticate(services: Services, token: str | None) -> Principal:
    """The user a bearer token speaks for; raises AuthenticationError (401) otherwise."""
    if not token:
        raise AuthenticationError("sign in first: no bearer token was sent", field="Authorization")
    claims = read_token(token, secret_key=services.settings.secret_key)
    user = accounts.user_for_request(services, claims.username)
    if user is None or user.disabled:
        raise AuthenticationError(
            f"user {claims.username!r} does not exist or is disabled",
            field="token",
            code="auth.user_unavailable",
        )
    if user.token_version != claims.token_version:
        raise AuthenticationError(
            "the token was revoked (the password, role or state of the user changed); "
            "log in again",
            field="token",
            code="auth.token_revoked",
        )
    return Principal(username=user.username, role=user.role)


async def current_user(
    request: Request, services: ServicesDep, token: Annotated[str | None, Depends(oauth2_scheme)]
) -> Principal:
    principal = authenticate(services, token)
    request.state.actor = principal.username
    return principal


def client_address(request: Request) -> str:
    """The caller's address as the server sees it (a trusted proxy's X-Forwarded-For applied
    by uvicorn), or ``"unknown"``."""
    return request.client.host if request.client is not None else "unknown"


def get_login_throttle(request: Request) -> LoginThrottle:
    """The app's sign-in throttle (made on first use)."""
    state = request.app.state
    throttle: LoginThrottle | None = getattr(state, "login_throttle", None)
    if throttle is None:
        throttle = LoginThrottle()
        state.login_throttle = throttle
    return throttle


LoginThrottleDep = Annotated[LoginThrottle, Depends(get_login_throttle)]


def require_roles(*roles: Role) -> Callable[..., Coroutine[Any, Any, Principal]]:
    """A dependency admitting only users whose role is one of ``roles`` (403 otherwise)."""
    allowed = frozenset(roles)
    names = ", ".join(str(r) for r in roles)

    async def check(principal: Annotated[Principal, Depends(current_user)]) -> Principal:
        if principal.role not in allowed:
            raise PermissionDenied(
                f"role {principal.role} may not do this; it needs: {names}",
                field="role",
                value=str(principal.role),
                limit=names,
            )
        return principal

    return check


require_reader = current_user
Reader = Annotated[Principal, Depends(current_user)]
Commander = Annotated[Principal, Depends(require_roles(Role.COMMANDER))]
Flyer = Annotated[Principal, Depends(require_roles(Role.PILOT, Role.COMMANDER))]
Admin = Annotated[Principal, Depends(require_roles(Role.ADMIN))]
Planner = Annotated[Principal, Depends(require_roles(Role.COMMANDER, Role.ADMIN))]


def note_audit(
    request: Request, action: str, target_type: str = "", target_id: Any = "", **details: Any
) -> None:
    """Describe the request's action for its audit entry (see audit_middleware)."""
    request.state.audit = {
        "action": action,
        "target_type": target_type,
        "target_id": str(target_id),
        "details": details,
    }
