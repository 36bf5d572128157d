"""parse_message on the shared public corpora (about 1,400 real and hostile messages).

Every file must parse or raise UnparseableMessage. Where a corpus's expected*.json gives
unambiguous values, they are asserted; values where another library's answer differs
from ours on purpose are listed in KNOWN_DIVERGENT with the reason, and reported as
xfail rather than silently skipped.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import re
from datetime import UTC
from email.utils import parsedate_to_datetime
from pathlib import Path

import pytest

from keyou.mail.parse import (
    ParsedMessage,
    UnparseableMessage,
    html_to_text,
    normalize_message_id,
    parse_message,
    parse_message_id_list,
)
from keyou.mail.parse.message import FORWARD_MARKER

# The corpora folder, for building parameters at collection time; the tests themselves
# request the corpora_dir fixture, which skips (or fails under KEYOU_TEST_STRICT=1).
_CORPORA = Path(
    os.environ.get("KEYOU_CORPORA_DIR")
    or Path(__file__).resolve().parents[4] / "shared" / "corpora"
)

MAIL_FOLDERS = [
    "enmime", "flufl-bounce", "imap_tools", "mailgun-flanker", "mnako-letters",
    "sisimai-set-of-emails", "spamscope-mail-parser", "stalwart-mail-parser", "webklex-php-imap",
]  # fmt: skip
# Reply-parser fixtures and data sets: bodies without headers, HTML, signature samples.
TEXT_FOLDERS = [
    "crisp-email-reply-parser", "emersion-emailthreads", "github-email_reply_parser",
    "jwzthreading-fedora-devel", "mailgun-talon", "zapier-email-reply-parser",
]  # fmt: skip
# Mail-folder files that are not mail, and why.
NOT_MAIL = {
    "enmime/mail/erroneous.raw": "first line '// Not an RFC-822 Document', no header follows",
    "mnako-letters/test_english_empty.txt": "empty header section: a bare body",
    "spamscope-mail-parser/mail_outlook_1": "an Outlook .msg (OLE compound file)",
    "cpython/msg_19.txt": "a digest body that starts without any header",
}

KNOWN_DIVERGENT = {
    # imap_tools (values from imap_tools' MailMessage)
    ("imap_tools", "attachment_2_base64.eml", "text"):
        "a base64-encoded message/rfc822 part: imap_tools shows the base64, we decode it",
    ("imap_tools", "error_emails/content_transfer_encoding_7-bit.eml", "text"):
        "UTF-8 under a 7-bit label: imap_tools shows mojibake, we decode UTF-8",
    ("imap_tools", "plain_emails/raw_email_incorrect_header.eml", "text"):
        "a stray line among the headers: we mend it and keep the headers after it",
    ("imap_tools", "plain_emails/raw_email_incorrect_header.eml", "subject"): "same",
    ("imap_tools", "plain_emails/raw_email_incorrect_header.eml", "from"): "same",
    ("imap_tools", "plain_emails/raw_email_incorrect_header.eml", "to"): "same",
    ("imap_tools", "rfc2822/example13.eml", "text"):
        "obsolete 'Name  :' header syntax: we read the headers, imap_tools reads a body",
    ("imap_tools", "rfc2822/example13.eml", "subject"): "same",
    ("imap_tools", "rfc2822/example13.eml", "from"): "same",
    ("imap_tools", "rfc2822/example13.eml", "to"): "same",
    ("imap_tools", "rfc2822/example14.eml", "subject"):
        "folding whitespace before an encoded word is kept as one space (RFC 2047 §6.2)",
    ("imap_tools", "error_emails/invalid_subject_characters.eml", "subject"):
        "imap_tools drops undecodable bytes; we read them as Windows-1252",
    ("imap_tools", "plain_emails/raw_email_bad_time.eml", "date"):
        "year 3609 is absurd: we use the Received date instead",
    ("imap_tools", "mime_emails/raw_email11.eml", "to"):
        "'xxxxx@xxxxx' (no dot): imap_tools calls it a name, we call it an address",
    ("imap_tools", "error_emails/missing_body.eml", "to"):
        "'Undisclosed-Recipient:;@domain' is no mailbox; imap_tools keeps a fragment",
    ("imap_tools", "plain_emails/mix_caps_content_type.eml", "from"):
        "imap_tools reads 'Big Bug bb@bug.com' as the address; we take bb@bug.com",
    ("imap_tools", "attachment_emails/attachment_message_rfc822.eml", "attachments"):
        "imap_tools also lists the forwarded message's own attachments; they stay in the .eml",
    ("imap_tools", "attachment_emails/attachment_with_encoded_name.eml", "attachments"):
        "an 8-bit byte in an iso-2022-jp RFC 2231 name: U+FFFD there, Windows-1252 here",
    ("imap_tools", "plain_emails/raw_email8.eml", "attachments"): "same",
    ("imap_tools", "attachment_7bit.eml", "attachments"):
        "forwarded messages are kept byte for byte as sent; upstream re-serializes them",
    ("imap_tools", "multipart_report_emails/multi_address_bounce1.eml", "attachments"): "same",
    ("imap_tools", "multipart_report_emails/multi_address_bounce2.eml", "attachments"): "same",
    ("imap_tools", "mime_emails/raw_email_with_mimepart_without_content_type.eml", "attachments"):
        "same",
    ("imap_tools", "multipart_report_emails/multipart_report_multiple_status.eml", "attachments"):
        "same, and upstream also lists the returned message's own parts",
    ("imap_tools", "error_emails/content_transfer_encoding_plain.eml", "text"):
        "unlabelled 8-bit quote bytes: imap_tools drops them, we keep them as Latin-1",
    ("imap_tools", "plain_emails/raw_email6.eml", "text"):
        "'Envoyé par … Mobilité' under a wrong label: imap_tools drops the accents",
    ("imap_tools", "mime_emails/raw_email_with_mimepart_without_content_type.eml", "text"):
        "a report's returned original is an attachment here, not part of the text",
    ("imap_tools", "multipart_report_emails/multi_address_bounce1.eml", "text"): "same",
    ("imap_tools", "multipart_report_emails/multi_address_bounce2.eml", "text"): "same",
    ("imap_tools", "multipart_report_emails/multipart_report_multiple_status.eml", "text"): "same",
    ("imap_tools", "rfc2822/example04.eml", "date"):
        "a 1969 date (RFC 2822 example) is absurd for mail: no date here",
    ("imap_tools", "rfc2822/example10.eml", "date"): "same",
    ("imap_tools", "text_with_content_id.eml", "attachments"):
        "the only text/plain part carries a Content-ID: it is the body here",
    ("mnako-letters", "test_english_no_text_content.txt", "attachments"):
        "upstream counts the single PDF part as attached and as inline",
    # webklex/php-imap
    ("webklex-php-imap", "attachment_long_filename.eml", "attachments"):
        "the expected name has 'Lüdxxx' where the RFC 2231 bytes say 'Lüxxx'; and for one "
        "part php-imap prefers Content-Type name over Content-Disposition filename",
    ("webklex-php-imap", "issue-414.eml", "attachments"):
        "'../../example/MyFile.txt' and 'php://foo': we keep the last path component only",
    ("webklex-php-imap", "references.eml", "from"):
        "'no_host' is not an address; the contract drops it",
    ("webklex-php-imap", "embedded_email.eml", "attachments"):
        "forwarded messages are kept byte for byte as sent; php-imap's bytes differ",
    ("webklex-php-imap", "embedded_email_without_content_disposition.eml", "attachments"): "same",
    ("webklex-php-imap", "example_bounce.eml", "attachments"): "same",
    ("webklex-php-imap", "four_nested_emails.eml", "attachments"): "same",
}  # fmt: skip


def _expected(folder: str) -> dict:
    path = _CORPORA / folder / "expected.json"
    return json.loads(path.read_text(encoding="utf-8"))["files"] if path.is_file() else {}


def _ids(folder: str) -> list[str]:
    # Without the corpora there is nothing to enumerate; one placeholder lets the
    # corpora_dir fixture skip (or fail, under KEYOU_TEST_STRICT=1) visibly.
    return sorted(_expected(folder)) or ["<corpora missing>"]


def _squash(text: str) -> str:
    return " ".join(text.split())


def _own_text(message: ParsedMessage) -> str:
    """Return the text without the forwarded messages we append (other parsers omit them)."""
    return message.text.split(FORWARD_MARKER, 1)[0]


_FORWARD_BLOCK = re.compile(
    re.escape(FORWARD_MARKER) + r"\s*\n(?:(?:From|Date|Subject|To|Cc): [^\n]*\n)*"
)


def _bodies(text: str) -> str:
    """Return TEXT without forward header blocks, squashed: what other parsers concatenate."""
    return _squash(_FORWARD_BLOCK.sub(" ", text.replace("\r\n", "\n") + "\n"))


class Checks:
    """Collect field checks for one file; unexpected mismatches fail, known ones xfail."""

    def __init__(self, folder: str, name: str) -> None:
        self.folder, self.name = folder, name
        self.failed: list[str] = []
        self.known: list[str] = []

    def check(self, field: str, got: object, expected: object) -> None:
        if got == expected:
            return
        reason = KNOWN_DIVERGENT.get((self.folder, self.name, field))
        message = f"{field}: got {got!r:.200} expected {expected!r:.200}"
        (self.known if reason else self.failed).append(
            f"{message} [{reason}]" if reason else message
        )

    def finish(self) -> None:
        assert not self.failed, "\n".join(self.failed)
        if self.known:
            pytest.xfail("known divergence: " + "; ".join(self.known))


def _parse(corpora_dir: Path, folder: str, name: str) -> ParsedMessage:
    if name == "<corpora missing>":
        pytest.skip("corpora missing")
    return parse_message((corpora_dir / folder / name).read_bytes())


# -- everything parses or is refused cleanly -------------------------------------------


def _assert_sane(message: ParsedMessage, where: str) -> None:
    assert message.date is None or message.date.tzinfo is UTC, where
    assert message.date_source in ("date", "received", ""), where
    for address in (*message.from_, *message.to, *message.cc, *message.bcc, *message.reply_to):
        assert "@" in address.email and address.email == address.email.strip(), where
    for value in (message.subject, message.text, message.html, message.visible_text):
        assert "\x00" not in value, where
        value.encode("utf-8")  # no lone surrogates
    assert "<script" not in message.html.lower(), where
    assert len(message.snippet) <= 200, where
    assert all(a.filename and "/" not in a.filename for a in message.attachments), where


@pytest.mark.parametrize("folder", MAIL_FOLDERS + TEXT_FOLDERS + ["cpython"])
def test_every_file_parses_or_is_unparseable(corpora_dir, cpython_email_data, folder):
    if folder == "cpython":
        files = sorted(cpython_email_data.glob("msg_*.txt"))
        base = cpython_email_data
    else:
        base = corpora_dir / folder
        files = [p for p in sorted(base.rglob("*")) if p.is_file()]
        files = [p for p in files if p.suffix not in (".json", ".md", ".gz")]
    assert files
    refused = []
    for path in files:
        where = f"{folder}/{path.relative_to(base)}"
        try:
            message = parse_message(path.read_bytes())
        except UnparseableMessage:
            refused.append(where)
            continue
        _assert_sane(message, where)
    if folder in TEXT_FOLDERS:
        # Bodies without headers are refused; real messages among them must parse.
        assert not [w for w in refused if w.endswith(".eml")]
    else:
        assert set(refused) <= set(NOT_MAIL), sorted(set(refused) - set(NOT_MAIL))


def test_fedora_mbox_threading_headers(corpora_dir):
    folder = corpora_dir / "jwzthreading-fedora-devel"
    expected = json.loads((folder / "expected_threads.json").read_text(encoding="utf-8"))
    mbox = gzip.decompress((folder / "2010-January.txt.gz").read_bytes())
    raws = [r for r in re.split(rb"(?m)^(?=From .*\d\d \d\d\d\d$)", mbox) if r.strip()]
    assert len(raws) == expected["message_count"] == 292
    for entry in expected["messages"]:
        message = parse_message(raws[entry["index"]])
        assert message.message_id == normalize_message_id(entry["message_id"] or "")
        assert message.in_reply_to == parse_message_id_list(entry["in_reply_to"] or "")
        assert message.references == parse_message_id_list(entry["references"] or "")
        assert message.subject == _squash(entry["subject"] or "")


# -- imap_tools ------------------------------------------------------------------------


@pytest.mark.parametrize("name", _ids("imap_tools"))
def test_imap_tools_expectations(corpora_dir, name):
    message = _parse(corpora_dir, "imap_tools", name)
    expected = _expected("imap_tools")[name]
    checks = Checks("imap_tools", name)
    checks.check("subject", message.subject, expected["subject"].strip())
    checks.check(
        "from", message.from_[0].email.lower() if message.from_ else "", expected["from_"].lower()
    )
    for field, attr in (("to", "to"), ("cc", "cc"), ("bcc", "bcc"), ("reply_to", "reply_to")):
        wanted = [e.lower() for e in expected[field] if e]
        checks.check(field, [a.email.lower() for a in getattr(message, attr)], wanted)
        named = expected.get(f"{field}_values") or []
        if [v["email"].lower() for v in named] == wanted:
            checks.check(
                field, [a.name for a in getattr(message, attr)], [v["name"] for v in named]
            )
    if expected["from_values"] and message.from_:
        checks.check("from", message.from_[0].name, expected["from_values"]["name"])
    if expected["text"]:
        # imap_tools concatenates forwarded bodies too; we add a header block before each.
        checks.check("text", _bodies(message.text), _bodies(expected["text"]))
    if expected["html"] and not message.text.strip():
        checks.check("text", bool(message.html), True)
    got = {(a.filename, hashlib.sha256(a.data).hexdigest()) for a in message.attachments}
    wanted = {(a["filename"], a["payload"]["_sha256"]) for a in expected["attachments"]}
    # Unnamed parts get synthesized names here ('' upstream): compare their content only.
    named_wanted = {w for w in wanted if w[0]}
    unnamed_wanted = {sha for name, sha in wanted if not name}
    checks.check("attachments", named_wanted - got, set())
    checks.check("attachments", unnamed_wanted - {sha for _, sha in got}, set())
    if expected["date_str"].strip():
        try:
            stamp = parsedate_to_datetime(expected["date_str"])
        except (TypeError, ValueError):
            stamp = None
        if stamp is not None:
            # No zone (or -0000) means UTC here, never the machine's local time.
            stamp = stamp.replace(tzinfo=UTC) if stamp.tzinfo is None else stamp.astimezone(UTC)
        if stamp is not None:
            checks.check("date", message.date, stamp)
    checks.finish()


# -- mnako/letters (Chinese, Japanese, Korean) ----------------------------------------


@pytest.mark.parametrize("name", _ids("mnako-letters"))
def test_mnako_letters_expectations(corpora_dir, name):
    if name in ("test_english_empty.txt",):
        pytest.skip(NOT_MAIL[f"mnako-letters/{name}"])
    message = _parse(corpora_dir, "mnako-letters", name)
    expected = _expected("mnako-letters")[name]
    checks = Checks("mnako-letters", name)
    if "subject" in expected:
        checks.check("subject", message.subject, expected["subject"])
    for field, attr in (("from", "from_"), ("to", "to"), ("cc", "cc"), ("bcc", "bcc"),
                        ("reply_to", "reply_to"), ("sender", "sender")):  # fmt: skip
        if field in expected:
            got = [[a.name, a.email] for a in getattr(message, attr)]
            checks.check(field, got, expected[field])
    for field in ("message_id", "in_reply_to", "references"):
        if field in expected:
            checks.check(field, getattr(message, field), expected[field])
    if "text" in expected:
        checks.check("text", message.text.strip(), expected["text"].strip())
    if expected.get("html"):
        checks.check(
            "html", _squash(html_to_text(message.html)), _squash(html_to_text(expected["html"]))
        )
    if "attached_files" in expected:
        # Upstream counts parts with a Content-Disposition; we also keep undisposed ones.
        wanted = expected["attached_files"] + expected["inline_files"]
        checks.check("attachments", len(message.attachments) >= wanted, True)
        checks.check(
            "inline", sum(a.inline for a in message.attachments) >= expected["inline_files"], True
        )
    checks.finish()


# -- webklex/php-imap ------------------------------------------------------------------

_SUBJECT_CHECKS = {"$message->subject", "(string)$message->subject", "$message->getSubject()",
                   "$subject->toString()", "(string)$header->subject"}  # fmt: skip
_SYNTHETIC_NAME = re.compile(r"^[0-9a-f]{8}$")  # php-imap names unnamed parts by a hash


@pytest.mark.parametrize("name", _ids("webklex-php-imap"))
def test_webklex_expectations(corpora_dir, name):
    message = _parse(corpora_dir, "webklex-php-imap", name)
    checks = Checks("webklex-php-imap", name)
    names = [a.filename for a in message.attachments]
    digests = {hashlib.sha256(a.data).hexdigest() for a in message.attachments}
    for item in _expected("webklex-php-imap")[name]["checks"]:
        check, wanted = item["check"], item["expected"]
        if check in _SUBJECT_CHECKS and isinstance(wanted, str):
            checks.check("subject", _squash(message.subject), _squash(wanted))
        elif check == "$message->getTextBody()" and isinstance(wanted, str):
            checks.check("text", _squash(_own_text(message)), _squash(wanted))
        elif check.startswith("$message->date->first()->setTimezone('UTC')") and message.date:
            checks.check("date", message.date.strftime("%Y-%m-%d %H:%M:%S"), wanted)
        elif check in ("$message->from->first()->mail", "$from->mail") and isinstance(wanted, str):
            checks.check(
                "from", message.from_[0].email.lower() if message.from_ else "", wanted.lower()
            )
        elif check in ("$message->to->first()->mail", "$to->mail") and isinstance(wanted, str):
            checks.check("to", message.to[0].email.lower() if message.to else "", wanted.lower())
        elif check == "$from->personal":
            checks.check("from", message.from_[0].name if message.from_ else "", wanted)
        elif check == "$to->personal":
            checks.check("to", message.to[0].name if message.to else "", wanted)
        elif check in ('(string)$message->get("Message-ID")', "$message->message_id"):
            checks.check("message_id", message.message_id, wanted)
        elif check in ("$attachment->name", "$attachment->filename") and isinstance(wanted, str):
            if wanted and not _SYNTHETIC_NAME.match(wanted):
                checks.check("attachments", wanted in names, True)
        elif check == "sha256 of $attachment->content":
            checks.check("attachments", wanted in digests, True)
        elif check == "$message->hasHTMLBody()":
            checks.check("html", bool(message.html), wanted)
    checks.finish()


# -- the fast splitter agrees with the feed parser ----------------------------------------

# The splitter unfolds a boundary parameter folded over two lines (RFC 5322 unfolding);
# the feed parser keeps the line break in it and then finds no part at all.
SPLITTER_BETTER = {"stalwart-mail-parser/thirdparty/012.eml"}


@pytest.mark.parametrize("folder", MAIL_FOLDERS)
def test_fast_splitter_matches_the_feed_parser(corpora_dir, folder, monkeypatch):
    from keyou.mail.parse import message as message_module
    from keyou.mail.parse.mime import split_message

    compared = 0
    for path in sorted((corpora_dir / folder).rglob("*")):
        where = f"{folder}/{path.relative_to(corpora_dir / folder)}"
        if not path.is_file() or path.suffix in (".json", ".md") or where in SPLITTER_BETTER:
            continue
        raw = path.read_bytes()
        try:
            fast = parse_message(raw)
        except UnparseableMessage:
            continue
        if split_message(message_module._check_mail_like(raw)) is None:
            continue  # the feed parser handled it anyway
        with monkeypatch.context() as patch:
            patch.setattr(message_module, "split_message", lambda body: None)
            slow = parse_message(raw)
        for field in ("message_id", "subject", "date", "from_", "to", "cc", "text", "html",
                      "visible_text", "attachments", "automated_reason"):  # fmt: skip
            assert getattr(fast, field) == getattr(slow, field), f"{where}: {field}"
        compared += 1
    assert compared or folder == "spamscope-mail-parser"
