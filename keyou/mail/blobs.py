"""Content-addressed storage of raw messages and attachments under the data dir."""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

from django.conf import settings


def blob_sha256(data: bytes) -> str:
    """Return the hex sha256 of DATA: the blob's name."""
    return hashlib.sha256(data).hexdigest()


def blob_path(sha256: str) -> Path:
    """Return where the blob named SHA256 lives (it may not exist)."""
    root = Path(settings.KEYOU_BLOB_DIR)
    return root / sha256[:2] / sha256[2:4] / sha256


def blob_put(data: bytes, sha256: str | None = None) -> str:
    """Store DATA once and return its sha256; storing the same bytes again is free."""
    sha = sha256 or blob_sha256(data)
    path = blob_path(sha)
    if path.exists():
        return sha
    path.parent.mkdir(parents=True, exist_ok=True)
    # Write to a temporary file and rename, so a crash never leaves half a blob
    # under the final name.
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return sha


def blob_get(sha256: str) -> bytes:
    """Return the bytes of the blob named SHA256 (FileNotFoundError if absent)."""
    return blob_path(sha256).read_bytes()
