"""Signing in: the OAuth2 password flow issuing JWT bearer tokens, and who am I."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.security import OAuth2PasswordRequestForm
from pydantic import BaseModel

from jinghang.api import accounts, audit
from jinghang.api.deps import Reader, ServicesDep
from jinghang.api.security import AuthenticationError, Role, issue_token

router = APIRouter(prefix="/auth", tags=["auth"])


class Token(BaseModel):
    access_token: str
    token_type: str = "bearer"
    role: Role
    expires_in: int


class Me(BaseModel):
    username: str
    role: Role


@router.post("/token", response_model=Token, summary="Sign in (OAuth2 password flow)")
async def login(
    services: ServicesDep, form: Annotated[OAuth2PasswordRequestForm, Depends()]
) -> Token:
    user = accounts.check_password(services, form.username, form.password)
    if user is None:
        audit.record(
            services,
            actor=form.username,
            action="auth.login_failed",
            target_type="user",
            target_id=form.username,
        )
        raise AuthenticationError("wrong user name or password", field="password")
    lifetime_s = services.settings.token_lifetime_s
    token = issue_token(
        user.username, user.role, secret_key=services.settings.secret_key, lifetime_s=lifetime_s
    )
    audit.record(
        services,
        actor=user.username,
        action="auth.login",
        target_type="user",
        target_id=user.username,
    )
    return Token(access_token=token, role=user.role, expires_in=lifetime_s)


@router.get("/me", response_model=Me, summary="The signed-in user")
async def me(principal: Reader) -> Me:
    return Me(username=principal.username, role=principal.role)
