"""The database engine and the :class:`Store` that hands out sessions.

SQLite (a file, the default) runs in WAL mode with a busy timeout and foreign keys on; every
write session starts with ``BEGIN IMMEDIATE`` so that a read-then-write (the audit chain's
"read the last hash, append") never fails half way on a stale snapshot. PostgreSQL is used when
the URL says so (``postgresql://user:pw@127.0.0.1:5432/jinghang``, via psycopg2). The schema is
brought to the newest Alembic revision when the store opens (:func:`open_store`).
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.pool import StaticPool
from sqlmodel import Session

from jinghang.errors import StoreError
from jinghang.store.audit_key import SESSION_INFO_KEY, AuditKey
from jinghang.store.errors import StoreUnavailable

SQLITE_BUSY_TIMEOUT_MS = 10_000


def normalise_url(url: str) -> str:
    """Accept ``postgres://`` and ``postgresql://``; with no driver named, use psycopg2 when it
    is installed (SQLAlchemy 2.1 would otherwise assume psycopg 3), else psycopg 3."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        driver = "psycopg2" if importlib.util.find_spec("psycopg2") else "psycopg"
        url = f"postgresql+{driver}://" + url[len("postgresql://") :]
    return url


def make_engine(url: str, *, echo: bool = False) -> Engine:
    """An engine for ``url`` with the platform's connection settings applied."""
    url = normalise_url(url)
    try:
        parsed = make_url(url)
    except Exception as exc:  # sqlalchemy raises ArgumentError with a terse message
        raise StoreUnavailable(
            f"not a database URL: {url!r}", field="database_url", value=url
        ) from exc
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(url, parsed.database or "", echo=echo)
    return create_engine(url, echo=echo, pool_pre_ping=True)


def _sqlite_engine(url: str, database: str, *, echo: bool) -> Engine:
    memory = database in ("", ":memory:")
    if not memory:
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    kwargs: dict[str, Any] = {
        "connect_args": {"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}
    }
    if memory:
        kwargs["poolclass"] = StaticPool
    engine = create_engine(url, echo=echo, **kwargs)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the sqlite3 module, decide when transactions begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        if not memory:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        mode = connection.get_execution_options().get("sqlite_begin", "IMMEDIATE")
        connection.exec_driver_sql(f"BEGIN {mode}")

    return engine


class Store:
    """The opened database: ``with store.session() as s:`` for work that writes (commit
    yourself), ``with store.read_session() as s:`` for queries only. Its sessions carry the
    audit key (``session.info``, see :mod:`jinghang.store.audit_key`), which is never
    stored in the database."""

    def __init__(self, engine: Engine, *, audit_key: AuditKey | None = None) -> None:
        self.engine = engine
        self.audit_key = audit_key
        self._read_engine = engine.execution_options(sqlite_begin="DEFERRED")

    @property
    def url(self) -> str:
        return self.engine.url.render_as_string(hide_password=True)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session for reading and writing; on SQLite its transaction holds the write lock."""
        with Session(self.engine, expire_on_commit=False,
                     info={SESSION_INFO_KEY: self.audit_key}) as session:
            yield session

    @contextmanager
    def read_session(self) -> Iterator[Session]:
        """A session for queries; on SQLite it does not take the write lock."""
        with Session(self._read_engine, expire_on_commit=False,
                     info={SESSION_INFO_KEY: self.audit_key}) as session:
            yield session

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A write session that commits when the block ends and rolls back on an exception."""
        with self.session() as session:
            yield session
            session.commit()

    def close(self) -> None:
        self.engine.dispose()


def open_store(
    url: str, *, migrate: bool = True, echo: bool = False, audit_key: AuditKey | None = None
) -> Store:
    """Open the database at ``url`` and (by default) upgrade its schema to the newest revision;
    with an ``audit_key`` and ``migrate``, the unkeyed legacy audit rows are sealed too."""
    engine = make_engine(url, echo=echo)
    if migrate:
        from jinghang.store.migrate import upgrade_head

        try:
            upgrade_head(engine)
        except StoreError:
            engine.dispose()
            raise
        except Exception as exc:
            engine.dispose()
            raise StoreUnavailable(
                f"cannot open or migrate the database: {exc}",
                field="database_url",
                value=engine.url.render_as_string(hide_password=True),
            ) from exc
    store = Store(engine, audit_key=audit_key)
    if migrate and audit_key is not None:
        from jinghang.store.audit import seal_legacy

        with store.transaction() as session:
            seal_legacy(session)
    return store
