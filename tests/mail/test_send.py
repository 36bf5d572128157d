"""Sending mail: compose files at once, delivery over a real SMTP server, retries, Sent.

No SMTP mocks: the `smtp_server` fixture is aiosmtpd on 127.0.0.1, `dovecot` a real IMAP.
"""

from __future__ import annotations

import imaplib
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from email.policy import default as default_policy

import pytest
from django.utils import timezone

from keyou.crm.models import Activity
from keyou.crm.selectors import NotFound
from keyou.mail.crypto import secret_encrypt
from keyou.mail.ingest import mail_ingest
from keyou.mail.models import (
    Direction,
    Message,
    OutgoingKind,
    OutgoingMessage,
    OutgoingStatus,
    Security,
    ThreadRef,
)
from keyou.mail.parse import parse_message
from keyou.mail.send import (
    AttachmentIn,
    ComposeInvalid,
    compose_defaults,
    mailboxes_sendable_by,
    message_compose,
    outbox_deliver,
    outbox_due,
    outbox_retry,
)
from keyou.mail.sources import RawItem
from keyou.people.services import user_add
from tests.mail.mailfactory import raw_message
from tests.mailservers import free_port

PARENT_ID = "q1@acme.co.uk"


def ingest(box, raw, folder="INBOX"):
    return mail_ingest(mailbox=box, items=[RawItem(source="test", raw=raw)], folder=folder)


@pytest.fixture
def alice_box(org, smtp_server):
    box = org["boxes"]["alice"]
    box.smtp_host, box.smtp_port, box.smtp_security = "127.0.0.1", smtp_server.port, Security.NONE
    box.save()
    org["alice"].first_name = "Alice"
    org["alice"].last_name = "Wang"
    org["alice"].save()
    return box


@pytest.fixture
def parent(alice_box):
    """A customer's question in alice's inbox, itself a reply within a longer thread."""
    ingest(
        alice_box,
        raw_message(
            sender="Anna Buyer <anna@acme.co.uk>",
            to="alice@demo-trading.com",
            cc="ben@acme.co.uk",
            subject="Re: LED panels",
            body="Please quote 500 LED panels.\n\n> earlier text",
            message_id=f"<{PARENT_ID}>",
            in_reply_to="<root@acme.co.uk>",
            references="<root@acme.co.uk>",
            date=datetime(2026, 3, 2, 8, 30, tzinfo=UTC),
        ),
    )
    return Message.objects.get(message_id=PARENT_ID)


def compose(actor, box, deliver=True, **kwargs):
    """Compose as ACTOR; with DELIVER run the queued task as the commit would."""
    from django.test import TestCase

    kwargs.setdefault("to", ["anna@acme.co.uk"])
    kwargs.setdefault("subject", "Offer")
    kwargs.setdefault("body", "Our offer is attached.")
    with TestCase.captureOnCommitCallbacks(execute=deliver):
        return message_compose(actor, mailbox=box, **kwargs)


def test_reply_reaches_the_server_with_threading_headers_and_no_bcc(
    org, alice_box, parent, smtp_server
):
    row = compose(
        org["alice"],
        alice_box,
        kind=OutgoingKind.REPLY_ALL,
        parent=parent,
        to=["Anna Buyer <anna@acme.co.uk>"],
        cc=["ben@acme.co.uk"],
        bcc=["boss@demo-trading.com"],
        subject="Re: LED panels",
        body="Here is our price.",
    )

    got = smtp_server.wait_for(1)[0]
    row.refresh_from_db()
    assert row.status == OutgoingStatus.SENT and row.sent_at is not None
    assert sorted(got.rcpt_tos) == ["anna@acme.co.uk", "ben@acme.co.uk", "boss@demo-trading.com"]
    assert got.mail_from == "alice@demo-trading.com"
    msg = got.message
    assert msg["Message-ID"] == f"<{row.message_id}>"
    assert msg["Message-ID"].endswith("@demo-trading.com>")
    assert msg["In-Reply-To"] == f"<{PARENT_ID}>"
    assert msg["References"].split() == ["<root@acme.co.uk>", f"<{PARENT_ID}>"]
    assert msg["X-Keyou-Id"] == str(row.keyou_id)
    assert msg["Bcc"] is None and b"boss@demo-trading.com" not in got.data
    assert "Alice Wang" in str(message_from_bytes(got.data, policy=default_policy)["From"])
    text = parse_message(got.data).text
    assert text.startswith("Here is our price.")
    assert "On 2026-03-02" in text and "Anna Buyer wrote:" in text
    assert "> Please quote 500 LED panels." in text


def test_the_sent_message_is_on_the_timeline_at_once_in_the_parents_thread(
    org, alice_box, parent, smtp_server
):
    row = compose(org["alice"], alice_box, deliver=False, kind=OutgoingKind.REPLY, parent=parent)

    assert row.status == OutgoingStatus.QUEUED and smtp_server.received == []
    filed = row.filed
    assert filed is not None and filed.direction == Direction.OUTBOUND
    assert filed.thread_id == parent.thread_id
    assert str(filed.keyou_id) == str(row.keyou_id)
    parent_accounts = set(
        Activity.objects.filter(message=parent).values_list("account_id", flat=True)
    )
    assert parent_accounts
    assert set(Activity.objects.filter(message=filed).values_list("account_id", flat=True)) == (
        parent_accounts
    )
    assert filed.copies.get().folder == "Sent"
    parent.thread.refresh_from_db()
    assert parent.thread.awaiting_since is None  # answered


def test_chinese_subject_body_and_names_round_trip(org, alice_box, smtp_server):
    org["alice"].first_name, org["alice"].last_name = "丽", "王"
    org["alice"].save()
    compose(
        org["alice"],
        alice_box,
        to=["李伟 <li.wei@globex.cn>"],
        subject="报价单：LED 面板（含运费）",
        body="李先生您好，\n\n附件是我们的报价，请查收。",
    )

    parsed = parse_message(smtp_server.wait_for(1)[0].data)
    assert parsed.subject == "报价单：LED 面板（含运费）"
    assert parsed.text.startswith("李先生您好，\n\n附件是我们的报价，请查收。")
    assert parsed.to[0].name == "李伟"
    assert parsed.from_[0].name in ("丽 王", "王丽", "丽王")
    stored = Message.objects.get(subject="报价单：LED 面板（含运费）")
    assert stored.direction == Direction.OUTBOUND


def test_attachments_arrive_uploaded_and_forwarded(org, alice_box, smtp_server):
    ingest(
        alice_box,
        b"From: Anna <anna@acme.co.uk>\r\nTo: alice@demo-trading.com\r\n"
        b"Subject: Drawing\r\nMessage-ID: <att@acme.co.uk>\r\n"
        b"Date: Mon, 02 Mar 2026 08:30:00 +0000\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\n'
        b"Content-Type: text/plain\r\n\r\nSee the drawing.\r\n--b\r\n"
        b'Content-Type: application/pdf; name="drawing.pdf"\r\n'
        b'Content-Disposition: attachment; filename="drawing.pdf"\r\n'
        b"Content-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQK\r\n--b--\r\n",
    )
    original = Message.objects.get(message_id="att@acme.co.uk")
    defaults = compose_defaults(org["alice"], kind=OutgoingKind.FORWARD, parent=original)
    assert [a.filename for a in defaults.attachments] == ["drawing.pdf"]
    assert defaults.subject == "Fwd: Drawing"

    row = compose(
        org["alice"],
        alice_box,
        kind=OutgoingKind.FORWARD,
        parent=original,
        to=["ben@acme.co.uk"],
        subject=defaults.subject,
        body="FYI",
        attachments=[
            AttachmentIn(attachment_id=defaults.attachments[0].pk),
            AttachmentIn(filename="价格表.csv", content_type="text/csv", data=b"item,price\n1,2\n"),
        ],
    )

    parsed = parse_message(smtp_server.wait_for(1)[0].data)
    files = {a.filename: a.data for a in parsed.attachments}
    assert files == {"drawing.pdf": b"%PDF-1.4\n", "价格表.csv": b"item,price\n1,2\n"}
    assert "Forwarded message" in parsed.text and "See the drawing." in parsed.text
    assert parsed.in_reply_to == []
    assert [a["filename"] for a in row.attachments] == ["drawing.pdf", "价格表.csv"]
    assert row.filed.attachments.count() == 2


def test_forwarding_an_attachment_of_another_message_is_refused(org, alice_box, parent):
    other = Message.objects.create(
        dedupe_key="x", content_hash="x", raw_sha256="x", sent_at=timezone.now()
    )
    attachment = other.attachments.create(
        sha256="0" * 64, filename="secret.pdf", content_type="application/pdf", size=1
    )
    with pytest.raises(ComposeInvalid) as caught:
        compose(
            org["alice"],
            alice_box,
            kind=OutgoingKind.FORWARD,
            parent=parent,
            attachments=[AttachmentIn(attachment_id=attachment.pk)],
        )
    assert "attachments" in caught.value.errors


def test_bad_addresses_and_no_recipients_are_refused(org, alice_box):
    with pytest.raises(ComposeInvalid) as caught:
        compose(org["alice"], alice_box, to=["anna@", "ok@acme.co.uk"], bcc=["x y"])
    assert set(caught.value.errors) == {"to", "bcc"}
    with pytest.raises(ComposeInvalid) as caught:
        compose(org["alice"], alice_box, to=[])
    assert "to" in caught.value.errors
    assert OutgoingMessage.objects.count() == 0


def test_a_rejected_message_fails_with_the_servers_reason_and_no_retry(org, alice_box, smtp_server):
    smtp_server.reject_with = "550 5.7.1 Relaying denied for this sender"
    row = compose(org["alice"], alice_box)

    row.refresh_from_db()
    assert row.status == OutgoingStatus.FAILED
    assert row.attempts == 1 and row.next_attempt_at is None
    assert "550" in row.last_error and "Relaying denied" in row.last_error
    later = timezone.now() + timedelta(days=1)
    assert outbox_due(later) == []
    assert outbox_deliver(row.pk, now=later) is None
    assert row.filed is not None  # still on the timeline, marked by the row's status


def test_a_temporary_failure_is_retried_and_sent_when_the_server_accepts(
    org, alice_box, smtp_server
):
    smtp_server.reject_with = "451 4.3.0 Mailbox busy, try again later"
    row = compose(org["alice"], alice_box)

    row.refresh_from_db()
    assert row.status == OutgoingStatus.QUEUED and row.attempts == 1
    assert "451" in row.last_error
    wait = row.next_attempt_at - timezone.now()
    assert timedelta(seconds=30) < wait <= timedelta(minutes=1)
    assert outbox_due() == []
    assert outbox_deliver(row.pk) is None  # not due yet

    smtp_server.reject_with = None
    soon = timezone.now() + timedelta(minutes=2)
    assert outbox_due(soon) == [row.pk]
    assert outbox_deliver(row.pk, now=soon) == OutgoingStatus.SENT
    assert len(smtp_server.wait_for(1)) == 1
    row.refresh_from_db()
    assert (row.status, row.attempts, row.last_error) == (OutgoingStatus.SENT, 2, "")


def test_connection_refused_is_retried_with_backoff_until_the_server_is_back(
    org, alice_box, smtp_server
):
    alice_box.smtp_port = free_port()  # nothing listens there
    alice_box.save()
    row = compose(org["alice"], alice_box)
    row.refresh_from_db()
    assert row.status == OutgoingStatus.QUEUED and row.last_error

    now = timezone.now()
    waits = [row.next_attempt_at - now]
    for _attempt in range(2):
        now = row.next_attempt_at + timedelta(seconds=1)
        assert outbox_deliver(row.pk, now=now) == OutgoingStatus.QUEUED
        row.refresh_from_db()
        waits.append(row.next_attempt_at - now)
    assert [round(w.total_seconds() / 60) for w in waits] == [1, 5, 15]

    alice_box.smtp_port = smtp_server.port
    alice_box.save()
    assert outbox_deliver(row.pk, now=row.next_attempt_at) == OutgoingStatus.SENT
    assert smtp_server.wait_for(1)[0].message["X-Keyou-Id"] == str(row.keyou_id)


def test_after_five_failed_attempts_the_message_fails_and_can_be_retried_by_hand(
    org, alice_box, smtp_server
):
    smtp_server.reject_with = "421 4.7.0 Too many connections"
    row = compose(org["alice"], alice_box)
    for _attempt in range(4):
        row.refresh_from_db()
        outbox_deliver(row.pk, now=row.next_attempt_at)
    row.refresh_from_db()
    assert (row.status, row.attempts, row.next_attempt_at) == (OutgoingStatus.FAILED, 5, None)

    smtp_server.reject_with = None
    with pytest.raises(NotFound):
        outbox_retry(org["bob"], row.pk)
    from django.test import TestCase

    with TestCase.captureOnCommitCallbacks(execute=True):
        outbox_retry(org["alice"], row.pk)
    row.refresh_from_db()
    assert row.status == OutgoingStatus.SENT


def test_a_rewritten_message_id_joins_the_same_message_and_thread(
    org, alice_box, parent, smtp_server
):
    row = compose(org["alice"], alice_box, kind=OutgoingKind.REPLY, parent=parent)
    wire = smtp_server.wait_for(1)[0].data
    # What the provider keeps in Sent, and what the customer received: a new Message-ID.
    rewritten = wire.replace(
        f"Message-ID: <{row.message_id}>".encode(), b"Message-ID: <0100018e2b@email.amazonses.com>"
    )
    assert rewritten != wire
    before = Message.objects.count()

    stats = ingest(alice_box, rewritten, folder="Sent Items")

    assert (stats.new, Message.objects.count()) == (0, before)
    assert set(row.filed.copies.values_list("folder", flat=True)) == {"Sent", "Sent Items"}
    ref = ThreadRef.objects.get(message_id="0100018e2b@email.amazonses.com")
    assert ref.thread_id == parent.thread_id

    # The customer answers the rewritten id only, with a subject that matches nothing.
    ingest(
        alice_box,
        raw_message(
            sender="Anna Buyer <anna@acme.co.uk>",
            subject="A question on delivery",
            body="When can you ship?",
            message_id="<answer-2@acme.co.uk>",
            in_reply_to="<0100018e2b@email.amazonses.com>",
            date=datetime.now(UTC),
        ),
    )
    assert Message.objects.get(message_id="answer-2@acme.co.uk").thread_id == parent.thread_id


def test_a_copied_keyou_id_does_not_swallow_a_strangers_mail(org, alice_box, smtp_server):
    row = compose(org["alice"], alice_box)
    forged = raw_message(
        sender="Mallory <m@evil.example>",
        subject="Hello",
        message_id="<forged@evil.example>",
        extra_headers=f"X-Keyou-Id: {row.keyou_id}",
    )
    stats = ingest(alice_box, forged)
    assert stats.new == 1


def test_only_allowed_senders_and_visible_parents(org, alice_box, parent):
    sales = org["boxes"]["sales"]
    sales.team = org["alice"].team
    sales.save()
    admin = user_add(username="root", email="root@demo-trading.com", admin=True)

    assert set(mailboxes_sendable_by(org["alice"])) == {alice_box, sales}
    assert set(mailboxes_sendable_by(org["bob"])) == {org["boxes"]["bob"], sales}
    assert set(mailboxes_sendable_by(org["carol"])) == {org["boxes"]["carol"]}
    assert alice_box not in set(mailboxes_sendable_by(admin))  # personal: owners only

    with pytest.raises(NotFound):
        compose(org["bob"], alice_box)  # not his mailbox
    with pytest.raises(NotFound):
        compose(org["carol"], sales)  # another team's shared mailbox
    with pytest.raises(NotFound):
        # Carol may send from her own mailbox but may not see alice's customer mail.
        compose(org["carol"], org["boxes"]["carol"], kind=OutgoingKind.REPLY, parent=parent)
    assert OutgoingMessage.objects.count() == 0
    compose(org["bob"], sales, deliver=False)
    assert OutgoingMessage.objects.get().sender == org["bob"]


@pytest.fixture
def imap_box(alice_box, dovecot):
    dovecot.add_user("alice@demo-trading.com", "secret-pw")
    alice_box.imap_host, alice_box.imap_port = "127.0.0.1", dovecot.port
    alice_box.imap_security = Security.NONE
    alice_box.username = "alice@demo-trading.com"
    alice_box.password_encrypted = secret_encrypt("secret-pw")
    alice_box.save()
    return alice_box


def _sent_folder(dovecot) -> list[bytes]:
    conn = imaplib.IMAP4("127.0.0.1", dovecot.port)
    conn.login("alice@demo-trading.com", "secret-pw")
    try:
        conn.select("Sent", readonly=True)
        _status, data = conn.search(None, "ALL")
        found = []
        for number in data[0].split():
            _status, parts = conn.fetch(number, "(RFC822)")
            found.append(parts[0][1])
        return found
    finally:
        conn.logout()


def test_the_sent_copy_is_appended_to_sent_unless_the_server_keeps_one(
    org, imap_box, dovecot, smtp_server
):
    row = compose(org["alice"], imap_box, bcc=["boss@demo-trading.com"])
    row.refresh_from_db()
    assert row.status == OutgoingStatus.SENT and row.appended_to_sent
    [copy] = _sent_folder(dovecot)
    assert parse_message(copy).keyou_id == str(row.keyou_id)
    assert b"boss@demo-trading.com" in copy  # the sender's own copy keeps the Bcc
    # Syncing that copy back later finds the same message.
    assert ingest(imap_box, copy, folder="Sent").new == 0

    imap_box.server_saves_sent = True
    imap_box.save()
    second = compose(org["alice"], imap_box, subject="Second")
    second.refresh_from_db()
    assert second.status == OutgoingStatus.SENT and not second.appended_to_sent
    assert len(_sent_folder(dovecot)) == 1


def test_a_failed_append_does_not_fail_the_send(org, imap_box, dovecot, smtp_server):
    imap_box.password_encrypted = secret_encrypt("wrong")
    imap_box.save()
    row = compose(org["alice"], imap_box)
    row.refresh_from_db()
    assert row.status == OutgoingStatus.SENT and not row.appended_to_sent
    assert len(smtp_server.wait_for(1)) == 1


def test_the_periodic_sweep_delivers_what_is_due(org, alice_box, smtp_server):
    from keyou.mail.send_tasks import outbox_retry_due

    smtp_server.reject_with = "451 4.3.0 try later"
    row = compose(org["alice"], alice_box)
    smtp_server.reject_with = None
    OutgoingMessage.objects.filter(pk=row.pk).update(
        next_attempt_at=timezone.now() - timedelta(seconds=1)
    )

    outbox_retry_due()

    row.refresh_from_db()
    assert row.status == OutgoingStatus.SENT
    assert len(smtp_server.wait_for(1)) == 1


@pytest.fixture
def auth_server():
    from tests.mailservers import SmtpServer

    server = SmtpServer(users={"alice@demo-trading.com": "smtp-pw"})
    server.start()
    yield server
    server.stop()


def test_login_with_the_stored_password_and_a_wrong_one_fails_for_good(org, alice_box, auth_server):
    alice_box.smtp_port = auth_server.port
    alice_box.password_encrypted = secret_encrypt("smtp-pw")
    alice_box.save()
    row = compose(org["alice"], alice_box)
    row.refresh_from_db()
    assert row.status == OutgoingStatus.SENT
    assert len(auth_server.wait_for(1)) == 1

    alice_box.password_encrypted = secret_encrypt("wrong")
    alice_box.save()
    row = compose(org["alice"], alice_box, subject="Second")
    row.refresh_from_db()
    assert row.status == OutgoingStatus.FAILED and row.next_attempt_at is None
    assert "password" in row.last_error
