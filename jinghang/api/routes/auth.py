"""Signing in: the OAuth2 password flow issuing JWT bearer tokens, and who am I.

Sign-in is throttled (:mod:`jinghang.api.login_throttle`): too many wrong passwords answer
429 with ``Retry-After`` and a problem naming the limit (``code`` ``auth.locked``); the
password is not checked while locked out. Wrong passwords reach the audit trail one row per
burst per user name, attempts refused by a lockout one row per burst per locked user, address
or pair (:mod:`jinghang.api.audit_bursts`), and each lockout as one row of its own.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.security import OAuth2PasswordRequestForm
from pydantic import BaseModel

from jinghang.api import accounts, audit
from jinghang.api.audit_bursts import AuditRow, bursts_of
from jinghang.api.deps import LoginThrottleDep, Reader, ServicesDep, client_address
from jinghang.api.login_throttle import Lockout
from jinghang.api.problems import ProblemResponse, problem
from jinghang.api.security import AuthenticationError, Role, issue_token

router = APIRouter(prefix="/auth", tags=["auth"])

#: The audit trail's actor column is this wide; a longer user name names nobody anyway.
ACTOR_CHARS = 64


class Token(BaseModel):
    access_token: str
    token_type: str = "bearer"
    role: Role
    expires_in: int


class Me(BaseModel):
    username: str
    role: Role


def _locked(request: Request, lockout: Lockout, *, wrong_password: bool) -> ProblemResponse:
    limit = lockout.limit
    retry = lockout.retry_after_header
    lead = "wrong user name or password; " if wrong_password else ""
    return problem(
        429,
        "Too many sign-in attempts",
        f"{lead}sign-in is locked: {limit.describe()}; try again in {retry} s",
        instance=request.url.path,
        headers={"Retry-After": retry},
        field="username" if limit.scope != "address" else "address",
        limit=limit.describe(),
        code="auth.locked",
        params={
            "scope": limit.scope,
            "max_failures": limit.max_failures,
            "window_s": limit.window_s,
            "lockout_s": limit.lockout_s,
            "retry_after_s": int(retry),
        },
    )


@router.post(
    "/token",
    response_model=Token,
    summary="Sign in (OAuth2 password flow)",
    responses={429: {"description": "Too many failed sign-ins: locked out for a while"}},
)
async def login(
    request: Request,
    services: ServicesDep,
    throttle: LoginThrottleDep,
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
) -> Any:
    address = client_address(request)
    account = form.username[:ACTOR_CHARS]
    bursts = bursts_of(request.app)
    lockout = throttle.begin(form.username, address)
    if lockout is not None:
        scope = lockout.limit.scope
        by = {"account_address": (account, address), "account": (account,), "address": (address,)}
        bursts.note(
            ("auth.login_throttled", scope, *by[scope]),
            AuditRow(
                account,
                "auth.login_throttled",
                "user",
                account,
                {"address": address, "scope": lockout.limit.scope},
            ),
        )
        return _locked(request, lockout, wrong_password=False)
    try:
        user = await accounts.check_password(services, form.username, form.password)
    except BaseException:
        throttle.cancel(form.username, address)
        raise
    if user is None:
        started = throttle.failed(form.username, address)
        bursts.note(
            ("auth.login_failed", account),
            AuditRow(account, "auth.login_failed", "user", account, {"address": address}),
        )
        for lock in started:
            by_address = lock.limit.scope == "address"
            audit.record(
                services,
                actor=account,
                action="auth.locked",
                target_type="address" if by_address else "user",
                target_id=address if by_address else account,
                details={
                    "address": address,
                    "scope": lock.limit.scope,
                    "limit": lock.limit.describe(),
                },
            )
        if started:
            longest = max(started, key=lambda lock: lock.retry_after_s)
            return _locked(request, longest, wrong_password=True)
        raise AuthenticationError(
            "wrong user name or password", field="password", code="auth.wrong_credentials"
        )
    throttle.succeeded(form.username, address)
    lifetime_s = services.settings.token_lifetime_s
    token = issue_token(
        user.username,
        user.role,
        secret_key=services.settings.secret_key,
        lifetime_s=lifetime_s,
        token_version=user.token_version,
    )
    audit.record(
        services,
        actor=user.username,
        action="auth.login",
        target_type="user",
        target_id=user.username,
        details={"address": address},
    )
    return Token(access_token=token, role=user.role, expires_in=lifetime_s)


@router.get("/me", response_model=Me, summary="The signed-in user")
async def me(principal: Reader) -> Me:
    return Me(username=principal.username, role=principal.role)
