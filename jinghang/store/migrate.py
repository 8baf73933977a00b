"""Schema migrations with Alembic, driven from code (no alembic.ini needed).

``upgrade_head(engine)`` brings a database to the newest revision under
``jinghang/store/migrations/versions``; the server and the demo call it at start through
:func:`jinghang.store.engine.open_store`. To write a new revision after changing the models:
``python -m jinghang.store.migrate revision "what changed" --url sqlite:///scratch.db``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def alembic_config(engine: Engine | None = None) -> Config:
    """An Alembic configuration pointing at the package's migrations (and at ``engine``)."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    if engine is not None:
        cfg.attributes["engine"] = engine
    return cfg


def upgrade_head(engine: Engine) -> None:
    """Upgrade the database behind ``engine`` to the newest revision."""
    command.upgrade(alembic_config(engine), "head")


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at (``None`` for an empty database)."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str | None:
    """The newest revision shipped with the package."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def main() -> None:  # pragma: no cover - a developer tool
    parser = argparse.ArgumentParser(description="Jinghang store migrations")
    sub = parser.add_subparsers(dest="cmd", required=True)
    rev = sub.add_parser("revision", help="autogenerate a revision from the models")
    rev.add_argument("message")
    rev.add_argument("--url", required=True)
    up = sub.add_parser("upgrade", help="upgrade a database to head")
    up.add_argument("--url", required=True)
    args = parser.parse_args()
    from jinghang.store.engine import make_engine

    engine = make_engine(args.url)
    if args.cmd == "revision":
        command.upgrade(alembic_config(engine), "head")
        command.revision(alembic_config(engine), message=args.message, autogenerate=True)
    else:
        upgrade_head(engine)


if __name__ == "__main__":  # pragma: no cover
    main()
