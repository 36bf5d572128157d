"""Build small raw RFC 822 messages for tests."""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import format_datetime


def raw_message(
    *,
    sender: str = "Buyer <buyer@acme.co.uk>",
    to: str = "alice@demo-trading.com",
    cc: str = "",
    subject: str = "Quotation request",
    body: str = "Please send your price list.",
    message_id: str | None = "<q1@acme.co.uk>",
    in_reply_to: str = "",
    references: str = "",
    date: datetime | None = datetime(2026, 3, 2, 8, 30, tzinfo=UTC),
    extra_headers: str = "",
    charset: str = "utf-8",
) -> bytes:
    """Return the bytes of a simple text/plain message with the given headers."""
    lines = [f"From: {sender}", f"To: {to}"]
    if cc:
        lines.append(f"Cc: {cc}")
    lines.append(f"Subject: {subject}")
    if date is not None:
        lines.append(f"Date: {format_datetime(date)}")
    if message_id:
        lines.append(f"Message-ID: {message_id}")
    if in_reply_to:
        lines.append(f"In-Reply-To: {in_reply_to}")
    if references:
        lines.append(f"References: {references}")
    if extra_headers:
        lines.extend(extra_headers.strip("\n").split("\n"))
    lines += [
        "MIME-Version: 1.0",
        f"Content-Type: text/plain; charset={charset}",
        "Content-Transfer-Encoding: 8bit",
    ]
    head = "\r\n".join(lines).encode("utf-8")
    return head + b"\r\n\r\n" + body.encode(charset) + b"\r\n"
