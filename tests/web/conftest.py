"""Fixtures for the web pages: two teams, an admin, customers owned by different people.

people   alice, bob (team Europe), carol (team Asia), admin (superuser, no team)
crm      acme (alice/Europe: contacts anna, ben), initech (bob/Europe),
         globex (carol/Asia: contact li)
acme_mail  two threads with acme filed through the real ingest: a quote request
         answered by alice (seen in alice@ and sales@), and an unanswered one from ben
login    login(user) -> a test client logged in as USER
"""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
from django.test import Client

from keyou.crm.models import Account, AccountDomain, Lifecycle
from keyou.crm.services import account_tag_add, contact_add
from keyou.mail.ingest import mail_ingest
from keyou.mail.services import mailbox_add
from keyou.mail.sources import RawItem
from keyou.people.access import SYSTEM
from keyou.people.services import organization_set, user_add
from tests.mail.mailfactory import raw_message


@pytest.fixture
def people(db):
    organization_set(name="Demo Trading", domains=["demo-trading.com"], time_zone="Asia/Shanghai")
    return SimpleNamespace(
        alice=user_add(
            username="alice",
            email="alice@demo-trading.com",
            team="Europe",
            first_name="Alice",
            role="team_lead",
        ),
        bob=user_add(username="bob", email="bob@demo-trading.com", team="Europe", role="team_lead"),
        carol=user_add(username="carol", email="carol@demo-trading.com", team="Asia"),
        admin=user_add(username="admin", email="admin@demo-trading.com", admin=True),
    )


def _account(name: str, owner, *, domain: str = "", **fields) -> Account:
    account = Account.objects.create(name=name, owner=owner, team=owner.team, **fields)
    if domain:
        AccountDomain.objects.create(account=account, domain=domain)
    return account


@pytest.fixture
def crm(people):
    acme = _account(
        "Acme Trading Ltd",
        people.alice,
        domain="acme.co.uk",
        country="GB",
        lifecycle=Lifecycle.ACTIVE,
        last_inbound_at=datetime(2026, 3, 2, 8, 30, tzinfo=UTC),
    )
    initech = _account("Initech GmbH", people.bob, domain="initech.de", country="DE")
    globex = _account(
        "Globex Shanghai", people.carol, domain="globex.cn", country="CN", source="fair"
    )
    anna = contact_add(
        actor=SYSTEM, account=acme, name="Anna Buyer", email="anna@acme.co.uk", title="Purchasing"
    )
    ben = contact_add(actor=SYSTEM, account=acme, name="Ben Stock", email="ben@acme.co.uk")
    li = contact_add(actor=SYSTEM, account=globex, name="Li Wei", email="li.wei@globex.cn")
    account_tag_add(actor=SYSTEM, account=acme, name="VIP")
    return SimpleNamespace(acme=acme, initech=initech, globex=globex, anna=anna, ben=ben, li=li)


def _ingest(box, *raws):
    items = [RawItem(source=f"web-test#{i}", raw=raw) for i, raw in enumerate(raws)]
    return mail_ingest(mailbox=box, items=items)


@pytest.fixture
def acme_mail(people, crm):
    """Two acme threads; returns their messages' subjects and the mailboxes."""
    boxes = SimpleNamespace(
        alice=mailbox_add(address="alice@demo-trading.com", owner="alice"),
        sales=mailbox_add(address="sales@demo-trading.com", kind="shared"),
    )
    quote = raw_message(
        sender="Anna Buyer <anna@acme.co.uk>",
        to="alice@demo-trading.com",
        cc="sales@demo-trading.com",
        subject="Quotation request: LED panels",
        body="Please quote 500 LED panels.",
        message_id="<quote-1@acme.co.uk>",
        date=datetime(2026, 3, 2, 8, 30, tzinfo=UTC),
    )
    answer = raw_message(
        sender="Alice <alice@demo-trading.com>",
        to="anna@acme.co.uk",
        subject="Re: Quotation request: LED panels",
        body="Our offer is attached.",
        message_id="<answer-1@demo-trading.com>",
        in_reply_to="<quote-1@acme.co.uk>",
        references="<quote-1@acme.co.uk>",
        date=datetime(2026, 3, 2, 10, 0, tzinfo=UTC),
    )
    samples = raw_message(
        sender="Ben Stock <ben@acme.co.uk>",
        to="alice@demo-trading.com",
        subject="Samples for the spring fair",
        body="Can you send samples?",
        message_id="<samples-1@acme.co.uk>",
        date=datetime(2026, 3, 5, 2, 0, tzinfo=UTC),
    )
    _ingest(boxes.alice, quote, answer, samples)
    _ingest(boxes.sales, quote)
    return boxes


@pytest.fixture
def login(people):
    """Return a function giving a test client logged in as a user."""

    def client_for(user) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return client_for
