"""Store fixtures: a fresh SQLite file per test, and a real PostgreSQL server started once per
session under a temporary directory (skipped, with the reason, where none can start)."""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from jinghang.store import Store, open_store
from jinghang.store.engine import normalise_url
from tests.conftest import free_tcp_port


def _postgres_bin_dir() -> Path | None:
    for name in ("initdb", "pg_ctl"):
        found = shutil.which(name)
        if found:
            return Path(found).resolve().parent
    root = Path("/usr/lib/postgresql")
    if root.is_dir():
        versions = sorted(root.iterdir(), key=lambda p: p.name, reverse=True)
        for version in versions:
            if (version / "bin" / "initdb").exists():
                return version / "bin"
    return None


def _run_as(user: str | None, args: list[str], *, cwd: str) -> subprocess.CompletedProcess[str]:
    if user is None:
        return subprocess.run(args, capture_output=True, text=True, cwd=cwd, timeout=60)
    return subprocess.run(
        ["su", user, "-s", "/bin/sh", "-c", " ".join(_quote(a) for a in args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=60,
    )


def _quote(arg: str) -> str:
    return "'" + arg.replace("'", "'\\''") + "'"


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A URL of a throwaway PostgreSQL server on 127.0.0.1 (trust auth, a free port)."""
    bin_dir = _postgres_bin_dir()
    if bin_dir is None:
        pytest.skip("PostgreSQL is not installed (no initdb); the PostgreSQL tests are skipped")
    user: str | None = None
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            pytest.skip("running as root and there is no 'postgres' user to run the server")
        user = "postgres"
    base = tempfile.mkdtemp(prefix="jinghang-pg-")
    os.chmod(base, 0o777)
    data_dir = os.path.join(base, "data")
    port = free_tcp_port()
    init = _run_as(
        user,
        [str(bin_dir / "initdb"), "-D", data_dir, "-A", "trust", "-U", "postgres", "-E", "UTF8"],
        cwd=base,
    )
    if init.returncode != 0:
        shutil.rmtree(base, ignore_errors=True)
        pytest.skip(f"initdb failed, PostgreSQL tests skipped: {init.stderr.strip()[-300:]}")
    options = f"-h 127.0.0.1 -p {port} -k {base} -c fsync=off -c full_page_writes=off"
    start = _run_as(
        user,
        [str(bin_dir / "pg_ctl"), "-D", data_dir, "-o", options, "-l",
         os.path.join(base, "log"), "-w", "-t", "30", "start"],
        cwd=base,
    )
    if start.returncode != 0:
        log = Path(base, "log").read_text(errors="replace") if Path(base, "log").exists() else ""
        shutil.rmtree(base, ignore_errors=True)
        reason = f"{start.stderr.strip()} {log[-300:]}"
        pytest.skip(f"PostgreSQL would not start, tests skipped: {reason}")
    try:
        yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
    finally:
        _run_as(user, [str(bin_dir / "pg_ctl"), "-D", data_dir, "-m", "immediate", "stop"],
                cwd=base)
        shutil.rmtree(base, ignore_errors=True)


_DB_COUNTER = iter(range(1_000_000))


@pytest.fixture
def postgres_store(postgres_url: str) -> Iterator[Store]:
    """A fresh database on the session's PostgreSQL server, migrated to head."""
    import sqlalchemy as sa

    name = f"jh_test_{os.getpid()}_{next(_DB_COUNTER)}"
    admin = sa.create_engine(normalise_url(postgres_url), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = postgres_url.rsplit("/", 1)[0] + "/" + name
    store = open_store(url)
    try:
        yield store
    finally:
        store.close()
        with admin.connect() as conn, contextlib.suppress(Exception):
            conn.execute(sa.text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Iterator[Store]:
    store = open_store(f"sqlite:///{tmp_path / 'jinghang.db'}")
    try:
        yield store
    finally:
        store.close()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest) -> Store:
    """Every store test runs on a SQLite file and on a real PostgreSQL server."""
    name = "sqlite_store" if request.param == "sqlite" else "postgres_store"
    return request.getfixturevalue(name)  # type: ignore[no-any-return]
