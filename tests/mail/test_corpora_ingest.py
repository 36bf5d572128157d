"""Every public corpus message goes through the whole ingest path without losing one."""

import os
from pathlib import Path

import pytest

from keyou.mail.ingest import mail_ingest
from keyou.mail.models import Message
from keyou.mail.sources import iter_path


def _corpus_files(root: Path) -> list[Path]:
    return sorted(
        p
        for p in root.rglob("*")
        if p.is_file() and p.suffix not in {".json", ".md"} and not p.name.startswith(".")
    )


def _cpython_email_data() -> Path:
    import test.test_email

    return Path(os.path.dirname(test.test_email.__file__)) / "data"


@pytest.mark.integration
def test_every_corpus_file_is_stored_parsed_or_flagged(org, corpora_dir):
    files = _corpus_files(corpora_dir)
    items = [item for f in files for item in iter_path(f)]
    assert len(items) >= 1300

    stats = mail_ingest(mailbox=org["boxes"]["sales"], items=items, batch_size=100)
    cpython = [i for f in sorted(_cpython_email_data().glob("msg_*.txt")) for i in iter_path(f)]
    cpython_stats = mail_ingest(mailbox=org["boxes"]["bob"], items=cpython)
    assert cpython_stats.read == 48
    assert cpython_stats.failed <= 1  # msg_19 has no header lines at all

    assert stats.read == len(items)
    # Nothing is dropped: every item is a new message or a copy of one already seen.
    assert stats.new + stats.duplicates == stats.read
    assert Message.objects.count() == stats.new + cpython_stats.new
    failed = Message.objects.filter(parse_failed=True)
    assert failed.count() == stats.failed + cpython_stats.failed
    assert all(m.is_flagged for m in failed)
    # Only files that are not mail at all fail: body-only fixtures of reply
    # parsers, an Outlook .msg, a README, an empty file, a header-less fragment.
    unexpected = (
        [
            e["source"]
            for e in stats.errors
            if Path(e["source"].split("#")[0]).relative_to(corpora_dir).parts[0] not in BODY_ONLY
            and not e["source"].endswith(NOT_MAIL)
        ]
        if stats.errors
        else []
    )
    assert unexpected == []
    assert stats.failed == len(stats.errors)


BODY_ONLY = {
    "crisp-email-reply-parser",
    "github-email_reply_parser",
    "zapier-email-reply-parser",
    "mailgun-talon",
    "emersion-emailthreads",
}
NOT_MAIL = (
    "spamscope-mail-parser/mail_outlook_1",
    "enmime/mail/erroneous.raw",
    "jwzthreading-fedora-devel/README.upstream.txt",
    "jwzthreading-fedora-devel/2010-January_thread.html.gz",
    "mnako-letters/test_english_empty.txt",
)
