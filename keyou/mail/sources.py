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


_BOUNDARY = re.compile(rb"\n(?:\r?\n)(From \S+ +[^\n]*\d{1,2}:\d{2}[^\n]*\n)")
_FIRST = re.compile(rb"From \S+ +[^\n]*\d{1,2}:\d{2}[^\n]*\n")
_ESCAPED_FROM = re.compile(rb"^>(>*From )", re.MULTILINE)
_CHUNK = 1 << 18


def _unescape(raw: bytes) -> bytes:
    return _ESCAPED_FROM.sub(rb"\1", raw) if b">From " in raw else raw


def iter_mbox(path: Path) -> Iterator[RawItem]:
    """Yield each message of the mbox file PATH (mboxrd '>From ' lines unescaped).

    A separator is a "From " line at the start of the file or after a blank line; that
    blank line belongs to the mbox, not to the message before it. The file is read in
    256 KB chunks, so memory stays flat however large the mbox is.
    """
    index = 0
    with _open(path) as fh:
        buf = fh.read(_CHUNK)
        while b"\n" not in buf:  # the first separator line, whole
            more = fh.read(_CHUNK)
            if not more:
                break
            buf += more
        first = _FIRST.match(buf)
        start = first.end() if first else 0
        searched = start
        eof = not buf
        while True:
            match = _BOUNDARY.search(buf, searched)
            if match is not None:
                raw = buf[start : match.start() + 1]
                start = searched = match.end()
                if raw:
                    index += 1
                    yield RawItem(source=f"{path}#{index}", raw=_unescape(raw))
                continue
            if eof:
                break
            chunk = fh.read(_CHUNK)
            eof = not chunk
            # Keep the unfinished message. A separator cut by the chunk's end starts at
            # the second-to-last newline at the latest (its "From " line holds none).
            last = buf.rfind(b"\n", start)
            before = buf.rfind(b"\n", start, last) if last > start else -1
            searched = max(before, start) - start
            buf, start = buf[start:] + chunk, 0
        raw = buf[start:]
        if raw.endswith(b"\r\n\r\n"):
            raw = raw[:-2]
        elif raw.endswith(b"\n\n"):
            raw = raw[:-1]
        if raw:
            index += 1
            yield RawItem(source=f"{path}#{index}", raw=_unescape(raw))


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
