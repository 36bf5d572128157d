"""The mail pages through HTTP: thread, sandboxed HTML body, parts, re-filing, problem mail.

All mail comes in through the real ingest path (tests/web/mail_fixtures.py).
"""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import unquote

import pytest
from django.test import Client
from django.urls import reverse

from keyou.crm.models import Account, Activity, ActivityKind
from keyou.mail.models import Message
from tests.web.mail_fixtures import (
    HOSTILE_HTML,
    PNG,
    T0,
    ingest,
    mail_org,
    message,
    mime,
)

BODY_CSP = (
    "default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'; font-src 'none'; "
    "frame-ancestors 'self'; form-action 'none'; base-uri 'none'"
)


@pytest.fixture
def org(db):
    return mail_org()


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def text_of(response) -> str:
    if response.streaming:
        return b"".join(response.streaming_content).decode()
    return response.content.decode()


def bytes_of(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def iframe_tags(page: str) -> list[str]:
    return re.findall(r"<iframe\b[^>]*>", page, re.IGNORECASE)


@pytest.fixture
def conversation(org):
    """A customer's inquiry (seen in alice's inbox and sales@) and alice's reply."""
    inquiry = mime(
        sender="Hans Buyer <hans@acme-industrial.de>",
        to="Alice Wang <alice@demo-trading.com>",
        cc="Sales Team <sales@demo-trading.com>",
        subject="Inquiry: steel pipes",
        text="Please quote 500 pcs of DN50 steel pipe.",
        message_id="<q1@acme-industrial.de>",
    )
    reply = mime(
        sender="Alice Wang <alice@demo-trading.com>",
        to="Hans Buyer <hans@acme-industrial.de>",
        subject="Re: Inquiry: steel pipes",
        text="Our price is USD 12.50 per piece.\n\nOn Monday Hans wrote:\n> Please quote 500 pcs",
        message_id="<r1@demo-trading.com>",
        in_reply_to="<q1@acme-industrial.de>",
        date=T0 + timedelta(hours=2),
    )
    ingest(org.boxes.alice, inquiry)
    ingest(org.boxes.sales, inquiry)
    ingest(org.boxes.alice, reply, folder="Sent")
    return message("q1@acme-industrial.de"), message("r1@demo-trading.com")


@pytest.fixture
def hostile(org) -> Message:
    raw = mime(subject="Your order", text=None, html=HOSTILE_HTML, message_id="<evil@acme.example>")
    ingest(org.boxes.alice, raw)
    return message("evil@acme.example")


@pytest.fixture
def with_parts(org) -> Message:
    """A message with an inline logo (cid), an SVG inline part and a Chinese-named PDF."""
    raw = mime(
        subject="报价单 / quotation",
        text="See the attached quotation.",
        html='<p>Our logo:</p><img src="cid:logo.1@acme-industrial.de" alt="logo">'
        '<img src="cid:vector.2@acme-industrial.de">',
        message_id="<parts@acme-industrial.de>",
        inline_images=(
            ("logo.1@acme-industrial.de", "image/png", PNG),
            ("vector.2@acme-industrial.de", "image/svg+xml", b"<svg onload='alert(1)'/>"),
        ),
        attachments=(("报价单.pdf", "application/pdf", b"%PDF-1.4 quotation"),),
    )
    ingest(org.boxes.alice, raw)
    return message("parts@acme-industrial.de")


# -- thread page -----------------------------------------------------------------------


def test_thread_shows_messages_in_order_with_their_mailboxes(org, conversation):
    inquiry, reply = conversation
    assert inquiry.thread_id == reply.thread_id

    response = client_for(org.alice).get(reverse("thread_detail", args=[inquiry.thread_id]))

    assert response.status_code == 200
    page = response.content.decode()
    assert page.index("Please quote 500 pcs of DN50") < page.index("Our price is USD 12.50")
    assert "alice@demo-trading.com · INBOX" in page
    assert "sales@demo-trading.com · INBOX" in page
    assert "alice@demo-trading.com · Sent" in page
    assert "Sales Team" in page and "hans@acme-industrial.de" in page
    assert "dir-inbound" in page and "dir-outbound" in page
    # The reply's quote is folded away, and the full text is one click away.
    assert '<details class="msg-quoted">' in page
    assert reverse("message_raw", args=[inquiry.pk]) in page
    account = Account.objects.get(domains__domain="acme-industrial.de")
    assert reverse("account_detail", args=[account.pk]) in page


def test_teammate_sees_the_thread_through_the_customer(org, conversation):
    inquiry, _reply = conversation
    response = client_for(org.bob).get(reverse("thread_detail", args=[inquiry.thread_id]))
    assert response.status_code == 200


def test_html_is_shown_only_in_an_empty_sandbox(org, hostile):
    response = client_for(org.alice).get(reverse("thread_detail", args=[hostile.thread_id]))

    frames = iframe_tags(response.content.decode())
    assert len(frames) == 1
    frame = frames[0]
    assert re.search(r'\ssandbox=""', frame)
    assert "allow-" not in frame
    assert f'src="{reverse("message_body", args=[hostile.pk])}"' in frame
    assert 'referrerpolicy="no-referrer"' in frame
    # The tracking pixel was blocked; the reader may load it into that same frame.
    page = response.content.decode()
    assert f'name="msg-body-{hostile.pk}"' in frame
    show = re.search(r"<a\b[^>]*\?images=1[^>]*>", page)
    assert show and f'target="msg-body-{hostile.pk}"' in show.group(0)


def test_text_only_message_has_no_html_body(org, conversation):
    inquiry, _reply = conversation
    alice = client_for(org.alice)
    assert alice.get(reverse("message_body", args=[inquiry.pk])).status_code == 404
    page = alice.get(reverse("thread_detail", args=[inquiry.thread_id])).content.decode()
    assert not iframe_tags(page)


def test_hostile_html_body_is_inert(org, hostile):
    response = client_for(org.alice).get(reverse("message_body", args=[hostile.pk]))

    assert response.status_code == 200
    assert response["Content-Security-Policy"] == BODY_CSP
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "no-referrer"
    assert response["X-Frame-Options"] == "SAMEORIGIN"
    body = response.content.decode().lower()
    for active in ("<script", "onerror", "onload", "javascript:", "<form", "<iframe", "http-equiv"):
        assert active not in body, active
    assert not re.search(r"""\ssrc\s*=\s*["']?[^"'>]*evil\.example""", body)
    assert "total: usd 1,200" in body


def test_show_images_restores_remote_sources(org, hostile):
    response = client_for(org.alice).get(
        reverse("message_body", args=[hostile.pk]), {"images": "1"}
    )

    assert 'src="http://evil.example/x.png"' in response.content.decode()
    assert "img-src 'self' data: https: http:;" in response["Content-Security-Policy"]
    assert "default-src 'none'" in response["Content-Security-Policy"]


def test_inline_image_is_served_by_content_id(org, with_parts):
    alice = client_for(org.alice)
    body = alice.get(reverse("message_body", args=[with_parts.pk])).content.decode()
    url = reverse("message_cid", args=[with_parts.pk, "logo.1@acme-industrial.de"])
    found = re.search(r'src="(' + re.escape(url) + r'[^"]*)"', body)
    assert found, body
    image_url = found.group(1).replace("&amp;", "&")

    response = alice.get(image_url)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"].startswith("inline")
    assert bytes_of(response) == PNG
    # A sandboxed frame sends no cookie: the URL's token stands in for the session.
    assert Client().get(image_url).status_code == 200
    assert Client().get(url).status_code == 302  # no token, no session: log in
    forged = image_url.replace(f"/messages/{with_parts.pk}/", f"/messages/{with_parts.pk + 1}/")
    assert Client().get(forged).status_code == 302


def test_inline_parts_that_are_not_raster_images_are_not_served(org, with_parts):
    url = reverse("message_cid", args=[with_parts.pk, "vector.2@acme-industrial.de"])
    assert client_for(org.alice).get(url).status_code == 404
    missing = reverse("message_cid", args=[with_parts.pk, "nothing@here"])
    assert client_for(org.alice).get(missing).status_code == 404


def test_attachment_with_chinese_name_downloads_as_a_file(org, with_parts):
    pdf = with_parts.attachments.get(content_type="application/pdf")
    assert pdf.filename == "报价单.pdf"

    response = client_for(org.alice).get(reverse("attachment_download", args=[pdf.pk]))

    assert response.status_code == 200
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;")
    encoded = re.search(r"filename\*=utf-8''(\S+)", disposition, re.IGNORECASE)
    assert encoded and encoded.group(1) == "%E6%8A%A5%E4%BB%B7%E5%8D%95.pdf"
    assert unquote(encoded.group(1)) == "报价单.pdf"
    assert disposition.encode("latin-1")  # a header value browsers can read
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert bytes_of(response) == b"%PDF-1.4 quotation"


def test_thread_lists_attachments_but_not_the_images_shown_inline(org, with_parts):
    page = client_for(org.alice).get(reverse("thread_detail", args=[with_parts.thread_id]))
    text = page.content.decode()
    pdf = with_parts.attachments.get(content_type="application/pdf")
    logo = with_parts.attachments.get(content_type="image/png")
    assert reverse("attachment_download", args=[pdf.pk]) in text
    assert "报价单.pdf" in text
    assert reverse("attachment_download", args=[logo.pk]) not in text


def test_html_attachment_is_never_shown_inline(org):
    raw = mime(
        message_id="<page@acme-industrial.de>",
        attachments=(("invoice.html", "text/html", b"<script>alert(1)</script>"),),
    )
    ingest(org.boxes.alice, raw)
    page = message("page@acme-industrial.de").attachments.get()

    response = client_for(org.alice).get(reverse("attachment_download", args=[page.pk]))

    assert response["Content-Disposition"] == 'attachment; filename="invoice.html"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]


def test_raw_download_is_the_original_bytes(org):
    raw = mime(message_id="<raw@acme-industrial.de>", text="Bytes as they came.\r\n")
    ingest(org.boxes.alice, raw)
    stored = message("raw@acme-industrial.de")

    response = client_for(org.alice).get(reverse("message_raw", args=[stored.pk]))

    assert response.status_code == 200
    assert response["Content-Type"] == "message/rfc822"
    assert response["Content-Disposition"] == f'attachment; filename="message-{stored.pk}.eml"'
    assert bytes_of(response) == raw


# -- re-filing -------------------------------------------------------------------------


@pytest.fixture
def two_customers(org):
    ingest(
        org.boxes.alice,
        mime(message_id="<acme@acme-industrial.de>", subject="Pipes for Globex project"),
        mime(
            sender="Li Lei <li@globex-metals.cn>",
            message_id="<g1@globex-metals.cn>",
            subject="Hello",
            date=T0 - timedelta(days=3),
        ),
    )
    acme = Account.objects.get(domains__domain="acme-industrial.de")
    globex = Account.objects.get(domains__domain="globex-metals.cn")
    return message("acme@acme-industrial.de"), acme, globex


def test_refile_moves_the_timeline_entry(org, two_customers):
    moved, acme, globex = two_customers
    client = client_for(org.alice)

    response = client.post(
        reverse("message_refile", args=[moved.pk]),
        {"from_account": acme.pk, "to_account": globex.pk},
    )

    assert response.status_code == 302
    assert (
        response["Location"] == reverse("thread_detail", args=[moved.thread_id]) + f"#m{moved.pk}"
    )
    entries = Activity.objects.filter(message=moved, kind=ActivityKind.EMAIL)
    assert [e.account_id for e in entries] == [globex.pk]
    page = client.get(response["Location"]).content.decode()
    assert reverse("account_detail", args=[globex.pk]) in page


def test_refile_accepts_a_domain_and_offers_matching_customers(org, two_customers):
    moved, acme, globex = two_customers
    client = client_for(org.alice)

    page = client.get(
        reverse("thread_detail", args=[moved.thread_id]), {"m": moved.pk, "find": "globex"}
    ).content.decode()
    assert f'<option value="{globex.pk}">' in page

    client.post(
        reverse("message_refile", args=[moved.pk]),
        {"from_account": acme.pk, "to_account": "globex-metals.cn"},
    )
    assert Activity.objects.get(message=moved).account_id == globex.pk


def test_refile_to_a_customer_out_of_sight_changes_nothing(org, two_customers):
    moved, acme, _globex = two_customers
    ingest(org.boxes.carol, mime(sender="x@asia-buyer.jp", message_id="<a@asia-buyer.jp>"))
    hidden = Account.objects.get(domains__domain="asia-buyer.jp")

    response = client_for(org.alice).post(
        reverse("message_refile", args=[moved.pk]),
        {"from_account": acme.pk, "to_account": hidden.pk},
    )

    assert response.status_code == 302
    assert Activity.objects.get(message=moved).account_id == acme.pk


def test_refile_needs_post(org, two_customers):
    moved, _acme, _globex = two_customers
    response = client_for(org.alice).get(reverse("message_refile", args=[moved.pk]))
    assert response.status_code == 405


# -- who may see what ------------------------------------------------------------------


def test_outsider_gets_404_everywhere(org, conversation, with_parts, two_customers):
    inquiry, _reply = conversation
    _moved, acme, globex = two_customers
    pdf = with_parts.attachments.get(content_type="application/pdf")
    carol = client_for(org.carol)

    urls = [
        reverse("thread_detail", args=[inquiry.thread_id]),
        reverse("message_body", args=[with_parts.pk]),
        reverse("message_raw", args=[inquiry.pk]),
        reverse("attachment_download", args=[pdf.pk]),
        reverse("message_cid", args=[with_parts.pk, "logo.1@acme-industrial.de"]),
    ]
    for url in urls:
        assert carol.get(url).status_code == 404, url
    refile = carol.post(
        reverse("message_refile", args=[inquiry.pk]),
        {"from_account": acme.pk, "to_account": globex.pk},
    )
    assert refile.status_code == 404
    # Missing and hidden look the same.
    assert carol.get(reverse("thread_detail", args=[999_999])).status_code == 404


def test_anonymous_is_sent_to_log_in(org, conversation):
    inquiry, _reply = conversation
    response = Client().get(reverse("thread_detail", args=[inquiry.thread_id]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


# -- problem mail ----------------------------------------------------------------------


@pytest.fixture
def problem_mail(org):
    broken_date = mime(message_id="<late@acme-industrial.de>", subject="Odd date").replace(
        b"Date: ", b"Date: not a date at all; was "
    )
    ingest(org.boxes.sales, broken_date, b"\x00\x01 this is not mail\r\n\r\nat all")
    flagged = list(Message.objects.filter(is_flagged=True))
    assert len(flagged) == 2
    return flagged


def test_problem_list_shows_flagged_mail_to_admins(org, problem_mail):
    response = client_for(org.admin).get(reverse("problem_list"))

    assert response.status_code == 200
    page = response.content.decode()
    assert "Odd date" in page
    assert "sales@demo-trading.com" in page
    for flagged in problem_mail:
        assert reverse("message_raw", args=[flagged.pk]) in page
    assert "bad_date" in page


def test_problem_list_is_not_there_for_others(org, problem_mail):
    assert client_for(org.alice).get(reverse("problem_list")).status_code == 404


def test_problem_list_pages(org, problem_mail):
    response = client_for(org.admin).get(reverse("problem_list"), {"page": "99"})
    assert response.status_code == 200
    response = client_for(org.admin).get(reverse("problem_list"), {"page": "x"})
    assert response.status_code == 200
