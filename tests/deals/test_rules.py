"""Rules on deals: stage changes and stalls trigger them, deal fields are conditions,
and actions create a deal or move one, once per firing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from keyou.automation.dryrun import rule_dry_run
from keyou.automation.models import Event, RuleRun
from keyou.automation.outbox import event_handle, events_process
from keyou.automation.services import rule_save
from keyou.crm.models import Activity, ActivityKind
from keyou.deals.models import Deal
from keyou.deals.money import rate_set
from keyou.deals.pipelines import pipeline_default_install
from keyou.deals.services import deal_create, deal_move_stage
from keyou.deals.stall import deals_stall_sweep
from keyou.people.access import SYSTEM
from keyou.people.models import Notification

MONDAY_10 = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


@pytest.fixture
def pipeline(db):
    return pipeline_default_install()  # the stages by object, not the conftest's book


def _rule(**data):
    return rule_save(actor=SYSTEM, data={"enabled": True, "conditions": {}, **data})


def test_a_big_deal_entering_quoted_notifies_the_manager_once(people, crm, pipeline):
    rate_set(actor=SYSTEM, currency="USD", rate="7.1", valid_from=datetime(2026, 1, 1).date())
    _rule(
        name="Big quote",
        trigger="deal.stage_changed",
        conditions={
            "all": [
                {"field": "deal.stage", "op": "eq", "value": "Quoted"},
                {"field": "deal.amount", "op": "gt", "value": 500000},
            ]
        },
        actions=[{"type": "notify", "to": "user:bob", "text": "Big quote: {deal.title}"}],
    )
    with time_machine.travel(MONDAY_10, tick=False):
        small = deal_create(actor=SYSTEM, account=crm.acme, title="Small order")
        big = deal_create(actor=SYSTEM, account=crm.acme, title="Container of lamps")
        for deal, amount in ((small, "10000"), (big, "100000")):
            deal_move_stage(
                actor=SYSTEM,
                deal=deal,
                stage="Quoted",
                values={"amount": amount, "currency": "USD"},
            )
        events_process()
        # Redelivery changes nothing.
        for event in Event.objects.filter(kind="deal.stage_changed"):
            event_handle(event)
    notices = Notification.objects.filter(recipient=people.bob, text__startswith="Big quote")
    # 100,000 USD is 710,000 CNY: over the bar; 10,000 USD (71,000 CNY) is not.
    assert [n.text for n in notices] == ["Big quote: Container of lamps"]
    run = RuleRun.objects.get(rule__name="Big quote")
    assert any("deal.amount" in why for why in run.why)
    entry = Activity.objects.get(kind=ActivityKind.AUTOMATION, account=crm.acme)
    assert entry.data["rule"] == "Big quote"


def test_a_stalled_deal_moves_back_and_the_owner_gets_a_task(people, crm, pipeline):
    _rule(
        name="Stalled in negotiation",
        trigger="deal.stalled",
        conditions={"field": "deal.stage", "op": "eq", "value": "Negotiation"},
        actions=[
            {"type": "create_task", "title": "Revive {deal.title}", "assignee": "owner"},
            {"type": "move_stage", "stage": "Qualified"},
        ],
    )
    start = MONDAY_10
    with time_machine.travel(start, tick=False):
        deal = deal_create(actor=SYSTEM, account=crm.acme, title="Lamps for Leeds")
        deal_move_stage(
            actor=SYSTEM,
            deal=deal,
            stage="Negotiation",
            values={"amount": "5000", "currency": "CNY", "expected_close": "2027-01-31"},
        )
        events_process()
    stall_days = deal.pipeline.stages.get(name="Negotiation").stall_days
    assert stall_days
    later = start + timedelta(days=stall_days, hours=1)
    with time_machine.travel(later, tick=False):
        assert deals_stall_sweep(now=later) == 1
        assert deals_stall_sweep(now=later) == 0
        events_process()
    deal.refresh_from_db()
    assert deal.stage.name == "Qualified"
    task = deal.account.tasks.get(title="Revive Lamps for Leeds")
    assert task.assignee == people.alice and task.source_rule.name == "Stalled in negotiation"
    assert RuleRun.objects.filter(rule__name="Stalled in negotiation").count() == 1


def test_create_deal_once_and_dry_run_changes_nothing(people, crm, pipeline):
    rule = _rule(
        name="Deal for every new customer",
        trigger="account.created",
        actions=[{"type": "create_deal", "title": "First order: {account.name}", "source": "web"}],
    )
    with time_machine.travel(MONDAY_10, tick=False):
        Event.objects.create(kind="account.created", occurred_at=MONDAY_10, account_id=crm.acme.pk)
        events_process()
        event = Event.objects.get(kind="account.created")
        event_handle(event)  # redelivered
    deal = Deal.objects.get(account=crm.acme)
    assert deal.title == "First order: Acme Trading Ltd"
    assert deal.stage == pipeline.stages.order_by("position").first()
    assert deal.source_rule == rule and deal.source == "web"
    before = Deal.objects.count()
    with time_machine.travel(MONDAY_10 + timedelta(hours=1), tick=False):
        result = rule_dry_run(rule, days=30)
    assert Deal.objects.count() == before
    assert any("would create a deal" in line for row in result.matches for line in row.actions)


def test_move_to_a_stage_that_needs_fields_is_skipped_with_the_reason(people, crm, pipeline):
    _rule(
        name="Quote at once",
        trigger="deal.created",
        actions=[{"type": "move_stage", "stage": "Quoted"}],
    )
    with time_machine.travel(MONDAY_10, tick=False):
        deal = deal_create(actor=SYSTEM, account=crm.acme, title="No amount yet")
        events_process()
    deal.refresh_from_db()
    assert deal.stage.name == "Lead" and deal.amount is None
    run = RuleRun.objects.get(rule__name="Quote at once")
    assert run.status == "done"
    entry = Activity.objects.get(kind=ActivityKind.AUTOMATION, account=crm.acme)
    assert "amount" in " ".join(entry.data["actions"]).lower()
