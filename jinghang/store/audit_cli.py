"""``jinghang audit``: verify the audit trail, export its signed checkpoints, make a key.

- ``jinghang audit verify [--database URL] [--key-file FILE] [--checkpoints FILE ...]`` walks
  the keyed chain in batches, checks every stored checkpoint and those of the exported files,
  and every flown track's digest. Exit 0 when intact; 1 naming the first bad entry (its seq,
  its row id, what is wrong); 2 when it cannot verify (no key, no database, a bad file).
- ``jinghang audit export-checkpoints [--database URL] [--key-file FILE] [--out FILE]`` signs
  a checkpoint of the head now and writes every checkpoint (JSON) to keep elsewhere.
- ``jinghang audit new-key FILE`` writes a new random key (hex, mode 0600).

The database and the key come from the environment like the server's (``JINGHANG_DATABASE_URL``,
``JINGHANG_AUDIT_KEY_FILE`` or ``JINGHANG_AUDIT_KEY_HEX``) unless given here. The database
is opened without migrating it: a verifier changes nothing.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from jinghang.errors import JinghangError
from jinghang.key_files import new_key_file_refusal, write_new_key_file

#: Exit codes of ``jinghang audit verify``.
EXIT_INTACT = 0
EXIT_BROKEN = 1
EXIT_CANNOT_VERIFY = 2


def write_new_key(path: Path) -> None:
    """Write a new 32-byte audit key (hex) to ``path``, readable by its owner only; refuses to
    overwrite a file (a lost key makes the trail unverifiable)."""
    write_new_key_file(path)


def register(subparsers: Any) -> None:
    audit = subparsers.add_parser("audit", help="verify the audit trail, export checkpoints")
    commands = audit.add_subparsers(dest="audit_command", metavar="ACTION", required=True)

    verify = commands.add_parser(
        "verify", help="verify the keyed audit chain; exit 1 naming the first bad entry")
    _common(verify)
    verify.add_argument("--checkpoints", action="append", default=[], metavar="FILE",
                        help="an exported checkpoint file to verify against; repeatable")
    verify.set_defaults(func=run_verify)

    export = commands.add_parser(
        "export-checkpoints", help="sign a checkpoint of the head and write all of them")
    _common(export)
    export.add_argument("--out", metavar="FILE", help="where to write (default: stdout)")
    export.set_defaults(func=run_export)

    new_key = commands.add_parser("new-key", help="write a new random audit key (mode 0600)")
    new_key.add_argument("file", help="the key file to create (never overwritten)")
    new_key.set_defaults(func=run_new_key)


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--database", metavar="URL",
                        help="sqlite:///file.db or postgresql://... (default: "
                        "JINGHANG_DATABASE_URL)")
    parser.add_argument("--key-file", metavar="FILE",
                        help="the audit key file (default: JINGHANG_AUDIT_KEY_FILE or "
                        "JINGHANG_AUDIT_KEY_HEX)")


def _fail(message: str) -> int:
    print(f"jinghang audit: {message}", file=sys.stderr)
    return EXIT_CANNOT_VERIFY


def _open(args: argparse.Namespace) -> Any:
    """The store (not migrated) with the audit key; JinghangError when it cannot be."""
    from jinghang.config import Settings
    from jinghang.errors import ConfigError
    from jinghang.store.audit_key import AuditKey
    from jinghang.store.engine import Store, make_engine
    from jinghang.store.migrate import current_revision, head_revision

    overrides: dict[str, Any] = {}
    if args.database:
        overrides["database_url"] = args.database
    if args.key_file:
        overrides.update(audit_key_file=args.key_file, audit_key_hex="")
    settings = Settings(**overrides)
    secret = settings.audit_secret()
    if secret is None:
        raise ConfigError("no audit key: pass --key-file or set JINGHANG_AUDIT_KEY_FILE",
                          field="audit_key_file")
    engine = make_engine(settings.database_url)
    try:
        revision, newest = current_revision(engine), head_revision()
    except Exception as exc:
        engine.dispose()
        raise ConfigError(f"cannot read the database: {exc}", field="database") from exc
    if revision != newest:
        engine.dispose()
        raise ConfigError(f"the database is at revision {revision}, not {newest}: start "
                          "the server once to upgrade it", field="database")
    return Store(engine, audit_key=AuditKey(secret))


def run_verify(args: argparse.Namespace) -> int:
    from jinghang.store.audit_checkpoints import load_checkpoint_file
    from jinghang.store.audit_tracks import verify_track_digests
    from jinghang.store.audit_verify import verify_chain

    try:
        exported = [c for path in args.checkpoints for c in load_checkpoint_file(Path(path))]
        store = _open(args)
    except JinghangError as exc:
        return _fail(exc.message)
    try:
        with store.read_session() as session:
            report = verify_chain(session, checkpoints=exported)
            tracks = verify_track_digests(session) if report.ok else None
    except Exception as exc:  # a database that cannot be read is not a verdict
        return _fail(f"cannot read the audit trail: {exc}")
    finally:
        store.close()
    if not report.ok:
        row = f" (row id {report.first_bad_id})" if report.first_bad_id is not None else ""
        print(f"audit trail BROKEN at entry {report.first_bad_seq}{row}: {report.problem}: "
              f"{report.detail}")
        print(f"  {report.checked} entries before it verified")
        return EXIT_BROKEN
    if tracks is not None and not tracks.ok:
        print(f"flown track BROKEN: mission {tracks.mission_id} (audit entry "
              f"{tracks.audit_seq}): {tracks.detail}")
        return EXIT_BROKEN
    print(f"audit trail intact: {report.checked} entries ({report.legacy_entries} from "
          f"before the chain was keyed), {report.checkpoints_checked} checkpoint(s) matched, "
          f"{tracks.checked if tracks else 0} flown track(s) matched; head {report.head_seq} "
          f"{report.head_hash}")
    return EXIT_INTACT


def run_export(args: argparse.Namespace) -> int:
    from jinghang.store.audit_checkpoints import (
        checkpoint_head,
        export_document,
        list_checkpoints,
    )
    from jinghang.store.audit_key import key_of

    try:
        store = _open(args)
    except JinghangError as exc:
        return _fail(exc.message)
    try:
        with store.transaction() as session:
            key = key_of(session)
            checkpoint_head(session, key)
            document = export_document(key, list_checkpoints(session))
    finally:
        store.close()
    text = json.dumps(document, indent=1) + "\n"
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")
        print(f"{len(document['checkpoints'])} checkpoint(s) written to {args.out}",
              file=sys.stderr)
    else:
        sys.stdout.write(text)
    return EXIT_INTACT


def run_new_key(args: argparse.Namespace) -> int:
    path = Path(args.file)
    refusal = new_key_file_refusal(path, "an audit key")
    if refusal is not None:
        return _fail(refusal)
    print(f"a new audit key is in {path} (mode 0600); set JINGHANG_AUDIT_KEY_FILE={path} "
          "and keep a copy away from the database")
    return EXIT_INTACT
