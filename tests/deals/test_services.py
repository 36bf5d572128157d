"""Deals: creating, moving through stages (required fields, SOP tasks, won/lost), stalling."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine

from keyou.automation.events import DEAL_CREATED, DEAL_STAGE_CHANGED, DEAL_STALLED
from keyou.automation.models import BusinessCalendar, Event
from keyou.crm.models import Activity, ActivityKind, Task
from keyou.deals.models import DealStatus, LostReason, Pipeline, StageChange, StageKind
from keyou.deals.pipelines import (
    InvalidPipeline,
    pipeline_default_install,
    stage_add,
    stage_delete,
    stage_update,
)
from keyou.deals.services import (
    InvalidDeal,
    MissingFields,
    deal_create,
    deal_lines_set,
    deal_move_stage,
    deal_update,
)
from keyou.deals.stall import deals_stall_sweep
from keyou.people.access import SYSTEM, NotAllowed
from keyou.people.models import Notification

FRIDAY = datetime(2026, 3, 6, 7, 0, tzinfo=UTC)  # 15:00 in Shanghai, a Friday


def test_default_pipeline_installs_once(db):
    first = pipeline_default_install()
    again = pipeline_default_install()
    assert first == again and Pipeline.objects.count() == 1
    stages = list(first.stages.order_by("position"))
    assert [s.name for s in stages] == [
        "Lead", "Contacted", "Qualified", "Quoted", "Negotiation", "Contract", "Delivery",
        "Paid", "Lost",
    ]  # fmt: skip
    assert [s.probability for s in stages] == [10, 20, 30, 50, 70, 85, 95, 100, 0]
    assert stages[7].kind == StageKind.WON and stages[8].kind == StageKind.LOST
    assert stages[3].required_fields == ["amount", "currency"]
    assert "expected_close" in stages[4].required_fields
    assert stages[3].sop[0]["title"] == "Send the quotation"
    assert LostReason.objects.count() == 6


def test_create_enters_the_first_stage(people, crm, pipeline):
    deal = deal_create(actor=people.alice, account=crm.acme, title="LED panels 500 pcs")
    assert deal.stage == pipeline.stage("Lead") and deal.owner == people.alice
    assert deal.team == people.alice.team and deal.status == DealStatus.OPEN
    change = StageChange.objects.get(deal=deal)
    assert change.from_stage is None and change.to_stage == pipeline.stage("Lead")
    entry = Activity.objects.get(deal=deal, kind=ActivityKind.DEAL)
    assert entry.account == crm.acme and entry.data["event"] == "created"
    assert Event.objects.filter(kind=DEAL_CREATED, deal_id=deal.pk).count() == 1


def test_owner_defaults_to_the_account_owner(people, crm, pipeline):
    deal = deal_create(actor=SYSTEM, account=crm.initech, title="Pumps")
    assert deal.owner == people.bob


def test_outsider_cannot_create_on_an_unseen_account(people, crm, pipeline):
    from keyou.crm.selectors import NotFound

    with pytest.raises(NotFound):
        deal_create(actor=people.carol, account=crm.acme, title="Sneaky")


def test_missing_required_fields_refused_with_the_reason(people, crm, pipeline):
    deal = deal_create(actor=people.alice, account=crm.acme, title="LED panels")
    quoted = pipeline.stage("Quoted")
    with pytest.raises(MissingFields) as caught:
        deal_move_stage(actor=people.alice, deal=deal, stage=quoted)
    assert caught.value.fields == ["amount", "currency"]
    assert "Quoted" in str(caught.value) and "amount" in str(caught.value)
    deal.refresh_from_db()
    assert deal.stage == pipeline.stage("Lead")
    assert not Event.objects.filter(kind=DEAL_STAGE_CHANGED).exists()

    moved = deal_move_stage(
        actor=people.alice,
        deal=deal,
        stage="Quoted",
        values={"amount": "12,500", "currency": "usd"},
    )
    assert moved.stage == quoted
    assert moved.amount == Decimal("12500.00") and moved.currency == "USD"
    event = Event.objects.get(kind=DEAL_STAGE_CHANGED, deal_id=deal.pk)
    assert event.data["from_stage_name"] == "Lead" and event.data["to_stage_name"] == "Quoted"
    assert event.data["status"] == "open" and event.account_id == crm.acme.pk
    assert StageChange.objects.filter(deal=deal).count() == 2
    # Negotiation asks for the expected close date on top.
    with pytest.raises(MissingFields) as caught:
        deal_move_stage(actor=people.alice, deal=moved, stage="Negotiation")
    assert caught.value.fields == ["expected_close"]


def test_moving_into_the_same_stage_is_a_no_op(people, crm, pipeline):
    deal = deal_create(actor=people.alice, account=crm.acme, title="LED panels")
    deal_move_stage(actor=people.alice, deal=deal, stage="Lead")
    assert StageChange.objects.filter(deal=deal).count() == 1


def test_won_lost_and_reopen(people, crm, pipeline):
    deal = deal_create(
        actor=people.alice,
        account=crm.acme,
        title="LED panels",
        amount="1000",
        currency="EUR",
        expected_close="2026-04-30",
    )
    won = deal_move_stage(actor=people.alice, deal=deal, stage="Paid")
    assert won.status == DealStatus.WON and won.closed_at is not None
    with pytest.raises(MissingFields) as caught:
        deal_move_stage(actor=people.alice, deal=won, stage="Lost")
    assert caught.value.fields == ["lost_reason"]
    lost = deal_move_stage(
        actor=people.alice, deal=won, stage="Lost", lost_reason="Price", lost_note=" too dear "
    )
    assert lost.status == DealStatus.LOST and lost.lost_reason.name == "Price"
    assert lost.lost_note == "too dear"
    reopened = deal_move_stage(actor=people.alice, deal=lost, stage="Negotiation")
    assert reopened.status == DealStatus.OPEN and reopened.closed_at is None
    assert reopened.lost_reason is None
    statuses = list(
        Event.objects.filter(kind=DEAL_STAGE_CHANGED).order_by("id").values_list("data", flat=True)
    )
    assert [d["status"] for d in statuses] == ["won", "lost", "open"]


def test_a_read_only_user_cannot_move(people, crm, pipeline):
    from keyou.people.services import role_save

    deal = deal_create(actor=people.alice, account=crm.acme, title="LED panels")
    role = role_save(
        actor=SYSTEM, slug="viewer", name="Viewer", scope="all", capabilities=["view_customers"]
    )
    people.carol.role = role
    people.carol.save()
    with pytest.raises(NotAllowed):
        deal_move_stage(actor=people.carol, deal=deal, stage="Contacted")


@time_machine.travel(FRIDAY, tick=False)
def test_sop_tasks_due_in_working_days_across_a_weekend(people, crm, pipeline):
    deal = deal_create(
        actor=people.alice, account=crm.acme, title="LED panels", amount="100", currency="CNY"
    )
    deal_move_stage(actor=people.alice, deal=deal, stage="Quoted")
    task = Task.objects.get(deal_id=deal.pk)
    assert task.title == "Send the quotation" and task.assignee == people.alice
    # Friday 15:00 + 1 working day → the end of Monday (18:00 in Shanghai).
    assert task.due_at == datetime(2026, 3, 9, 10, 0, tzinfo=UTC)
    assert "- [ ] Prices and currency checked" in task.notes
    assert task.account == crm.acme
    entry = Activity.objects.get(kind=ActivityKind.TASK, data__task_id=task.pk)
    assert entry.deal_id == deal.pk


@time_machine.travel(FRIDAY, tick=False)
def test_sop_tasks_skip_holidays_and_go_to_the_manager(people, crm, pipeline):
    team = people.alice.team
    team.manager = people.bob
    team.save()
    BusinessCalendar.objects.create(
        name="Europe", team=team, time_zone="Asia/Shanghai",
        holidays={"2026": {"off": ["2026-03-09"]}},
    )  # fmt: skip
    deal = deal_create(
        actor=people.alice,
        account=crm.acme,
        title="LED panels",
        amount="100",
        currency="CNY",
        expected_close="2026-05-01",
    )
    deal_move_stage(actor=people.alice, deal=deal, stage="Contract")
    task = Task.objects.get(deal_id=deal.pk)
    assert task.title == "Check the contract terms" and task.assignee == people.bob
    # Friday + 2 working days, Monday off → the end of Wednesday.
    assert task.due_at == datetime(2026, 3, 11, 10, 0, tzinfo=UTC)


def test_sop_tasks_once_per_entry(people, crm, pipeline):
    deal = deal_create(
        actor=people.alice, account=crm.acme, title="LED panels", amount="100", currency="CNY"
    )
    deal_move_stage(actor=people.alice, deal=deal, stage="Quoted")
    deal_move_stage(actor=people.alice, deal=deal, stage="Quoted")
    assert Task.objects.filter(deal_id=deal.pk).count() == 1
    deal_move_stage(actor=people.alice, deal=deal, stage="Qualified")
    deal_move_stage(actor=people.alice, deal=deal, stage="Quoted")
    assert Task.objects.filter(deal_id=deal.pk).count() == 2


def test_stall_fires_once_per_stay(people, crm, pipeline):
    start = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
    with time_machine.travel(start, tick=False):
        deal = deal_create(actor=people.alice, account=crm.acme, title="LED panels")
        deal_move_stage(actor=people.alice, deal=deal, stage="Contacted")  # stalls after 14 days
    assert deals_stall_sweep(now=start + timedelta(days=13)) == 0
    assert deals_stall_sweep(now=start + timedelta(days=15)) == 1
    assert deals_stall_sweep(now=start + timedelta(days=16)) == 0  # the second run: nothing
    events = Event.objects.filter(kind=DEAL_STALLED, deal_id=deal.pk)
    assert events.count() == 1 and events.get().data["stage_name"] == "Contacted"
    note = Notification.objects.get(recipient=people.alice, kind="deal")
    assert "LED panels" in note.text and "Contacted" in note.text
    deal.refresh_from_db()
    assert deal.stalled_at is not None
    # A move clears the mark; a new stay can stall again.
    with time_machine.travel(start + timedelta(days=20), tick=False):
        deal = deal_move_stage(actor=people.alice, deal=deal, stage="Qualified")
    assert deal.stalled_at is None
    assert deals_stall_sweep(now=start + timedelta(days=35)) == 1
    assert Event.objects.filter(kind=DEAL_STALLED, deal_id=deal.pk).count() == 2


def test_closed_deals_never_stall(people, crm, pipeline):
    start = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
    with time_machine.travel(start, tick=False):
        deal = deal_create(actor=people.alice, account=crm.acme, title="LED panels")
        deal_move_stage(actor=people.alice, deal=deal, stage="Lost", lost_reason="No budget")
    assert deals_stall_sweep(now=start + timedelta(days=100)) == 0


def test_update_and_lines(people, crm, pipeline):
    deal = deal_create(
        actor=people.alice, account=crm.acme, title="LED panels", amount="100", currency="CNY"
    )
    deal = deal_move_stage(actor=people.alice, deal=deal, stage="Quoted")
    with pytest.raises(MissingFields):
        deal_update(actor=people.alice, deal=deal, amount="")
    deal = deal_update(
        actor=people.alice, deal=deal, title="LED panels, 600", contacts=[crm.anna.pk]
    )
    assert deal.title == "LED panels, 600" and list(deal.contacts.all()) == [crm.anna]
    with pytest.raises(InvalidDeal):
        deal_update(actor=people.alice, deal=deal, contacts=[crm.li.pk])  # globex's contact
    lines = deal_lines_set(
        actor=people.alice,
        deal=deal,
        lines=[{"product": "Panel 60x60", "quantity": "600", "unit_price": "12.5"}, {}],
    )
    assert [(line.product, line.quantity) for line in lines] == [("Panel 60x60", Decimal("600"))]


def test_stage_configuration(people, crm, pipeline):
    quoted = pipeline.stage("Quoted")
    stage_update(
        actor=people.admin,
        stage=quoted,
        probability=40,
        required_fields=["amount", "expected_close"],
        sop=[{"title": "Call back", "due_days": "2", "assignee": "owner", "checklist": "a\nb"}],
        stall_days=None,
    )
    quoted.refresh_from_db()
    assert quoted.probability == 40 and quoted.stall_days is None
    assert quoted.sop == [
        {"title": "Call back", "due_days": 2, "assignee": "owner", "checklist": ["a", "b"]}
    ]
    with pytest.raises(InvalidPipeline):
        stage_update(actor=people.admin, stage=quoted, required_fields=["colour"])
    with pytest.raises(NotAllowed):
        stage_update(actor=people.carol, stage=quoted, probability=1)
    extra = stage_add(actor=people.admin, pipeline=pipeline.pipeline, name="Samples sent")
    names = list(pipeline.pipeline.stages.order_by("position").values_list("name", flat=True))
    assert names.index("Samples sent") == 7  # after Delivery, before Paid and Lost
    deal = deal_create(actor=people.alice, account=crm.acme, title="x")
    deal_move_stage(actor=people.alice, deal=deal, stage=extra)
    with pytest.raises(InvalidPipeline, match="still holds deals"):
        stage_delete(actor=people.admin, stage=extra)
    deal_move_stage(actor=people.alice, deal=deal, stage="Lead")
    stage_delete(actor=people.admin, stage=extra)
    assert not pipeline.pipeline.stages.filter(name="Samples sent").exists()


def test_pipelines_created_renamed_reordered(people, crm, pipeline):
    from keyou.deals.pipelines import (
        lost_reason_add,
        lost_reason_update,
        pipeline_create,
        pipeline_delete,
        pipeline_update,
        stages_reorder,
    )

    export = pipeline_create(actor=people.admin, name="Export", copy_default=False)
    assert [s.name for s in export.stages.order_by("position")] == ["Lead", "Paid", "Lost"]
    with pytest.raises(InvalidPipeline):
        pipeline_create(actor=people.admin, name="export")
    pipeline_update(actor=people.admin, pipeline=export, name="Export deals", is_default=True)
    assert Pipeline.objects.get(is_default=True) == export
    assert pipeline_default_install() == export  # the default stays the one chosen
    ids = list(export.stages.order_by("-position").values_list("pk", flat=True))
    stages_reorder(actor=people.admin, pipeline=export, stage_ids=ids)
    assert list(export.stages.order_by("position").values_list("pk", flat=True)) == ids
    with pytest.raises(InvalidPipeline):
        stages_reorder(actor=people.admin, pipeline=export, stage_ids=ids[:1])
    deal_create(actor=people.alice, account=crm.acme, title="x", pipeline=pipeline.pipeline)
    pipeline_update(actor=people.admin, pipeline=pipeline.pipeline, is_default=True)
    with pytest.raises(InvalidPipeline, match="holds deals"):
        pipeline_delete(actor=people.admin, pipeline=pipeline.pipeline)
    pipeline_delete(actor=people.admin, pipeline=export)
    reason = lost_reason_add(actor=people.admin, name="Payment terms")
    lost_reason_update(actor=people.admin, reason=reason, active=False)
    reason.refresh_from_db()
    assert not reason.active
