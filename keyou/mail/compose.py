"""Build the MIME form of a message written in Keyou: addresses, quoting, headers, parts.

Nothing here touches the database; `keyou.mail.send` decides what to build and files it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import policy
from email.headerregistry import Address as HeaderAddress
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr

from django.utils import timezone
from django.utils.translation import gettext as _
from email_validator import EmailNotValidError, validate_email

# RFC 5322 line endings; parts with non-ASCII text are base64 or quoted-printable, so
# the message passes servers without 8BITMIME and IMAP APPEND unchanged.
MIME_POLICY = policy.SMTP.clone(cte_type="7bit")
_REPLY_PREFIX = re.compile(r"^\s*(re|aw|sv|回复|答复)\s*[:：]", re.IGNORECASE)
_FORWARD_PREFIX = re.compile(r"^\s*(fwd?|wg|转发)\s*[:：]", re.IGNORECASE)
_BCC_HEADER = re.compile(rb"^bcc[ \t]*:.*(?:\r?\n[ \t].*)*\r?\n", re.IGNORECASE | re.MULTILINE)
_HEAD_END = re.compile(rb"\r?\n\r?\n")


@dataclass(frozen=True, slots=True)
class Recipient:
    """One checked address: a display name (maybe '') and the normalized address."""

    name: str
    email: str

    def formatted(self) -> str:
        return str(HeaderAddress(display_name=self.name, addr_spec=self.email))


def _split(value: str) -> list[str]:
    """Split an address field at commas and semicolons (also full-width) outside quotes."""
    pieces, current, quoted, angle = [], [], False, 0
    for char in value:
        if char == '"':
            quoted = not quoted
        elif not quoted and char == "<":
            angle += 1
        elif not quoted and char == ">":
            angle = max(0, angle - 1)
        elif not quoted and not angle and char in ",;，；":
            pieces.append("".join(current))
            current = []
            continue
        current.append(char)
    pieces.append("".join(current))
    return [piece.strip() for piece in pieces if piece.strip()]


def recipients_parse(values: Iterable[str]) -> tuple[list[Recipient], list[str]]:
    """Return the recipients written in VALUES ("Name <a@b>, c@d" each) and the bad entries."""
    found: list[Recipient] = []
    bad: list[str] = []
    seen: set[str] = set()
    for value in values:
        for piece in _split(value or ""):
            if "\r" in piece or "\n" in piece:
                bad.append(piece[:100])
                continue
            name, address = parseaddr(piece)
            try:
                checked = validate_email(address.strip(), check_deliverability=False)
            except EmailNotValidError:
                bad.append(piece[:100])
                continue
            local, _at, domain = checked.normalized.rpartition("@")
            email = f"{local}@{domain.lower()}"
            if email.casefold() not in seen:
                seen.add(email.casefold())
                found.append(Recipient(name=" ".join(name.split())[:200], email=email))
    return found, bad


def subject_for(kind: str, subject: str) -> str:
    """Return the subject of a reply ("Re: ") or forward ("Fwd: ") of a message SUBJECT."""
    subject = " ".join(subject.split())
    if kind in ("reply", "reply_all"):
        return subject if _REPLY_PREFIX.match(subject) else f"Re: {subject}".strip()
    if kind == "forward":
        return subject if _FORWARD_PREFIX.match(subject) else f"Fwd: {subject}".strip()
    return subject


def _when(value: datetime) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")


def reply_quote(*, text: str, sent_at: datetime, name: str) -> str:
    """Return TEXT quoted under "On <date>, <name> wrote:" in the active language."""
    head = _("On %(date)s, %(name)s wrote:") % {"date": _when(sent_at), "name": name}
    lines = text.strip("\n").splitlines() or [""]
    return head + "\n" + "\n".join(f"> {line}" if line else ">" for line in lines)


def forward_block(
    *, text: str, sent_at: datetime, sender: str, to: str, cc: str, subject: str
) -> str:
    """Return the forwarded-message header block followed by the original TEXT."""
    lines = [
        _("---------- Forwarded message ----------"),
        _("From: %(value)s") % {"value": sender},
        _("Date: %(value)s") % {"value": _when(sent_at)},
        _("Subject: %(value)s") % {"value": subject},
        _("To: %(value)s") % {"value": to},
    ]
    if cc:
        lines.append(_("Cc: %(value)s") % {"value": cc})
    return "\n".join(lines) + "\n\n" + text.strip("\n")


@dataclass(slots=True)
class Part:
    """An attachment to send: its bytes and how to name them."""

    data: bytes
    filename: str
    content_type: str


@dataclass(slots=True)
class Draft:
    """Everything the outgoing message consists of."""

    sender: Recipient
    to: list[Recipient]
    cc: list[Recipient]
    bcc: list[Recipient]
    subject: str
    text: str
    message_id: str  # without angle brackets
    keyou_id: str
    date: datetime
    html: str = ""
    in_reply_to: str = ""
    references: list[str] = field(default_factory=list)
    parts: list[Part] = field(default_factory=list)


def message_build(draft: Draft) -> bytes:
    """Return the raw bytes of DRAFT as filed and kept in Sent (Bcc still in the headers)."""
    msg = EmailMessage(policy=MIME_POLICY)
    msg["Date"] = format_datetime(draft.date.astimezone(UTC))
    msg["From"] = draft.sender.formatted()
    if draft.to:
        msg["To"] = ", ".join(r.formatted() for r in draft.to)
    if draft.cc:
        msg["Cc"] = ", ".join(r.formatted() for r in draft.cc)
    if draft.bcc:
        msg["Bcc"] = ", ".join(r.formatted() for r in draft.bcc)
    msg["Subject"] = draft.subject
    msg["Message-ID"] = f"<{draft.message_id}>"
    if draft.in_reply_to:
        msg["In-Reply-To"] = f"<{draft.in_reply_to}>"
    if draft.references:
        msg["References"] = " ".join(f"<{ref}>" for ref in draft.references)
    msg["X-Keyou-Id"] = draft.keyou_id
    msg["MIME-Version"] = "1.0"
    msg.set_content(draft.text, charset="utf-8")
    if draft.html:
        msg.add_alternative(draft.html, subtype="html", charset="utf-8")
    for part in draft.parts:
        maintype, _slash, subtype = part.content_type.partition("/")
        if not maintype or not subtype or maintype == "multipart":
            maintype, subtype = "application", "octet-stream"
        msg.add_attachment(part.data, maintype=maintype, subtype=subtype, filename=part.filename)
    return msg.as_bytes()


def without_bcc(raw: bytes) -> bytes:
    """Return RAW with its Bcc header removed: the bytes that go over SMTP."""
    end = _HEAD_END.search(raw)
    if end is None:
        return raw
    head = raw[: end.start() + len(end.group(0)) // 2]
    return _BCC_HEADER.sub(b"", head) + raw[len(head) :]
