"""Parse one raw RFC 822 message into plain data: ``parse_message(raw) -> ParsedMessage``.

The MIME structure comes from a boundary splitter (``mime.split_message``) or, for
anything irregular, the stdlib feed parser under ``compat32`` (~10x faster than
``policy.default``). Everything the stdlib would decode for us (headers, parameters,
transfer encodings, charsets) is decoded in this package instead, with the fallbacks real
mail needs. Nothing here raises on bad mail except ``UnparseableMessage``, for input that
is not mail at all.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import datetime
from email.message import Message
from email.parser import BytesParser
from email.policy import compat32

from keyou.mail.parse.automated import automated_reason
from keyou.mail.parse.body import FORWARD_MARKER, ParsedAttachment, clean_text, collect_body
from keyou.mail.parse.headers import (
    Address,
    decode_header_text,
    normalize_message_id,
    parse_address_list,
    parse_date,
    parse_message_id_list,
    received_date,
)
from keyou.mail.parse.html import html_to_text, sanitize_html
from keyou.mail.parse.mime import PartHeaders, content_type, split_message
from keyou.mail.parse.quotes import visible_text

__all__ = [
    "FORWARD_MARKER",
    "ParsedAttachment",
    "ParsedMessage",
    "UnparseableMessage",
    "parse_message",
]

log = logging.getLogger(__name__)

SNIPPET_LENGTH = 200
_PARSER = BytesParser(policy=compat32)
_CFB_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_HEAD_END = re.compile(rb"\r?\n\r?\n")
_HEADER_LINE = re.compile(rb"[\x21-\x39\x3b-\x7e]+:")
_BAD_HEADER_LINE = re.compile(rb"^(?![\x21-\x39\x3b-\x7e]+:|[ \t]|\r?$|From )", re.M)
_HEADERISH_LINE = re.compile(rb"[\x21-\x39\x3b-\x7e][^:\r\n]{0,100}:")
_HEADER_NAME = re.compile(rb"[\x21-\x39\x3b-\x7e]+")
_OBSOLETE_FROM = re.compile(rb"From[ \t]*:")
_NOT_NAME_CHARS = re.compile(rb"[^\x21-\x39\x3b-\x7e]+")
_KEYOU_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


@dataclass(slots=True)
class ParsedMessage:
    """What Keyou needs from one message, as plain data (see parse_message)."""

    message_id: str
    in_reply_to: list[str]
    references: list[str]
    subject: str
    date: datetime | None  # aware UTC
    date_source: str  # 'date' | 'received' | ''
    from_: list[Address]
    sender: list[Address]
    to: list[Address]
    cc: list[Address]
    bcc: list[Address]
    reply_to: list[Address]
    text: str
    html: str  # sanitized; remote images not blocked here
    visible_text: str
    snippet: str
    attachments: list[ParsedAttachment] = field(default_factory=list)
    automated: bool = False
    automated_reason: str = ""
    problems: list[str] = field(default_factory=list)
    size: int = 0
    keyou_id: str = ""  # X-Keyou-Id: the outbox row that sent it (survives Message-ID rewrites)


class UnparseableMessage(ValueError):
    """The input is not an email message at all (empty, binary, or without headers)."""


def parse_message(raw: bytes) -> ParsedMessage:
    """Return the parsed form of one raw RFC 822 message RAW.

    Decode headers, addresses and dates; pick the text and HTML bodies (HTML sanitized);
    strip quotes and signatures for ``visible_text``; collect attachments, inline images
    and forwarded messages; flag machine-sent mail. Record whatever had to be guessed or
    repaired in ``problems``. Raise ``UnparseableMessage`` only when RAW is not mail.
    """
    if isinstance(raw, str):
        raw = raw.encode("utf-8", "surrogateescape")
    raw = bytes(raw)
    body = _check_mail_like(raw)
    problems: list[str] = []
    try:
        msg = split_message(body) or _PARSER.parsebytes(body)
    except Exception as exc:  # RecursionError on absurd nesting, or a parser bug
        try:
            msg = BytesParser(policy=compat32).parsebytes(body, headersonly=True)
        except Exception:
            raise UnparseableMessage(f"the mail parser failed: {type(exc).__name__}") from exc
        problems.append("decode_error")
    if not msg.keys():
        raise UnparseableMessage("no header lines")
    try:
        return _build(msg, raw, body, list(problems))
    except Exception:
        # A bug of ours must not cost the message: log it, and keep the headers with the
        # body read as plain text.
        log.exception("mail parser failed on a %d-byte message; retrying headers only", len(raw))
    try:
        msg = BytesParser(policy=compat32).parsebytes(body, headersonly=True)
        return _build(msg, raw, body, [*problems, "decode_error"])
    except Exception as exc:
        raise UnparseableMessage(f"the mail parser failed: {type(exc).__name__}") from exc


def _check_mail_like(raw: bytes) -> bytes:
    if not raw.strip():
        raise UnparseableMessage("empty input")
    if raw.startswith(_CFB_MAGIC):
        raise UnparseableMessage("an Outlook .msg (OLE compound) file, not RFC 822 mail")
    # A UTF-8 byte order mark or blank lines before the headers would hide them all.
    body = raw[3:] if raw.startswith(b"\xef\xbb\xbf") else raw
    body = body.lstrip(b"\r\n")
    head_end = _HEAD_END.search(body)
    head = body[: head_end.start() if head_end else 16384]
    if head[:4096].count(b"\x00") > 8:
        # A stray NUL is a broken header; a header block full of them is a binary file.
        raise UnparseableMessage("binary data, not RFC 822 mail")
    if head_end is not None and _BAD_HEADER_LINE.search(head):
        body = _repair_header_block(head) + body[len(head) :]
    return body


def _repair_header_block(head: bytes) -> bytes:
    """Return HEAD with malformed header lines mended, so the headers after them survive.

    The stdlib parser ends the header block at the first line that is not a header and
    reads everything after it as body. Senders write "From  : x" (obsolete syntax),
    header names with spaces, and stray lines between headers; mend those when real
    headers follow, and leave a line alone when the body may simply start there.
    """
    lines = head.split(b"\n")
    headers_after = [False] * (len(lines) + 1)
    for index in range(len(lines) - 1, -1, -1):
        headers_after[index] = headers_after[index + 1] or bool(_HEADERISH_LINE.match(lines[index]))
    for index, line in enumerate(lines):
        if index == 0 and line.startswith(b"From ") and not _OBSOLETE_FROM.match(line):
            continue  # mbox separator, which the parser understands
        if _HEADER_LINE.match(line) or line[:1] in (b" ", b"\t"):
            continue
        name, colon, value = line.partition(b":")
        following = lines[index + 1] if index + 1 < len(lines) else b""
        more = following[:1] in (b" ", b"\t") or headers_after[index + 1]
        obsolete = colon and _HEADER_NAME.fullmatch(name.rstrip()) is not None  # "From  : x"
        if obsolete or (colon and name.strip() and name[:1] not in (b" ", b"\t") and more):
            lines[index] = _NOT_NAME_CHARS.sub(b"-", name.strip()) + b":" + value
        elif index and headers_after[index + 1]:
            lines[index] = b" " + line  # a stray line between headers: fold it into the last
        else:
            break
    return b"\n".join(lines)


def _build(msg: Message, raw: bytes, body: bytes, problems: list[str]) -> ParsedMessage:
    top = PartHeaders.of(msg)
    # Only raw 8-bit header bytes need the hint, and an all-ASCII message has none.
    hint = None if raw.isascii() else _charset_hint(msg, top)
    everything = _all_values(msg)

    def header(name: str) -> str:
        return decode_header_text(everything.get(name, [None])[0], problems, hint)

    def addresses(name: str) -> list[Address]:
        values = everything.get(name)
        if not values:
            return []
        return parse_address_list(", ".join(values), problems, hint)

    message_id = normalize_message_id(top.get("message-id"))
    if not message_id:
        problems.append("missing_message_id")
    date, date_source = _message_date(top.get("date"), everything.get("received", []), problems)
    subject = header("subject")
    from_ = addresses("from")

    collector = collect_body(msg, body, problems, hint)
    html = sanitize_html("\n".join(collector.html)) if collector.html else ""
    text = "\n\n".join(t.strip("\n") for t in collector.plain if t.strip())
    if not text.strip() and html:
        text = html_to_text(html)
    if collector.forwarded:
        text = "\n\n".join([text.rstrip(), *collector.forwarded]).strip("\n")
    visible = visible_text(text)
    ctype, _ = content_type(top)
    reason = automated_reason(
        {name: values[0] for name, values in everything.items()},
        subject=subject,
        senders=[a.email for a in from_],
        sender_names=[a.name for a in from_] or [header("from")],
        content_type=ctype,
    )
    return ParsedMessage(
        message_id=message_id,
        in_reply_to=parse_message_id_list(top.get("in-reply-to")),
        references=parse_message_id_list(" ".join(everything.get("references", []))),
        subject=clean_text(subject),
        date=date,
        date_source=date_source,
        from_=from_,
        sender=addresses("sender"),
        to=addresses("to"),
        cc=addresses("cc"),
        bcc=addresses("bcc"),
        reply_to=addresses("reply-to"),
        text=clean_text(text),
        html=clean_text(html),
        visible_text=clean_text(visible),
        snippet=clean_text(" ".join(visible.split())[:SNIPPET_LENGTH]),
        attachments=collector.attachments,
        automated=bool(reason),
        automated_reason=reason,
        problems=list(dict.fromkeys(problems)),
        size=len(raw),
        keyou_id=parse_keyou_id(top.get("x-keyou-id")),
    )


def parse_keyou_id(value: str) -> str:
    """Return the X-Keyou-Id in VALUE as a lower-case UUID, or '' when it is not one."""
    match = _KEYOU_ID.fullmatch(value.strip().strip("<>").lower()) if value else None
    return match.group(0) if match else ""


def _all_values(msg: Message) -> dict[str, list[str]]:
    values: dict[str, list[str]] = {}
    for name, value in msg.raw_items():
        values.setdefault(name.strip().lower(), []).append(str(value))
    return values


def _charset_hint(msg: Message, top: PartHeaders) -> str | None:
    """Return a charset declared in the message, for headers that carry raw 8-bit bytes."""
    for part in msg.walk():
        headers = top if part is msg else PartHeaders.of(part)
        charset = content_type(headers)[1].get("charset")
        if isinstance(charset, str) and charset.strip().lower() not in ("", "us-ascii", "ascii"):
            return charset
    return None


def _message_date(
    value: str, received: list[str], problems: list[str]
) -> tuple[datetime | None, str]:
    if value.strip():
        date = parse_date(value)
        if date is not None:
            return date, "date"
        problems.append("bad_date")
    else:
        problems.append("no_date")
    # The topmost Received header was added last, by the server closest to us.
    for line in received:
        date = received_date(" ".join(line.split()))
        if date is not None:
            return date, "received"
    return None, ""
