"""``jinghang recordings verify DIR``: recompute every recorded segment's SHA-256 and report
any mismatch with its manifest (exit code 1 on a mismatch or a missing segment).

``--expected FILE`` checks against the fingerprints kept in the audit trail instead: a JSON
list of ``{"segment_path" (or "path"), "sha256"}`` objects, as ``GET /api/recordings`` returns;
relative paths are taken under DIR."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from jinghang.errors import VideoError
from jinghang.video.verify import verify_directory, verify_segments


def _expected_entries(path: str, directory: Path) -> list[tuple[Path, str]]:
    try:
        rows = json.loads(Path(path).read_text())
        entries = []
        for row in rows:
            segment = Path(row.get("segment_path") or row["path"])
            entries.append((segment if segment.is_absolute() else directory / segment,
                            str(row["sha256"])))
        return entries
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise VideoError(f"unreadable list of expected fingerprints {path}: {exc}",
                         field="expected", value=path) from None


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("recordings", help="check recorded flight video")
    commands = parser.add_subparsers(dest="recordings_command", metavar="ACTION", required=True)
    verify = commands.add_parser(
        "verify", help="recompute segment SHA-256s and compare them with the manifests"
    )
    verify.add_argument("directory", help="a recordings directory (searched recursively)")
    verify.add_argument("--json", action="store_true", help="print the report as JSON")
    verify.add_argument("--expected", metavar="FILE",
                        help="JSON list of {segment_path, sha256} from the audit trail")
    verify.set_defaults(func=run_verify)


def run_verify(args: argparse.Namespace) -> int:
    try:
        if args.expected:
            report = verify_segments(_expected_entries(args.expected, Path(args.directory)))
        else:
            report = verify_directory(args.directory)
    except VideoError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 2
    bad = {m.path: m for m in report.mismatches}
    if args.json:
        print(json.dumps({
            "ok": report.ok,
            "checked": len(report.checked),
            "mismatches": [{"path": str(m.path), "expected_sha256": m.expected_sha256,
                            "actual_sha256": m.actual_sha256, "reason": m.reason}
                           for m in report.mismatches],
            "unlisted": [str(p) for p in report.unlisted],
        }, indent=2))
    else:
        for path in report.checked:
            mismatch = bad.get(path)
            if mismatch is None:
                print(f"OK        {path}")
            else:
                print(f"MISMATCH  {path}: {mismatch.reason} (expected {mismatch.expected_sha256}"
                      f", got {mismatch.actual_sha256 or '-'})")
        for path in report.unlisted:
            print(f"UNLISTED  {path} (in no manifest)")
        print(f"{len(report.checked)} segments checked, {len(report.mismatches)} mismatched, "
              f"{len(report.unlisted)} unlisted")
    return 0 if report.ok else 1
