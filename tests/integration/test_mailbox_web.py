"""Connecting a mailbox in the browser's forms, against a real Dovecot."""

from __future__ import annotations

import imaplib

from django.test import Client
from django.urls import reverse

from keyou.mail.models import MailboxCopy
from keyou.mail.services import mailbox_add
from keyou.people.services import organization_set, user_add
from tests.mail.mailfactory import raw_message

PASSWORD = "web-secret-9"


def test_owner_connects_tests_and_sees_history_arrive(db, dovecot):
    organization_set(name="Demo Trading", domains=["demo-trading.com"], time_zone="UTC")
    alice = user_add(username="alice", email="alice@demo-trading.com", team="Europe")
    box = mailbox_add(address="alice@demo-trading.com", owner="alice")
    dovecot.add_user(box.address, PASSWORD)
    conn = imaplib.IMAP4("127.0.0.1", dovecot.port)
    conn.login(box.address, PASSWORD)
    for i in range(3):
        conn.append("INBOX", None, None, raw_message(message_id=f"<w{i}@acme.co.uk>"))
    conn.logout()
    client = Client()
    client.force_login(alice)
    url = reverse("mailbox_detail", args=[box.pk])
    form = {
        "preset": "",
        "username": box.address,
        "password": PASSWORD,
        "imap_host": "127.0.0.1",
        "imap_port": dovecot.port,
        "imap_security": "none",
        "smtp_host": "127.0.0.1",
        "smtp_port": 2,
        "smtp_security": "none",
        "sync_months": 12,
    }
    response = client.post(url, form)
    assert response.status_code == 302
    # Tasks run at once in tests: the history is already in.
    assert MailboxCopy.objects.filter(mailbox=box).count() == 3
    page = client.get(url).content.decode()
    assert PASSWORD not in page
    assert "3 / 3" in page
    result = client.post(reverse("mailbox_test", args=[box.pk]), HTTP_HX_REQUEST="true")
    text = result.content.decode()
    assert "IMAP works" in text and "Cannot reach 127.0.0.1:2" in text
    # Saving again without a password keeps the stored one.
    form["password"] = ""
    assert client.post(url, form).status_code == 302
    box.refresh_from_db()
    assert box.password_encrypted


def test_form_errors_are_shown_not_raised(db):
    organization_set(name="Demo Trading", domains=["demo-trading.com"], time_zone="UTC")
    alice = user_add(username="alice", email="alice@demo-trading.com")
    box = mailbox_add(address="alice@demo-trading.com", owner="alice")
    client = Client()
    client.force_login(alice)
    response = client.post(
        reverse("mailbox_detail", args=[box.pk]),
        {"username": "x", "imap_security": "ssl", "smtp_security": "ssl", "sync_months": 12},
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "Enter the server, or choose a provider." in page
    assert "Enter the mailbox password." in page
