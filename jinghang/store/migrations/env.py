"""Alembic environment for the Jinghang store: runs online against the engine handed in by
:mod:`jinghang.store.migrate` (SQLite uses batch mode so that ALTERs work)."""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

import jinghang.store.models  # noqa: F401  (registers the tables on SQLModel.metadata)

target_metadata = SQLModel.metadata


def run_migrations_online() -> None:
    engine = context.config.attributes.get("engine")
    if engine is None:
        url = context.config.get_main_option("sqlalchemy.url")
        if not url:
            raise RuntimeError("no engine or sqlalchemy.url given to the migrations")
        from jinghang.store.engine import make_engine

        engine = make_engine(url)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


if context.is_offline_mode():
    raise RuntimeError("offline migrations are not supported; pass an engine")
run_migrations_online()
