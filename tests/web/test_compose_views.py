"""Writing mail through the web pages: compose, reply, forward, status and the outbox."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from keyou.mail.models import Message, OutgoingMessage, OutgoingStatus, Security
from keyou.mail.parse import parse_message


@pytest.fixture
def sending(acme_mail, smtp_server):
    """alice@ sends through the test SMTP server; sales@ is team Europe's shared mailbox."""
    for box in (acme_mail.alice, acme_mail.sales):
        box.smtp_host, box.smtp_port, box.smtp_security = (
            "127.0.0.1",
            smtp_server.port,
            Security.NONE,
        )
        box.save()
    acme_mail.sales.team_id = acme_mail.alice.team_id
    acme_mail.sales.save()
    return acme_mail


def _quote() -> Message:
    return Message.objects.get(message_id="quote-1@acme.co.uk")


def test_thread_page_offers_reply_reply_all_and_forward(people, sending, login):
    quote = _quote()
    page = login(people.alice).get(reverse("thread_detail", args=[quote.thread_id]))
    assert page.status_code == 200
    body = page.content.decode()
    for kind in ("reply", "reply_all", "forward"):
        assert f"?kind={kind}&amp;parent={quote.pk}" in body


def test_reply_page_is_prefilled_and_posting_queues_and_redirects_to_the_thread(
    people, sending, login, smtp_server, django_capture_on_commit_callbacks
):
    client = login(people.alice)
    quote = _quote()
    page = client.get(reverse("compose"), {"kind": "reply_all", "parent": quote.pk})
    assert page.status_code == 200
    form = page.context["form"]
    assert form.initial["to"] == "Anna Buyer <anna@acme.co.uk>"
    assert form.initial["subject"] == "Re: Quotation request: LED panels"
    assert form.initial["mailbox"] == sending.alice.pk  # the mailbox the mail came to
    assert "Anna Buyer wrote:" in page.context["quote"]

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("compose"),
            {
                "mailbox": sending.alice.pk,
                "to": "Anna Buyer <anna@acme.co.uk>",
                "cc": "ben@acme.co.uk",
                "bcc": "boss@demo-trading.com",
                "subject": "Re: Quotation request: LED panels",
                "body": "Price: 12 USD each.",
                "include_quote": "on",
                "kind": "reply_all",
                "parent": quote.pk,
                "files": [SimpleUploadedFile("offer.pdf", b"%PDF-1.4", "application/pdf")],
            },
        )
    row = OutgoingMessage.objects.get()
    assert response.status_code == 302
    assert response["Location"] == (
        reverse("thread_detail", args=[quote.thread_id]) + f"#m{row.filed_id}"
    )
    got = smtp_server.wait_for(1)[0]
    assert sorted(got.rcpt_tos) == ["anna@acme.co.uk", "ben@acme.co.uk", "boss@demo-trading.com"]
    parsed = parse_message(got.data)
    assert parsed.in_reply_to == ["quote-1@acme.co.uk"]
    assert [a.filename for a in parsed.attachments] == ["offer.pdf"]
    assert "> Please quote 500 LED panels." in parsed.text

    page = client.get(response["Location"])
    text = page.content.decode()
    assert "queued for sending" in text
    assert "Price: 12 USD each." in text
    assert 'class="badge badge-ok outgoing-status"' in text


def test_a_refused_message_shows_the_reason_and_a_retry_button(
    people, sending, login, smtp_server, django_capture_on_commit_callbacks
):
    smtp_server.reject_with = "550 5.1.1 No such user here"
    client = login(people.alice)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("compose"),
            {
                "mailbox": sending.alice.pk,
                "to": "anna@acme.co.uk",
                "subject": "Hello",
                "body": "Hi",
                "kind": "new",
            },
        )
    row = OutgoingMessage.objects.get()
    assert row.status == OutgoingStatus.FAILED
    thread_page = client.get(response["Location"]).content.decode()
    assert "550 5.1.1 No such user here" in thread_page
    assert reverse("outbox_retry", args=[row.pk]) in thread_page

    outbox = client.get(reverse("outbox")).content.decode()
    assert "550 5.1.1 No such user here" in outbox and "Hello" in outbox
    assert "Hello" not in login(people.bob).get(reverse("outbox")).content.decode()

    smtp_server.reject_with = None
    assert login(people.bob).post(reverse("outbox_retry", args=[row.pk])).status_code == 404
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("outbox_retry", args=[row.pk]))
    row.refresh_from_db()
    assert row.status == OutgoingStatus.SENT
    assert "Hello" not in client.get(reverse("outbox")).content.decode()


def test_write_email_from_the_account_page(people, crm, sending, login):
    client = login(people.alice)
    page = client.get(reverse("account_detail", args=[crm.acme.pk])).content.decode()
    link = reverse("compose") + "?to=anna%40acme.co.uk"
    assert link in page
    form = client.get(link).context["form"]
    assert form.initial["to"] == "anna@acme.co.uk" and form.initial["kind"] == "new"


def test_forward_keeps_the_originals_attachments_when_asked(
    people, sending, login, smtp_server, django_capture_on_commit_callbacks
):
    quote = _quote()
    quote.attachments.create(
        sha256="0" * 64, filename="missing.pdf", content_type="application/pdf", size=3
    )
    client = login(people.alice)
    page = client.get(reverse("compose"), {"kind": "forward", "parent": quote.pk})
    assert "missing.pdf" in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("compose"),
            {
                "mailbox": sending.alice.pk,
                "to": "ben@acme.co.uk",
                "subject": "Fwd: Quotation request: LED panels",
                "body": "See below.",
                "include_quote": "on",
                "keep": [quote.attachments.get().pk],
                "kind": "forward",
                "parent": quote.pk,
            },
        )
    # The stored file is gone: the form says so instead of sending without it.
    assert response.status_code == 200
    assert "missing.pdf" in response.content.decode()
    assert OutgoingMessage.objects.count() == 0


def test_bad_address_is_shown_on_the_form(people, sending, login):
    response = login(people.alice).post(
        reverse("compose"),
        {"mailbox": sending.alice.pk, "to": "anna@", "subject": "x", "kind": "new"},
    )
    assert response.status_code == 200
    assert "Not an email address: anna@" in response.content.decode()
    assert OutgoingMessage.objects.count() == 0


def test_who_may_not_send_or_see_the_parent_gets_404(people, sending, login):
    quote = _quote()
    carol = login(people.carol)  # team Asia: cannot see acme's mail, no mailbox here
    assert carol.get(reverse("compose"), {"kind": "reply", "parent": quote.pk}).status_code == 404
    # Bob (team Europe) may send from sales@ but not from alice's own mailbox.
    bob = login(people.bob)
    response = bob.post(
        reverse("compose"),
        {"mailbox": sending.alice.pk, "to": "anna@acme.co.uk", "subject": "x", "kind": "new"},
    )
    assert response.status_code == 200
    assert "mailbox" in response.context["form"].errors
    assert OutgoingMessage.objects.count() == 0
    page = bob.get(reverse("compose"))
    assert [c[0] for c in page.context["form"].fields["mailbox"].choices] == [sending.sales.pk]
    # Carol has no mailbox to send from at all.
    assert carol.get(reverse("compose")).status_code == 403
