"""Users for the API: sign-in checks, create, list, change; passwords hashed with argon2.

Repository functions over ``jinghang.store``'s ``users`` table, returning the public view
(:class:`UserPublic`, never the password hash). Checking and hashing a password is CPU work
(argon2, zxcvbn) and runs off the event loop; an unknown user name costs the same argon2 work
as a known one. A change of password, role or state raises the user's token version (in
:mod:`jinghang.store.users`), which revokes their tokens. The last enabled admin cannot be
disabled or demoted, and an admin cannot disable or demote themself (409).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from pydantic import BaseModel, Field
from sqlmodel import Session, select

from jinghang.api.password_policy import check_new_password
from jinghang.api.security import (
    Role,
    hash_password,
    prepare_unknown,
    verify_password,
    verify_unknown,
)
from jinghang.api.services import Services
from jinghang.errors import JinghangError
from jinghang.store import schemas as store_schemas
from jinghang.store import users as store_users
from jinghang.store.models import User

USERNAME_PATTERN = r"^[A-Za-z0-9_.@-]{2,64}$"
#: How long a user read for authenticating a request is trusted without reading it again:
#: a change made through this module takes effect at once, one made straight in the database
#: (or by another process) within this time.
USER_CACHE_TTL_S = 1.0

T = TypeVar("T")


async def off_loop(fn: Callable[..., T], *args: Any) -> T:
    """Run ``fn`` (an argon2 check or hash, with its store read) in a worker thread.

    Not :func:`jinghang.api.workers.run_cpu`: argon2 releases the GIL, so threads take it off
    the event loop as well as processes would, and the check needs the store session, which
    does not cross into a worker process. The default executor bounds the threads."""
    return await asyncio.to_thread(fn, *args)


class UserExists(JinghangError):
    code = "user.exists"
    status_code = 409
    title = "User exists"


class UserNotFound(JinghangError):
    code = "user.not_found"
    status_code = 404
    title = "User not found"


class AdminLockout(JinghangError):
    """The change would leave nobody able to manage users, or lock the admin out (409)."""

    code = "user.admin_lockout"
    status_code = 409
    title = "Refused: admin lockout"


class UserCreate(BaseModel):
    username: str = Field(pattern=USERNAME_PATTERN, description="2-64 letters, digits, _ . @ -")
    password: str = Field(min_length=8, max_length=256)
    role: Role
    full_name: str = Field(default="", max_length=128)


class UserUpdate(BaseModel):
    password: str | None = Field(default=None, min_length=8, max_length=256)
    role: Role | None = None
    full_name: str | None = Field(default=None, max_length=128)
    disabled: bool | None = None


class UserPublic(BaseModel):
    id: int
    username: str
    full_name: str
    role: Role
    disabled: bool
    created_at: dt.datetime


@dataclass(frozen=True, slots=True)
class AuthUser:
    """What authenticating a request needs of a user."""

    username: str
    role: Role
    disabled: bool
    token_version: int


def _public(user: User) -> UserPublic:
    assert user.id is not None
    return UserPublic(
        id=user.id,
        username=user.username,
        full_name=user.full_name,
        role=Role(user.role),
        disabled=user.disabled,
        created_at=user.created_at,
    )


def _auth_user(user: User) -> AuthUser:
    return AuthUser(
        username=user.username,
        role=Role(user.role),
        disabled=user.disabled,
        token_version=user.token_version,
    )


def _row(session: Session, username: str) -> User | None:
    return session.exec(select(User).where(User.username == username)).first()


def find_user(services: Services, username: str) -> UserPublic | None:
    with services.store.read_session() as session:
        user = _row(session, username)
        return _public(user) if user is not None else None


def user_for_request(services: Services, username: str) -> AuthUser | None:
    """The user a token names, as read at most :data:`USER_CACHE_TTL_S` ago (one indexed
    lookup otherwise)."""
    now = time.monotonic()
    cached = services.user_cache.get(username)
    if cached is not None and now - cached[0] < USER_CACHE_TTL_S:
        user: AuthUser | None = cached[1]
        return user
    with services.store.read_session() as session:
        row = _row(session, username)
        found = _auth_user(row) if row is not None else None
    if len(services.user_cache) > 10_000:
        services.user_cache.clear()
    services.user_cache[username] = (now, found)
    return found


def _check_password(services: Services, username: str, password: str) -> AuthUser | None:
    prepare_unknown()
    with services.store.read_session() as session:
        row = _row(session, username)
        user = _auth_user(row) if row is not None else None
        password_hash = row.password_hash if row is not None else ""
    if user is None:
        verify_unknown(password)
        return None
    if not verify_password(password_hash, password) or user.disabled:
        return None
    return user


async def check_password(services: Services, username: str, password: str) -> AuthUser | None:
    """The user if ``password`` is theirs and they are enabled, else None; the same argon2
    work either way, in a worker thread."""
    return await off_loop(_check_password, services, username, password)


def _hashed_checked(password: str, username: str, full_name: str) -> str:
    check_new_password(password, username=username, full_name=full_name)
    return hash_password(password)


def _insert(services: Services, new: UserCreate, password_hash: str) -> UserPublic:
    with services.store.session() as session:
        if _row(session, new.username) is not None:
            raise UserExists(
                f"user {new.username!r} already exists",
                field="username",
                value=new.username,
                code="user.exists",
            )
        user = User(
            username=new.username,
            full_name=new.full_name,
            role=str(new.role),
            password_hash=password_hash,
        )
        session.add(user)
        session.commit()
        session.refresh(user)
        services.user_cache.pop(new.username, None)
        return _public(user)


async def create_user(services: Services, new: UserCreate) -> UserPublic:
    """Add a user whose password passes the policy (422 ``WeakPassword`` otherwise)."""
    with services.store.read_session() as session:
        if _row(session, new.username) is not None:
            raise UserExists(
                f"user {new.username!r} already exists",
                field="username",
                value=new.username,
                code="user.exists",
            )
    password_hash = await off_loop(_hashed_checked, new.password, new.username, new.full_name)
    return _insert(services, new, password_hash)


def ensure_user(services: Services, new: UserCreate) -> UserPublic:
    """Create the user, or reset an existing one's password and role (start-up users, set by
    the operator: not held to the password policy). An unchanged password keeps the user's
    tokens valid across restarts."""
    with services.store.read_session() as session:
        row = _row(session, new.username)
        current_hash = row.password_hash if row is not None else None
    if current_hash is None:
        return _insert(services, new, hash_password(new.password))
    new_hash = None if verify_password(current_hash, new.password) else hash_password(new.password)
    return _apply(
        services,
        new.username,
        UserUpdate(role=new.role, full_name=None, disabled=False),
        password_hash=new_hash,
        actor=None,
        guard=False,
    )


def list_users(services: Services) -> list[UserPublic]:
    with services.store.read_session() as session:
        return [_public(u) for u in session.exec(select(User).order_by(User.id))]  # type: ignore[arg-type]


def _guard_admins(session: Session, user: User, change: UserUpdate, actor: str | None) -> None:
    """Refuse a change that takes away an enabled admin when it is the actor or the last."""
    if user.role != Role.ADMIN.value or user.disabled:
        return
    demoted = change.role is not None and change.role != Role.ADMIN
    disabled = change.disabled is True
    if not (demoted or disabled):
        return
    what = "disable" if disabled else "take the admin role from"
    if actor is not None and user.username == actor:
        code = "user.cannot_disable_self" if disabled else "user.cannot_demote_self"
        raise AdminLockout(
            f"an admin cannot {what} themself; ask another admin",
            field="disabled" if disabled else "role",
            value=user.username,
            code=code,
            params={"username": user.username},
        )
    if store_users.count_enabled(session, Role.ADMIN.value) <= 1:
        raise AdminLockout(
            f"refusing to {what} {user.username!r}: it is the last enabled admin; "
            "make another admin first",
            field="disabled" if disabled else "role",
            value=user.username,
            limit="at least 1 enabled admin",
            code="user.last_admin",
            params={"username": user.username},
        )


def _apply(
    services: Services,
    username: str,
    change: UserUpdate,
    *,
    password_hash: str | None,
    actor: str | None,
    guard: bool = True,
) -> UserPublic:
    """Apply ``change`` (and a new hash) in one transaction; ``guard``: refuse to take away
    the actor's or the last admin (off only for the operator's start-up users)."""
    with services.store.session() as session:
        user = _row(session, username)
        if user is None:
            raise UserNotFound(
                f"no user {username!r}", field="username", value=username, code="user.not_found"
            )
        if guard:
            _guard_admins(session, user, change, actor)
        assert user.id is not None
        store_users.update_user(
            session,
            user.id,
            store_schemas.UserUpdate(
                full_name=change.full_name,
                role=store_schemas.Role(str(change.role)) if change.role is not None else None,
                disabled=change.disabled,
            ),
        )
        if password_hash is not None:
            store_users.set_password_hash(session, user.id, password_hash)
        session.commit()
        session.refresh(user)
        services.user_cache.pop(username, None)
        return _public(user)


async def update_user(
    services: Services, username: str, change: UserUpdate, *, actor: str | None = None
) -> UserPublic:
    """Change a user as ``actor`` (an admin); a new password must pass the policy."""
    password_hash = None
    if change.password is not None:
        found = find_user(services, username)
        if found is None:
            raise UserNotFound(
                f"no user {username!r}", field="username", value=username, code="user.not_found"
            )
        full_name = change.full_name if change.full_name is not None else found.full_name
        password_hash = await off_loop(_hashed_checked, change.password, username, full_name)
    return _apply(services, username, change, password_hash=password_hash, actor=actor)
