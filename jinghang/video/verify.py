"""Verify recorded segments against their SHA-256 fingerprints.

Two sources of truth: the ``manifest.json`` files the recorder writes beside the segments
(``verify_directory``), and the list of (path, sha256) pairs kept in the hash-chained audit
trail (``verify_segments``), which is what counts as evidence: a manifest can be rewritten
along with the video, the audit chain cannot without breaking it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from jinghang.errors import VideoError
from jinghang.video.recording import MANIFEST_NAME, sha256_file


@dataclass(frozen=True, slots=True)
class Mismatch:
    """One segment that does not match its fingerprint (or is missing)."""

    path: Path
    expected_sha256: str
    actual_sha256: str | None  # None when the file is missing
    reason: str


@dataclass(slots=True)
class VerifyReport:
    checked: list[Path] = field(default_factory=list)
    mismatches: list[Mismatch] = field(default_factory=list)
    unlisted: list[Path] = field(default_factory=list)  # segments no manifest mentions

    @property
    def ok(self) -> bool:
        return not self.mismatches


def verify_segments(entries: Iterable[tuple[Path | str, str]]) -> VerifyReport:
    """Recompute each file's SHA-256 and compare it with the expected hex digest."""
    report = VerifyReport()
    for raw_path, expected in entries:
        path = Path(raw_path)
        expected = expected.strip().lower()
        report.checked.append(path)
        if not path.is_file():
            report.mismatches.append(Mismatch(path, expected, None, "missing"))
            continue
        actual = sha256_file(path)
        if actual != expected:
            report.mismatches.append(Mismatch(path, expected, actual, "sha256 differs"))
    return report


def manifest_entries(manifest_path: Path) -> list[tuple[Path, str]]:
    """The (segment path, sha256) pairs a manifest lists."""
    try:
        manifest = json.loads(manifest_path.read_text())
        return [(manifest_path.parent / Path(s["file"]).name, str(s["sha256"]))
                for s in manifest["segments"]]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise VideoError(f"unreadable recording manifest {manifest_path}: {exc}",
                         field="manifest", value=str(manifest_path)) from None


def verify_directory(directory: Path | str) -> VerifyReport:
    """Verify every manifest under ``directory`` (recursively); report unlisted segments."""
    root = Path(directory)
    if not root.is_dir():
        raise VideoError(f"no such recordings directory: {root}", field="directory",
                         value=str(root))
    report = VerifyReport()
    listed: set[Path] = set()
    for manifest_path in sorted(root.rglob(MANIFEST_NAME)):
        entries = manifest_entries(manifest_path)
        listed.update(path.resolve() for path, _ in entries)
        part = verify_segments(entries)
        report.checked.extend(part.checked)
        report.mismatches.extend(part.mismatches)
    report.unlisted = sorted(p for p in root.rglob("*.mp4") if p.resolve() not in listed)
    return report
