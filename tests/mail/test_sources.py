"""Reading mail stores: mbox (plain and gzipped), maildir, .eml directories."""

import gzip
import mailbox as stdlib_mailbox
import tracemalloc

import pytest

from keyou.mail.sources import SourceError, iter_mbox, iter_path


def test_mbox_unescapes_from_lines_and_splits_messages(tmp_path):
    path = tmp_path / "a.mbox"
    path.write_bytes(
        b"From a@x Mon Jan  1 00:00:00 2024\n"
        b"Subject: one\n\nhello\n>From the start\n\n"
        b"From b@x Mon Jan  1 00:00:00 2024\n"
        b"Subject: two\n\nFrom inside a line is fine\n"
    )
    items = list(iter_mbox(path))
    assert [i.raw for i in items] == [
        b"Subject: one\n\nhello\nFrom the start\n",
        b"Subject: two\n\nFrom inside a line is fine\n",
    ]
    assert items[1].source.endswith("#2")


def test_gzipped_mbox(tmp_path):
    path = tmp_path / "a.mbox.gz"
    with gzip.open(path, "wb") as fh:
        fh.write(b"From a@x Mon Jan  1 00:00:00 2024\nSubject: one\n\nbody\n")
    assert [i.raw for i in iter_path(path)] == [b"Subject: one\n\nbody\n"]


def test_maildir_and_nested_dirs(tmp_path):
    (tmp_path / "root").mkdir()
    md = stdlib_mailbox.Maildir(tmp_path / "root" / "box", create=True)
    md.add(b"Subject: a\n\nx\n")
    (tmp_path / "root" / "b.eml").write_bytes(b"Subject: b\n\ny\n")
    (tmp_path / "root" / "notes.txt").write_bytes(b"not mail")
    raws = sorted(i.raw for i in iter_path(tmp_path / "root"))
    assert raws == [b"Subject: a\n\nx\n", b"Subject: b\n\ny\n"]


def test_missing_path_is_a_clear_error(tmp_path):
    with pytest.raises(SourceError, match="no such file"):
        list(iter_path(tmp_path / "nope"))


def test_mbox_streams_with_flat_memory(tmp_path):
    path = tmp_path / "big.mbox"
    body = b"x" * 2000 + b"\n"
    with path.open("wb") as fh:
        for i in range(3000):
            fh.write(b"From a@x Mon Jan  1 00:00:00 2024\nSubject: %d\n\n" % i + body * 5 + b"\n")
    tracemalloc.start()
    count = sum(1 for _ in iter_mbox(path))
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert count == 3000
    assert peak < 2_000_000  # a 30 MB file never sits in memory


def test_mbox_separator_cut_by_a_chunk_boundary(tmp_path, monkeypatch):
    from keyou.mail import sources

    entries = [b"Subject: %d\n\n" % i + b"y" * (i * 7 % 50) + b"\n" for i in range(200)]
    data = b"".join(b"From a@x Mon Jan  1 00:00:00 2024\n" + e + b"\n" for e in entries)
    path = tmp_path / "cut.mbox"
    path.write_bytes(data)
    for chunk in (13, 29, 64, 97):  # tiny chunks cut separators at every offset
        monkeypatch.setattr(sources, "_CHUNK", chunk)
        assert [i.raw for i in iter_mbox(path)] == entries, chunk
