"""Read raw messages from mbox files, maildirs, directories of .eml and single files.

Everything streams: an archive of any size is read one message at a time.
"""

from __future__ import annotations

import gzip
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import BinaryIO


@dataclass(slots=True)
class RawItem:
    """One raw message and where it came from."""

    source: str
    raw: bytes
    folder: str | None = None
    uid: int | None = None
    uidvalidity: int | None = None
    flags: tuple[str, ...] = ()
    arrived_at: datetime | None = None


class SourceError(ValueError):
    """A path given to the importer cannot be read as mail."""


# A separator line carries a sender and an asctime-like date; an unescaped
# "From " sentence in a body (mboxo writers) does not.
_SEPARATOR = re.compile(rb"^From \S+ +.*\d{1,2}:\d{2}")


def _open(path: Path) -> BinaryIO:
    if path.suffix == ".gz":
        return gzip.open(path, "rb")  # type: ignore[return-value]
    return path.open("rb")


def _is_mbox(path: Path) -> bool:
    with _open(path) as fh:
        return fh.read(5) == b"From "


def iter_mbox(path: Path) -> Iterator[RawItem]:
    """Yield each message of the mbox file PATH (mboxrd '>From ' lines unescaped)."""
    index = 0
    lines: list[bytes] = []
    previous_blank = True

    def flush() -> RawItem | None:
        nonlocal index
        if not lines:
            return None
        # The blank line before the next "From " separator belongs to the mbox.
        if lines[-1] in (b"\n", b"\r\n"):
            lines.pop()
        index += 1
        return RawItem(source=f"{path}#{index}", raw=b"".join(lines))

    with _open(path) as fh:
        for line in fh:
            if previous_blank and line.startswith(b"From ") and _SEPARATOR.match(line):
                item = flush()
                if item is not None:
                    yield item
                lines = []
                previous_blank = False
                continue
            if line.startswith(b">") and line.lstrip(b">").startswith(b"From "):
                line = line[1:]
            lines.append(line)
            previous_blank = line in (b"\n", b"\r\n")
        item = flush()
        if item is not None:
            yield item


def _is_maildir(path: Path) -> bool:
    return (path / "cur").is_dir() and (path / "new").is_dir()


def iter_maildir(path: Path) -> Iterator[RawItem]:
    """Yield each message of the maildir PATH, cur/ then new/, in name order."""
    for sub in ("cur", "new"):
        for name in sorted(os.listdir(path / sub)):
            file = path / sub / name
            if file.is_file() and not name.startswith("."):
                yield RawItem(source=str(file), raw=file.read_bytes())


def iter_path(path: Path) -> Iterator[RawItem]:
    """Yield the messages under PATH, whatever kind of mail store it is."""
    if not path.exists():
        raise SourceError(f"{path}: no such file or directory")
    if path.is_dir():
        if _is_maildir(path):
            yield from iter_maildir(path)
            return
        for root, dirs, files in os.walk(path):
            dirs.sort()
            here = Path(root)
            if _is_maildir(here):
                dirs[:] = []
                yield from iter_maildir(here)
                continue
            for name in sorted(files):
                file = here / name
                if name.startswith("."):
                    continue
                if name.lower().endswith(".eml"):
                    yield RawItem(source=str(file), raw=file.read_bytes())
                elif name.lower().endswith((".mbox", ".mbx", ".mbox.gz")) and _is_mbox(file):
                    yield from iter_mbox(file)
        return
    if path.name.lower().endswith(".eml"):
        yield RawItem(source=str(path), raw=path.read_bytes())
    elif _is_mbox(path):
        yield from iter_mbox(path)
    else:
        yield RawItem(source=str(path), raw=_open(path).read())


def iter_paths(paths: list[Path]) -> Iterator[RawItem]:
    """Yield the messages under every path in PATHS, in order."""
    for path in paths:
        yield from iter_path(path)
