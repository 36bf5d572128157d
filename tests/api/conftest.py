"""A small company with real mail ingested, API tokens, and an HTTP client speaking JSON."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from functools import cache

import pytest

from keyou.api.services import token_create
from keyou.crm.models import Account
from keyou.crm.services import account_tag_add, account_update, note_add
from keyou.mail.ingest import mail_ingest
from keyou.mail.services import mailbox_add
from keyou.mail.sources import RawItem
from keyou.people.services import organization_set, user_add
from tests.api.helpers import ApiClient
from tests.mail.mailfactory import raw_message

T0 = datetime(2026, 3, 2, 8, 30, tzinfo=UTC)
# Customers written to from alice's mailbox (owner alice, team Europe), in date order.
EUROPE_DOMAINS = ["acme.co.uk", "bolt.de", "crane.fr", "delta.it", "eagle.nl", "fjord.no"]


def ingest(box, *raws, folder="INBOX"):
    items = [RawItem(source=f"api-test#{i}", raw=r) for i, r in enumerate(raws)]
    return mail_ingest(mailbox=box, items=items, folder=folder)


@cache
def raw_with_attachment() -> bytes:
    """Return an inbound message from acme with a PDF attached, cc'ing bob (same bytes each call)."""
    msg = EmailMessage()
    msg["From"] = "Buyer <buyer@acme.co.uk>"
    msg["To"] = "Alice <alice@demo-trading.com>"
    msg["Cc"] = "bob@demo-trading.com"
    msg["Subject"] = "Re: Quotation request"
    msg["Date"] = format_datetime(T0 + timedelta(days=2))
    msg["Message-ID"] = "<q3@acme.co.uk>"
    msg["In-Reply-To"] = "<r1@demo-trading.com>"
    msg["References"] = "<q1@acme.co.uk> <r1@demo-trading.com>"
    msg.set_content("Thanks, drawing attached.\n\n> earlier text\n")
    msg.add_attachment(
        b"%PDF-1.4 fake", maintype="application", subtype="pdf", filename="drawing.pdf"
    )
    return bytes(msg)


@pytest.fixture
def org(db):
    """A company with own domain demo-trading.com, two teams and their mailboxes."""
    organization_set(name="Demo Trading", domains=["demo-trading.com"], time_zone="Asia/Shanghai")
    alice = user_add(
        username="alice", email="alice@demo-trading.com", team="Europe", role="team_lead"
    )
    bob = user_add(username="bob", email="bob@demo-trading.com", team="Europe", role="team_lead")
    carol = user_add(username="carol", email="carol@demo-trading.com", team="Asia")
    boxes = {
        "alice": mailbox_add(address="alice@demo-trading.com", owner="alice"),
        "bob": mailbox_add(address="bob@demo-trading.com", owner="bob"),
        "carol": mailbox_add(address="carol@demo-trading.com", owner="carol"),
    }
    return {"alice": alice, "bob": bob, "carol": carol, "boxes": boxes}


@pytest.fixture
def crm(org):
    """Mail filed by real ingest: a three-message acme thread, more Europe customers, one Asian.

    Returns the accounts and message ids tests refer to.
    """
    alice_box, bob_box, carol_box = (org["boxes"][n] for n in ("alice", "bob", "carol"))
    q1 = raw_message(message_id="<q1@acme.co.uk>", date=T0, cc="bob@demo-trading.com")
    r1 = raw_message(
        sender="Alice <alice@demo-trading.com>",
        to="Buyer <buyer@acme.co.uk>",
        subject="Re: Quotation request",
        body="Our price list is attached.",
        message_id="<r1@demo-trading.com>",
        in_reply_to="<q1@acme.co.uk>",
        references="<q1@acme.co.uk>",
        date=T0 + timedelta(days=1),
    )
    q3 = raw_with_attachment()
    ingest(alice_box, q1, q3)
    ingest(alice_box, r1, folder="Sent")
    ingest(bob_box, q1)  # bob was cc'd: one message, two mailboxes
    # Five more Europe customers, one inbound message each a day apart...
    for i, domain in enumerate(EUROPE_DOMAINS[1:-1], start=1):
        ingest(
            alice_box,
            raw_message(
                sender=f"Buyer {i} <buyer@{domain}>",
                subject=f"Inquiry {i}",
                message_id=f"<i{i}@{domain}>",
                date=T0 + timedelta(days=10 + i),
            ),
        )
    # ...and one we wrote to first and never heard back from (no last inbound date).
    ingest(
        alice_box,
        raw_message(
            sender="alice@demo-trading.com",
            to="Sales <sales@fjord.no>",
            subject="Introduction",
            message_id="<intro@demo-trading.com>",
            date=T0 + timedelta(days=20),
        ),
        folder="Sent",
    )
    ingest(
        carol_box,
        raw_message(
            sender="Wang <wang@lotus-asia.cn>",
            to="carol@demo-trading.com",
            subject="报价 request",
            message_id="<a1@lotus-asia.cn>",
            date=T0 + timedelta(days=3),
        ),
    )
    acme = Account.objects.get(domains__domain="acme.co.uk")
    lotus = Account.objects.get(domains__domain="lotus-asia.cn")
    account_tag_add(actor=org["alice"], account=acme, name="VIP")
    account_update(actor=org["alice"], account=acme, lifecycle="active")
    note_add(actor=org["alice"], account=acme, body="Met at the Canton Fair.")
    return {"acme": acme, "lotus": lotus}


@pytest.fixture
def tokens(org):
    """Secrets of one token each for alice (Europe) and carol (Asia, the outsider)."""
    return {name: token_create(user=org[name], name="tests")[1] for name in ("alice", "carol")}


@pytest.fixture
def alice_api(tokens):
    return ApiClient(tokens["alice"])


@pytest.fixture
def carol_api(tokens):
    return ApiClient(tokens["carol"])


@pytest.fixture
def anon_api():
    return ApiClient(None)
