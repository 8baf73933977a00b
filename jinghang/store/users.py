"""Users: create, look up (with the password hash, for sign-in only), list, update.

Hashing is the caller's job (``jinghang.api`` uses argon2): the store keeps the hash it is
given and never sees a password. A change of password, role or state raises the user's
``token_version``, which revokes every token issued before it.
"""

from __future__ import annotations

from sqlmodel import Session, col, select

from jinghang.store.errors import AlreadyExists, NotFound
from jinghang.store.models import User, utc_now
from jinghang.store.schemas import UserCreate, UserCredentials, UserPublic, UserUpdate


def create_user(session: Session, data: UserCreate, *, password_hash: str) -> UserPublic:
    """Add a user; :class:`AlreadyExists` when the username is taken."""
    if session.exec(select(User).where(User.username == data.username)).first() is not None:
        raise AlreadyExists(
            f"username {data.username!r} is taken", field="username", value=data.username
        )
    user = User(
        username=data.username,
        full_name=data.full_name,
        role=data.role.value,
        password_hash=password_hash,
        created_at=utc_now(),
    )
    session.add(user)
    session.flush()
    return UserPublic.model_validate(user)


def _get(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"no user {user_id}", field="user_id", value=user_id)
    return user


def get_user(session: Session, user_id: int) -> UserPublic:
    return UserPublic.model_validate(_get(session, user_id))


def get_credentials(session: Session, username: str) -> UserCredentials | None:
    """The user with its password hash, or ``None``: for the sign-in code only."""
    user = session.exec(select(User).where(User.username == username)).first()
    return None if user is None else UserCredentials.model_validate(user)


def list_users(session: Session) -> list[UserPublic]:
    users = session.exec(select(User).order_by(col(User.id))).all()
    return [UserPublic.model_validate(u) for u in users]


def update_user(session: Session, user_id: int, data: UserUpdate) -> UserPublic:
    """Change a user; a new role or state revokes their tokens (the full name does not)."""
    user = _get(session, user_id)
    if data.full_name is not None:
        user.full_name = data.full_name
    if data.role is not None and user.role != data.role.value:
        user.role = data.role.value
        user.token_version += 1
    if data.disabled is not None and user.disabled != data.disabled:
        user.disabled = data.disabled
        user.token_version += 1
    session.add(user)
    session.flush()
    return UserPublic.model_validate(user)


def set_password_hash(session: Session, user_id: int, password_hash: str) -> None:
    """Store a new password hash and revoke the user's tokens."""
    user = _get(session, user_id)
    user.password_hash = password_hash
    user.token_version += 1
    session.add(user)
    session.flush()


def count_enabled(session: Session, role: str) -> int:
    """How many users hold ``role`` and are not disabled."""
    rows = session.exec(
        select(User.id).where(User.role == role, col(User.disabled).is_(False))
    ).all()
    return len(rows)


def count_users(session: Session) -> int:
    return len(session.exec(select(User.id)).all())
