"""The built-in templates end to end: real ingest, the outbox, timers, routing and SLA clocks.

Given the company tree Sales (dora, director) → Europe (bob leads; alice, bob) /
Asia (carol) / Support (sam leads; sue), a shared sales@ mailbox routed by region,
and every built-in template installed and enabled; time is travelled.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.db import connection

from keyou.automation.models import BusinessCalendar, Event, RoutingRule, RuleRun, RunStatus
from keyou.automation.outbox import event_handle, events_process
from keyou.automation.services import rule_save, templates_install
from keyou.automation.timers import timers_sweep
from keyou.crm.models import Account, Activity, ActivityKind, Contact, Task, TaskKind
from keyou.deals.models import Deal
from keyou.mail.ingest import mail_ingest
from keyou.mail.models import Message, Thread
from keyou.mail.services import mailbox_add
from keyou.mail.sources import RawItem
from keyou.people.access import SYSTEM
from keyou.people.models import Notification, Team
from keyou.people.services import organization_set, team_ensure, user_add
from tests.mail.mailfactory import raw_message

# Monday 23 November 2026, 10:00 in Shanghai.
MONDAY_10 = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


@pytest.fixture
def org(db):
    organization_set(name="Demo Trading", domains=["demo-trading.com"], time_zone="Asia/Shanghai")
    team_ensure(name="Sales")
    for name in ("Europe", "Asia", "Support"):
        team_ensure(name=name, parent="Sales")

    def add(username, team, role="salesperson"):
        return user_add(
            username=username, email=f"{username}@demo-trading.com", team=team, role=role
        )

    people = {
        "dora": add("dora", "Sales", "director"),
        "alice": add("alice", "Europe"),
        "bob": add("bob", "Europe", "team_lead"),
        "carol": add("carol", "Asia"),
        "sam": add("sam", "Support", "support"),
        "sue": add("sue", "Support", "support"),
        "admin": user_add(username="admin", email="admin@demo-trading.com", admin=True),
    }
    for team, manager in (("Sales", "dora"), ("Europe", "bob"), ("Support", "sam")):
        Team.objects.filter(name=team).update(manager=people[manager])
    BusinessCalendar.objects.create(name="China office", time_zone="Asia/Shanghai")
    sales = mailbox_add(address="sales@demo-trading.com", kind="shared")
    sales.team = Team.objects.get(name="Europe")
    sales.save(update_fields=["team"])
    RoutingRule.objects.create(
        name="Europe", position=1, countries=["EU"], team=Team.objects.get(name="Europe")
    )
    RoutingRule.objects.create(
        name="China", position=2, countries=["CN"], team=Team.objects.get(name="Asia")
    )
    templates_install(
        actor=SYSTEM,
        choices={t: True for t in ("inquiry", "reply_sla", "complaint", "key_account", "birthday")},
        support_team="Support",
    )
    people["sales"] = sales
    return people


def ingest(box, raw, source):
    return mail_ingest(mailbox=box, items=[RawItem(source=source, raw=raw)], workers=0)


def inquiry(at, *, sender="Hans Müller <hans@mueller-gmbh.de>", subject="Request for quotation"):
    return raw_message(
        sender=sender,
        to="sales@demo-trading.com",
        subject=subject,
        body="Dear team,\nplease send your price list and MOQ for LED panels.\nHans",
        message_id=f"<{abs(hash((sender, subject, at)))}@example.test>",
        date=at,
    )


def counts():
    return {
        model.__name__: model.objects.count()
        for model in (Task, Notification, Deal, Activity, RuleRun, Account, Event)
    }


def test_inquiry_to_sales_is_routed_detected_and_clocked(org):
    with time_machine.travel(MONDAY_10, tick=False):
        ingest(org["sales"], inquiry(MONDAY_10 - timedelta(minutes=1)), "in-1")
        assert events_process() >= 2  # message.received and account.created

    account = Account.objects.get(domains__domain="mueller-gmbh.de")
    # Routed by region (.de is in the EU group) to someone in Europe, and told so.
    assert account.owner.username in {"alice", "bob"}
    owner = account.owner
    assert Notification.objects.filter(recipient=owner, kind="assignment").count() == 1
    assert Activity.objects.filter(account=account, kind=ActivityKind.ASSIGNMENT).count() == 1
    # Inquiry detection: tag, a deal in the pipeline's first stage, and the thread runs
    # on the 30-minute inquiry clock.
    assert list(account.tags.values_list("name", flat=True)) == ["lead"]
    deal = Deal.objects.get(account=account)
    assert deal.source_rule.template == "inquiry"
    assert deal.stage == deal.pipeline.stages.order_by("position").first()
    assert deal.owner == owner
    thread = Thread.objects.get(account=account)
    assert thread.is_inquiry
    assert thread.reply_due_at == MONDAY_10 - timedelta(minutes=1) + timedelta(minutes=30)
    entry = Activity.objects.get(account=account, kind=ActivityKind.AUTOMATION)
    assert entry.data["rule"] == "Inquiry detection"
    assert any("contains_any" in why for why in entry.data["why"])

    # 29 minutes later nothing is due yet; at 31 the owner has a task, the manager a notice.
    with time_machine.travel(MONDAY_10 + timedelta(minutes=28), tick=False):
        timers_sweep()
        events_process()
    assert not Task.objects.filter(account=account).exists()
    with time_machine.travel(MONDAY_10 + timedelta(minutes=31), tick=False):
        timers_sweep()
        events_process()
    task = Task.objects.get(account=account)
    assert task.assignee == owner and task.kind == TaskKind.REPLY
    manager = org["dora"] if owner.username == "bob" else org["bob"]
    notice = Notification.objects.get(recipient=manager, kind="rule")
    assert "Müller" in notice.text or "mueller" in notice.text.lower()
    assert not Notification.objects.filter(recipient=org["dora"], text__startswith="Escalation")

    # Four working hours: 10:00 → 12:00, lunch, 13:30 → 15:30 (and a minute).
    with time_machine.travel(datetime(2026, 11, 23, 7, 31, tzinfo=UTC), tick=False):
        timers_sweep()
        events_process()
    assert Notification.objects.filter(
        recipient=org["dora"], text__startswith="Escalation"
    ).exists()

    # Redelivering every event twice changes nothing.
    before = counts()
    with time_machine.travel(datetime(2026, 11, 23, 7, 40, tzinfo=UTC), tick=False):
        for _ in range(2):
            for event in Event.objects.all():
                event_handle(event)
            timers_sweep()
    assert counts() == before


def test_answering_stops_the_clock_and_records_first_response(org):
    with time_machine.travel(MONDAY_10, tick=False):
        ingest(org["sales"], inquiry(MONDAY_10), "in-1")
        events_process()
    account = Account.objects.get(domains__domain="mueller-gmbh.de")
    owner = account.owner
    box = mailbox_add(address=owner.email, owner=owner.username)
    question = Message.objects.get(from_email="hans@mueller-gmbh.de")
    # The answer goes out at 12:10 (ten minutes into lunch): 120 working minutes.
    answer_at = datetime(2026, 11, 23, 4, 10, tzinfo=UTC)
    answer = raw_message(
        sender=f"{owner.username} <{owner.email}>",
        to="hans@mueller-gmbh.de",
        subject="Re: Request for quotation",
        body="Our price list is attached.",
        message_id="<answer@demo-trading.com>",
        in_reply_to=f"<{question.message_id}>",
        references=f"<{question.message_id}>",
        date=answer_at,
    )
    with time_machine.travel(answer_at + timedelta(minutes=1), tick=False):
        ingest(box, answer, "out-1")
        events_process()
    thread = Thread.objects.get(pk=question.thread_id)
    assert thread.awaiting_since is None and thread.reply_due_at is None
    rt = question.response_time
    assert (rt.minutes, rt.working_minutes) == (130, 120)
    assert rt.responder == owner
    # No sweep ran while it waited; once answered, later sweeps find no wait to act on.
    with time_machine.travel(answer_at + timedelta(hours=3), tick=False):
        timers_sweep()
        events_process()
    assert not Task.objects.filter(account=account).exists()


def test_chinese_inquiry_goes_to_the_china_team(org):
    at = MONDAY_10
    raw = raw_message(
        sender="王经理 <wang@163.com>",
        to="sales@demo-trading.com",
        subject="询价：LED 灯板",
        body="您好，请发一下最新报价和样品信息。谢谢！",
        message_id="<cn-1@163.com>",
        date=at,
    )
    with time_machine.travel(at + timedelta(minutes=1), tick=False):
        ingest(org["sales"], raw, "cn-1")
        events_process()
    account = Account.objects.get(contacts__emails__email="wang@163.com")
    assert account.owner == org["carol"]
    assert Deal.objects.filter(account=account).exists()
    why = Activity.objects.get(account=account, kind=ActivityKind.AUTOMATION).data["why"]
    assert any("询价" in w or "报价" in w for w in why)


def test_complaint_goes_to_support_in_both_languages(org):
    for i, (subject, body) in enumerate(
        [
            ("质量问题投诉", "上批货物有质量问题，要求退款。"),
            ("Order 778", "Half of the panels arrived damaged. We want a refund."),
        ]
    ):
        at = MONDAY_10 + timedelta(minutes=i)
        raw = raw_message(
            sender=f"Buyer {i} <buyer{i}@client{i}.de>",
            to="sales@demo-trading.com",
            subject=subject,
            body=body,
            message_id=f"<complaint-{i}@client.de>",
            date=at,
        )
        with time_machine.travel(at + timedelta(minutes=1), tick=False):
            ingest(org["sales"], raw, f"c-{i}")
            events_process()
    tasks = Task.objects.filter(kind=TaskKind.SERVICE).order_by("pk")
    assert tasks.count() == 2
    # Round robin inside Support; its lead is told each time.
    assert {t.assignee.username for t in tasks} == {"sam", "sue"}
    assert (
        Notification.objects.filter(recipient=org["sam"], text__startswith="Complaint").count() == 2
    )


def test_key_account_without_follow_up_and_birthday(org):
    alice = org["alice"]
    acme = Account.objects.create(
        name="Acme",
        owner=alice,
        team=alice.team,
        tier="A",
        last_outbound_at=MONDAY_10 - timedelta(days=5, hours=1),
    )
    quiet_b = Account.objects.create(
        name="Beta",
        owner=alice,
        team=alice.team,
        tier="B",
        last_outbound_at=MONDAY_10 - timedelta(days=5, hours=1),
    )
    Contact.objects.create(
        account=acme, owner=alice, team=alice.team, name="Anna", birthday=date(1990, 11, 23)
    )
    with time_machine.travel(MONDAY_10, tick=False):
        timers_sweep()
        events_process()
    follow = Task.objects.get(account=acme, kind=TaskKind.FOLLOW_UP)
    assert follow.assignee == alice
    assert not Task.objects.filter(account=quiet_b).exists()
    assert Notification.objects.filter(recipient=org["bob"], text__contains="Acme").exists()
    greeting = Task.objects.get(account=acme, kind=TaskKind.GREETING)
    assert "Anna" in greeting.title and "Dear Anna" in greeting.notes
    assert greeting.assignee == alice


def test_history_runs_no_rules_but_is_clocked(org):
    old = MONDAY_10 - timedelta(days=40)
    with time_machine.travel(MONDAY_10, tick=False):
        ingest(org["sales"], inquiry(old), "old-1")
        events_process()
    account = Account.objects.get(domains__domain="mueller-gmbh.de")
    assert account.owner is None  # history stays in the pool
    assert not Deal.objects.exists() and not RuleRun.objects.exists()
    assert Thread.objects.get(account=account).reply_due_at is not None


def test_a_failing_rule_is_retried_then_failed_without_blocking_others(org):
    rule_save(
        actor=SYSTEM,
        data={
            "name": "Broken",
            "enabled": True,
            "trigger": "message.received",
            "conditions": {},
            "actions": [{"type": "set_field", "field": "lifecycle", "value": "nonsense"}],
        },
    )
    with time_machine.travel(MONDAY_10, tick=False) as traveller:
        ingest(org["sales"], inquiry(MONDAY_10), "in-1")
        events_process()
        for _ in range(4):
            traveller.shift(timedelta(minutes=61))
            events_process()
    broken = RuleRun.objects.get(rule__name="Broken")
    assert broken.status == RunStatus.FAILED and broken.attempts == 3
    assert "lifecycle" in broken.error
    assert RuleRun.objects.get(rule__name="Inquiry detection").status == RunStatus.DONE
    assert Deal.objects.count() == 1
    event = Event.objects.get(kind="message.received")
    assert event.processed_at is not None


def test_dry_run_changes_nothing(org):
    from keyou.automation.dryrun import rule_dry_run
    from keyou.automation.models import Rule

    with time_machine.travel(MONDAY_10, tick=False):
        ingest(org["sales"], inquiry(MONDAY_10), "in-1")
    tables = connection.introspection.table_names()

    def rows():
        with connection.cursor() as cursor:
            out = {}
            for table in tables:
                cursor.execute(f'SELECT COUNT(*) FROM "{table}"')  # noqa: S608
                out[table] = cursor.fetchone()[0]
            return out

    before = rows()
    with time_machine.travel(MONDAY_10 + timedelta(days=1), tick=False):
        for rule in Rule.objects.all():
            result = rule_dry_run(rule)
            if rule.template == "inquiry":
                assert len(result.matches) == 1
                assert any("lead" in a for a in result.matches[0].actions)
            if rule.name == "Inquiry not answered in 30 minutes":
                # The simulation sees the wait even though the thread is no inquiry yet.
                assert result.checked == 1
    assert rows() == before


def test_set_tier_and_return_to_pool(org):
    from keyou.audit.models import AuditEntry

    rule_save(
        actor=SYSTEM,
        data={
            "name": "Park it",
            "enabled": True,
            "trigger": "account.owner_changed",
            "conditions": {"field": "account.has_owner", "op": "eq", "value": True},
            "actions": [
                {"type": "set_field", "field": "tier", "value": "B"},
                {"type": "return_to_pool"},
            ],
        },
    )
    with time_machine.travel(MONDAY_10, tick=False):
        ingest(org["sales"], inquiry(MONDAY_10), "in-1")
        events_process()
        events_process()  # the owner change routing made, then the pool return's own event
    account = Account.objects.get(domains__domain="mueller-gmbh.de")
    assert account.tier == "B"
    assert account.owner is None and account.pooled_at == MONDAY_10
    assert not Contact.objects.filter(account=account, owner__isnull=False).exists()
    assert AuditEntry.objects.filter(object_id=str(account.pk), data__pool=True).exists()
    assert RuleRun.objects.filter(rule__name="Park it", status=RunStatus.DONE).count() == 1
