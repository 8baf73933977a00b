"""Users: an admin creates, lists, changes and disables them; passwords never come back.

A new password must pass the password policy (422 ``WeakPassword`` with a ``code``); a change
of password, role or state revokes the user's tokens; the last enabled admin cannot be
disabled or demoted, nor an admin themself (409 with a ``code``).
"""

from __future__ import annotations

from fastapi import APIRouter, Request

from jinghang.api import accounts
from jinghang.api.accounts import UserCreate, UserPublic, UserUpdate
from jinghang.api.deps import Admin, ServicesDep, note_audit

router = APIRouter(prefix="/users", tags=["users"])


@router.get("", response_model=list[UserPublic])
async def list_users(services: ServicesDep, _: Admin) -> list[UserPublic]:
    return accounts.list_users(services)


@router.post("", response_model=UserPublic, status_code=201)
async def create_user(
    request: Request, services: ServicesDep, _: Admin, new: UserCreate
) -> UserPublic:
    note_audit(request, "user.create", "user", new.username, role=str(new.role))
    return await accounts.create_user(services, new)


@router.patch("/{username}", response_model=UserPublic)
async def update_user(
    request: Request, services: ServicesDep, admin: Admin, username: str, change: UserUpdate
) -> UserPublic:
    note_audit(
        request,
        "user.update",
        "user",
        username,
        **change.model_dump(exclude_none=True, exclude={"password"}),
        password_changed=change.password is not None,
    )
    return await accounts.update_user(services, username, change, actor=admin.username)
