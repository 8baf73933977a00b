"""Writing a new secret key file: 32 random bytes as hex, mode 0600, never over a file.

One writer for every key the server keeps in a file (the audit key, ``jinghang audit
new-key``; the MAVLink signing master key, ``jinghang signing new-key``): a key that is
overwritten is lost for good (an unverifiable audit trail, every drone provisioned again),
so the file is created exclusively and an existing one is an error.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

#: the bytes of a new key (written as twice as many hex digits)
NEW_KEY_BYTES = 32


def write_new_key_file(path: Path, *, key_bytes: int = NEW_KEY_BYTES) -> None:
    """Write a new random key (hex and a newline) to ``path``, readable by its owner only;
    FileExistsError when ``path`` exists (OSError for the rest)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as out:
        out.write(secrets.token_hex(key_bytes) + "\n")


def new_key_file_refusal(path: Path, what: str) -> str | None:
    """Write a new key file at ``path`` (:func:`write_new_key_file`); None when written,
    else why not, for the command line (``what`` names the key: "a signing master key")."""
    try:
        write_new_key_file(path)
    except FileExistsError:
        return f"{path} exists; {what} is never overwritten"
    except OSError as exc:
        return f"cannot write {path}: {exc.strerror or exc}"
    return None
