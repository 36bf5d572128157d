"""Protection when the customer engages: only a reply to us, only live mail, only once."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from keyou.automation.models import Event
from keyou.crm.models import Account, AccountDomain
from keyou.crm.services import contact_add
from keyou.mail.ingest import mail_ingest
from keyou.mail.models import Message
from keyou.mail.services import mailbox_add
from keyou.mail.sources import RawItem
from keyou.people.access import SYSTEM
from keyou.pool.models import MoveKind, PoolMove, PoolPolicy, ReclaimTrigger
from keyou.pool.services import account_protect, pool_on_message_received
from tests.mail.mailfactory import raw_message


def _setup(pool_team):
    account = Account.objects.create(name="Replyco", owner=pool_team.dave, team=pool_team.europe)
    AccountDomain.objects.create(account=account, domain="replyco.example")
    contact_add(actor=SYSTEM, account=account, name="Rae", email="rae@replyco.example")
    box = mailbox_add(address="dave@demo-trading.com", owner="dave")
    return account, box


def _received(box, n: int, **headers) -> Event:
    mail_ingest(mailbox=box, items=[RawItem(source=f"protect#{n}", raw=raw_message(**headers))])
    message = Message.objects.get(subject=headers["subject"])
    return Event.objects.get(kind="message.received", message_id=message.pk)


def test_a_first_message_from_the_customer_is_not_a_reply(pool_team):
    account, box = _setup(pool_team)
    event = _received(
        box,
        1,
        sender="Rae <rae@replyco.example>",
        subject="Hello out of the blue",
        message_id="<blue@replyco.example>",
        date=timezone.now() - timedelta(minutes=5),
    )
    assert pool_on_message_received(event) is True
    account.refresh_from_db()
    assert account.protected_until is None


def test_a_reply_protects_for_the_policys_days_once(pool_team):
    account, box = _setup(pool_team)
    PoolPolicy.objects.create(name="P", trigger=ReclaimTrigger.NO_FOLLOW_UP, protection_days=5)
    now = timezone.now()
    mail_ingest(
        mailbox=box,
        items=[
            RawItem(
                source="protect#out",
                raw=raw_message(
                    sender="Dave <dave@demo-trading.com>",
                    to="rae@replyco.example",
                    subject="Offer",
                    message_id="<offer@demo-trading.com>",
                    date=now - timedelta(hours=3),
                ),
            )
        ],
    )
    event = _received(
        box,
        2,
        sender="Rae <rae@replyco.example>",
        subject="Re: Offer",
        message_id="<re-offer@replyco.example>",
        in_reply_to="<offer@demo-trading.com>",
        references="<offer@demo-trading.com>",
        date=now - timedelta(hours=1),
    )
    pool_on_message_received(event)
    pool_on_message_received(event)
    account.refresh_from_db()
    assert account.protected_until == (now - timedelta(hours=1)).replace(microsecond=0) + timedelta(
        days=5
    )
    assert PoolMove.objects.filter(account=account, kind=MoveKind.PROTECTED).count() == 1
    # Old mail (an import) is not live: it protects nothing.
    Event.objects.filter(pk=event.pk).update(live=False)
    PoolMove.objects.all().delete()
    Account.objects.filter(pk=account.pk).update(protected_until=None)
    pool_on_message_received(Event.objects.get(pk=event.pk))
    account.refresh_from_db()
    assert account.protected_until is None


def test_protect_only_extends(pool_team):
    account, _box = _setup(pool_team)
    now = timezone.now()
    assert account_protect(account=account, reason="trade fair", days=10, now=now) is True
    assert account_protect(account=account, reason="again", days=3, now=now) is False
    assert account_protect(account=account, reason="later", days=10, now=now + timedelta(days=1))
    account.refresh_from_db()
    assert account.protected_until == now + timedelta(days=11)
    pooled = Account.objects.create(name="Pooled")
    assert account_protect(account=pooled, reason="x", days=3, now=now) is False
