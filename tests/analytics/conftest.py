"""A small company, built by hand, whose every number the analytics tests work out on paper.

All times are Shanghai (UTC+8); the period is Mon 28 Sep - Sun 25 Oct 2026 and
"now" is Mon 26 Oct 10:00. Business hours: Mon-Fri 09:00-12:00, 13:30-18:00,
National Day 1-7 Oct off, Sat 10 Oct a make-up working day; reply within 240
working minutes.

people   Europe: alice, bob (salespeople), lena (team lead); Asia: carol
         (salesperson); admin. Tier rates: USD 7.1, EUR 7.8 (CNY company currency).
accounts acme  alice GB fair     active   A  created 20 Sep (before the period)
         bolt  bob   DE website  new      B  created 12 Oct
         chen  carol CN website  prospect -  created 13 Oct
         dune  alice FR fair     new      B  created 14 Oct
         echo  bob   IT -        dormant  C  created 1 Sep; released by bob 5 Oct,
               claimed by alice 6 Oct, reclaimed from alice 20 Oct and
               redistributed to carol (the Asia team) the same moment.
mail (real ingest; "in" from the customer, "out" from us)
  T1 acme  in  Wed 30 Sep 17:00 anna→alice "Quotation request 500 pcs"
           out Thu  8 Oct 10:00 alice       (60 + holiday + 60 = 120 wm)
  T3 dune  in  Sat 10 Oct 11:00 dan→alice  "Need LED panels"  (make-up Saturday)
           out Sat 10 Oct 14:00 alice       (60 + 30 = 90 wm)
  S1 acme+dune out Mon 12 Oct 09:00 alice→anna, cc dan "Catalogue 2026 - LED panels"
           in  Mon 12 Oct 11:00 anna "Re: ..." (unanswered; due 16:30 the same day)
  T4 chen  in  Mon 12 Oct 10:00 chen→sales@ "Inquiry: LED panels"
           out Mon 12 Oct 10:20 carol       (20 wm)
           in  Tue 13 Oct 09:00 chen (unanswered; due 14:30)
  S3 chen  out Wed 14 Oct 10:00 carol→chen "Follow-up on order 123" (no reply)
  T2 bolt  in  Fri 16 Oct 17:30 bert→bob "RFQ 2000 units"
           out Mon 19 Oct 15:00 bob         (30 + 180 + 90 = 300 wm: late)
  S2 bolt  out Tue 20 Oct 07:30 bob→bert "Catalogue 2027 - LED panels" (23:30 UTC the
           day before: a company day is not a UTC day); no reply
  T5 bolt  in  Wed 21 Oct 10:00 bert→sales@ "Samples request" (unanswered; due 15:30)
deals (default pipeline: Lead, Contacted, Qualified, Quoted, Negotiation, Contract,
       Delivery, Paid(won), Lost), every move at 10:00
  D1 acme  alice 10000 CNY: Lead 29 Sep → Contacted 2 Oct → Quoted 9 Oct → Paid 15 Oct
  D2 bolt  bob   5000 USD:  Lead 12 Oct → Negotiation 14 Oct → Lost (Price) 20 Oct
  D3 chen  carol 8000 CNY:  Lead 13 Oct → Contacted 16 Oct (open, closes 20 Nov)
  D4 dune  alice 2000 EUR:  created in Quoted 14 Oct → Paid 22 Oct
logged   alice call on acme 12 Oct; bob note on bolt 13 Oct; carol meeting on chen 3 Nov
         (after the period)
tasks    carol: "Call chen" due 20 Oct (overdue); bob: "Visit bolt" due 30 Oct (not yet),
         "Send samples" due 15 Oct but done; plus the SOP tasks the stages create.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
import time_machine

from keyou.analytics.filters import AnalyticsFilters
from keyou.automation.hours_text import holidays_parse
from keyou.automation.models import BusinessCalendar
from keyou.automation.outbox import events_process
from keyou.crm.models import Account, Activity, ActivityKind, Task, TaskStatus
from keyou.crm.services import contact_add
from keyou.deals.money import rate_set
from keyou.deals.pipelines import pipeline_default_install
from keyou.deals.services import deal_create, deal_move_stage
from keyou.mail.ingest import mail_ingest
from keyou.mail.services import mailbox_add
from keyou.mail.sources import RawItem
from keyou.people.access import SYSTEM
from keyou.people.models import Team
from keyou.people.services import organization_set, user_add
from keyou.pool.models import PoolPolicy, ReclaimTrigger, Redistribute
from keyou.pool.reclaim import account_reclaim
from keyou.pool.services import account_claim, account_release
from tests.mail.mailfactory import raw_message

SHANGHAI = ZoneInfo("Asia/Shanghai")
PERIOD = (date(2026, 9, 28), date(2026, 10, 25))


def sh(month: int, day: int, hour: int = 10, minute: int = 0) -> datetime:
    """A Shanghai wall-clock time in 2026, as aware UTC."""
    return datetime(2026, month, day, hour, minute, tzinfo=SHANGHAI).astimezone(UTC)


NOW = sh(10, 26, 10)


def period(**narrowing) -> AnalyticsFilters:
    return AnalyticsFilters(start=PERIOD[0], end=PERIOD[1], zone=SHANGHAI, **narrowing)


def _account(name, owner, at, **fields):
    with time_machine.travel(at, tick=False):
        return Account.objects.create(name=name, owner=owner, team=owner.team, **fields)


def _mail(box, at, *, sender, to, subject, mid, cc="", reply_to=""):
    raw = raw_message(
        sender=sender,
        to=to,
        cc=cc,
        subject=subject,
        body="Hello.",
        message_id=f"<{mid}@test>",
        in_reply_to=f"<{reply_to}@test>" if reply_to else "",
        references=f"<{reply_to}@test>" if reply_to else "",
        date=at,
    )
    with time_machine.travel(at, tick=False):
        mail_ingest(mailbox=box, items=[RawItem(source=f"analytics#{mid}", raw=raw)], workers=0)
        events_process()


def _at(when):
    return time_machine.travel(when, tick=False)


@pytest.fixture
def world(db):
    organization_set(name="Demo Trading", domains=["demo-trading.com"], time_zone="Asia/Shanghai")
    BusinessCalendar.objects.create(
        name="China office",
        time_zone="Asia/Shanghai",
        holidays=holidays_parse("2026-10-01..2026-10-07 off\n2026-10-10 work"),
    )

    def person(name, team, role="salesperson"):
        return user_add(username=name, email=f"{name}@demo-trading.com", team=team, role=role)

    p = SimpleNamespace(
        alice=person("alice", "Europe"),
        bob=person("bob", "Europe"),
        lena=person("lena", "Europe", "team_lead"),
        carol=person("carol", "Asia"),
        admin=user_add(username="admin", email="admin@demo-trading.com", admin=True),
    )
    europe, asia = Team.objects.get(name="Europe"), Team.objects.get(name="Asia")
    a = SimpleNamespace(
        acme=_account(
            "Acme", p.alice, sh(9, 20), country="GB", source="fair", lifecycle="active", tier="A"
        ),
        bolt=_account(
            "Bolt", p.bob, sh(10, 12, 9), country="DE", source="website", lifecycle="new", tier="B"
        ),
        chen=_account("Chen Co", p.carol, sh(10, 13, 9), country="CN", source="website"),
        dune=_account(
            "Dune", p.alice, sh(10, 14, 9), country="FR", source="fair", lifecycle="new", tier="B"
        ),
        echo=_account("Echo", p.bob, sh(9, 1), country="IT", lifecycle="dormant", tier="C"),
    )
    for account, name, email in (
        (a.acme, "Anna", "anna@acme.test"),
        (a.bolt, "Bert", "bert@bolt.test"),
        (a.chen, "Chen", "chen@chen.test"),
        (a.dune, "Dan", "dan@dune.test"),
    ):
        contact_add(actor=SYSTEM, account=account, name=name, email=email)

    box = SimpleNamespace(
        alice=mailbox_add(address="alice@demo-trading.com", owner="alice"),
        bob=mailbox_add(address="bob@demo-trading.com", owner="bob"),
        carol=mailbox_add(address="carol@demo-trading.com", owner="carol"),
        sales=mailbox_add(address="sales@demo-trading.com", kind="shared"),
    )
    alice, bob, carol = (
        "Alice <alice@demo-trading.com>",
        "Bob <bob@demo-trading.com>",
        "Carol <carol@demo-trading.com>",
    )
    anna, bert, chen, dan = (
        "Anna <anna@acme.test>",
        "Bert <bert@bolt.test>",
        "Chen <chen@chen.test>",
        "Dan <dan@dune.test>",
    )
    # T1 across the National Day holiday.
    _mail(
        box.alice,
        sh(9, 30, 17),
        sender=anna,
        to=alice,
        subject="Quotation request 500 pcs",
        mid="t1",
    )
    _mail(
        box.alice,
        sh(10, 8, 10),
        sender=alice,
        to=anna,
        subject="Re: Quotation request 500 pcs",
        mid="t1r",
        reply_to="t1",
    )
    # T3 on the make-up Saturday.
    _mail(box.alice, sh(10, 10, 11), sender=dan, to=alice, subject="Need LED panels", mid="t3")
    _mail(
        box.alice,
        sh(10, 10, 14),
        sender=alice,
        to=dan,
        subject="RE: Need LED panels",
        mid="t3r",
        reply_to="t3",
    )
    # S1 to two customers at once; Anna answers.
    _mail(
        box.alice,
        sh(10, 12, 9),
        sender=alice,
        to=anna,
        cc=dan,
        subject="Catalogue 2026 - LED panels",
        mid="s1",
    )
    _mail(
        box.alice,
        sh(10, 12, 11),
        sender=anna,
        to=alice,
        subject="Re: Catalogue 2026 - LED panels",
        mid="s1r",
        reply_to="s1",
    )
    # T4 through the shared inbox, answered by Carol; Chen writes again.
    _mail(
        box.sales,
        sh(10, 12, 10),
        sender=chen,
        to="sales@demo-trading.com",
        subject="Inquiry: LED panels",
        mid="t4",
    )
    _mail(
        box.carol,
        sh(10, 12, 10, 20),
        sender=carol,
        to=chen,
        subject="回复: Inquiry: LED panels",
        mid="t4r",
        reply_to="t4",
    )
    _mail(
        box.carol,
        sh(10, 13, 9),
        sender=chen,
        to=carol,
        subject="Re: 回复: Inquiry: LED panels",
        mid="t4b",
        reply_to="t4r",
    )
    _mail(
        box.carol, sh(10, 14, 10), sender=carol, to=chen, subject="Follow-up on order 123", mid="s3"
    )
    # T2 across a weekend, answered late.
    _mail(box.bob, sh(10, 16, 17, 30), sender=bert, to=bob, subject="RFQ 2000 units", mid="t2")
    _mail(
        box.bob,
        sh(10, 19, 15),
        sender=bob,
        to=bert,
        subject="Re: RFQ 2000 units",
        mid="t2r",
        reply_to="t2",
    )
    _mail(
        box.bob,
        sh(10, 20, 7, 30),
        sender=bob,
        to=bert,
        subject="Catalogue 2027 - LED panels",
        mid="s2",
    )
    _mail(box.sales, sh(10, 21, 10), sender=bert, to="sales@demo-trading.com", subject="Samples request", mid="t5")  # fmt: skip

    pipeline_default_install()
    rate_set(actor=SYSTEM, currency="USD", rate="7.1", valid_from=date(2026, 10, 1))
    rate_set(actor=SYSTEM, currency="EUR", rate="7.8", valid_from=date(2026, 10, 1))
    money = {"amount": "10000", "currency": "CNY", "expected_close": date(2026, 10, 30)}
    with _at(sh(9, 29)):
        d1 = deal_create(actor=p.alice, account=a.acme, title="D1", **money)
    for day, stage in ((sh(10, 2), "Contacted"), (sh(10, 9), "Quoted"), (sh(10, 15), "Paid")):
        with _at(day):
            deal_move_stage(actor=p.alice, deal=d1, stage=stage)
    with _at(sh(10, 12)):
        d2 = deal_create(
            actor=p.bob, account=a.bolt, title="D2", amount="5000", currency="USD",
            expected_close=date(2026, 11, 30),
        )  # fmt: skip
    with _at(sh(10, 14)):
        deal_move_stage(actor=p.bob, deal=d2, stage="Negotiation")
    with _at(sh(10, 20)):
        deal_move_stage(actor=p.bob, deal=d2, stage="Lost", lost_reason="Price")
    with _at(sh(10, 13)):
        d3 = deal_create(
            actor=p.carol, account=a.chen, title="D3", amount="8000", currency="CNY",
            expected_close=date(2026, 11, 20),
        )  # fmt: skip
    with _at(sh(10, 16)):
        deal_move_stage(actor=p.carol, deal=d3, stage="Contacted")
    with _at(sh(10, 14)):
        d4 = deal_create(
            actor=p.alice, account=a.dune, title="D4", stage="Quoted", amount="2000",
            currency="EUR", expected_close=date(2026, 10, 30),
        )  # fmt: skip
    with _at(sh(10, 22)):
        deal_move_stage(actor=p.alice, deal=d4, stage="Paid")

    account_release(actor=p.bob, account=a.echo, now=sh(10, 5))
    account_claim(actor=p.alice, account=a.echo, now=sh(10, 6))
    policy = PoolPolicy.objects.create(
        name="Idle",
        trigger=ReclaimTrigger.NO_FOLLOW_UP,
        redistribute=Redistribute.ROUND_ROBIN,
        redistribute_team=asia,
    )
    account_reclaim(
        account_id=a.echo.pk, owner_id=p.alice.pk, policy=policy, why="idle", now=sh(10, 20)
    )

    for kind, account, who, when in (
        (ActivityKind.CALL, a.acme, p.alice, sh(10, 12, 15)),
        (ActivityKind.NOTE, a.bolt, p.bob, sh(10, 13, 15)),
        (ActivityKind.MEETING, a.chen, p.carol, sh(11, 3, 15)),
    ):
        Activity.objects.create(
            kind=kind, account=account, actor=who, occurred_at=when, owner=who, team=who.team
        )
    Task.objects.create(title="Call chen", account=a.chen, assignee=p.carol, due_at=sh(10, 20))
    Task.objects.create(title="Visit bolt", account=a.bolt, assignee=p.bob, due_at=sh(10, 30))
    Task.objects.create(
        title="Send samples",
        account=a.bolt,
        assignee=p.bob,
        due_at=sh(10, 15),
        status=TaskStatus.DONE,
    )
    for account in (a.acme, a.bolt, a.chen, a.dune, a.echo):
        account.refresh_from_db()
    return SimpleNamespace(
        people=p, accounts=a, deals=SimpleNamespace(d1=d1, d2=d2, d3=d3, d4=d4), europe=europe,
        asia=asia, boxes=box,
    )  # fmt: skip
