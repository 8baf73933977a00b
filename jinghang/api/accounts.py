"""Users for the API: look up, create, list, change; passwords hashed with argon2.

Thin repository functions over ``jinghang.store``'s ``users`` table, returning the public view
(:class:`UserPublic`, never the password hash).
"""

from __future__ import annotations

import datetime as dt
import time

from pydantic import BaseModel, Field
from sqlmodel import select

from jinghang.api.security import Role, hash_password, verify_password
from jinghang.api.services import Services
from jinghang.errors import JinghangError
from jinghang.store.models import User

USERNAME_PATTERN = r"^[A-Za-z0-9_.@-]{2,64}$"
#: How long a user read for authentication is trusted without reading it again.
USER_CACHE_TTL_S = 2.0


class UserExists(JinghangError):
    status_code = 409
    title = "User exists"


class UserNotFound(JinghangError):
    status_code = 404
    title = "User not found"


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


def find_user(services: Services, username: str) -> UserPublic | None:
    with services.store.read_session() as session:
        user = session.exec(select(User).where(User.username == username)).first()
        return _public(user) if user is not None else None


def user_for_request(services: Services, username: str) -> UserPublic | None:
    """:func:`find_user` for authenticating a request, remembered for
    :data:`USER_CACHE_TTL_S` (changes made through this module take effect at once; a change
    made straight in the database within that time)."""
    now = time.monotonic()
    cached = services.user_cache.get(username)
    if cached is not None and now - cached[0] < USER_CACHE_TTL_S:
        user: UserPublic | None = cached[1]
        return user
    found = find_user(services, username)
    if len(services.user_cache) > 10_000:
        services.user_cache.clear()
    services.user_cache[username] = (now, found)
    return found


def check_password(services: Services, username: str, password: str) -> UserPublic | None:
    """The user if ``password`` is theirs and they are enabled, else None."""
    with services.store.read_session() as session:
        user = session.exec(select(User).where(User.username == username)).first()
    if user is None or user.disabled or not verify_password(user.password_hash, password):
        return None
    return _public(user)


def create_user(services: Services, new: UserCreate) -> UserPublic:
    with services.store.session() as session:
        if session.exec(select(User).where(User.username == new.username)).first() is not None:
            raise UserExists(
                f"user {new.username!r} already exists", field="username", value=new.username
            )
        user = User(
            username=new.username,
            full_name=new.full_name,
            role=str(new.role),
            password_hash=hash_password(new.password),
        )
        session.add(user)
        session.commit()
        session.refresh(user)
        services.user_cache.pop(new.username, None)
        return _public(user)


def ensure_user(services: Services, new: UserCreate) -> UserPublic:
    """Create the user, or reset an existing one's password and role (start-up users)."""
    existing = find_user(services, new.username)
    if existing is None:
        return create_user(services, new)
    return update_user(
        services, new.username, UserUpdate(password=new.password, role=new.role, disabled=False)
    )


def list_users(services: Services) -> list[UserPublic]:
    with services.store.read_session() as session:
        return [_public(u) for u in session.exec(select(User).order_by(User.id))]  # type: ignore[arg-type]


def update_user(services: Services, username: str, change: UserUpdate) -> UserPublic:
    with services.store.session() as session:
        user = session.exec(select(User).where(User.username == username)).first()
        if user is None:
            raise UserNotFound(f"no user {username!r}", field="username", value=username)
        if change.password is not None:
            user.password_hash = hash_password(change.password)
        if change.role is not None:
            user.role = str(change.role)
        if change.full_name is not None:
            user.full_name = change.full_name
        if change.disabled is not None:
            user.disabled = change.disabled
        services.user_cache.pop(username, None)
        session.add(user)
        session.commit()
        session.refresh(user)
        return _public(user)
