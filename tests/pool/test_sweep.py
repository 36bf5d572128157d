"""The nightly reclaim sweep over 40 days, with several policies, sweeping once a day.

Given dave's accounts, all his since day 0, and four policies (in this order):
  key         tier A, no follow-up for 15 days, needs the manager's approval
  first       lifecycle "new", no first contact within 72 hours, then round robin in Europe
  lost        lifecycle "dormant", latest deal lost and 10 days without activity
  default     no follow-up for 15 days (protection 10 days when the customer replies)
when the sweep runs every day at the same hour (explicit `now=`, no sleeping),
then each account is warned the day before and reclaimed on the day, never earlier.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.utils import timezone

from keyou.audit.models import AuditEntry
from keyou.automation.models import Event
from keyou.crm.models import Account, AccountDomain, Activity, ActivityKind, Lifecycle
from keyou.crm.services import contact_add, interaction_log
from keyou.deals.models import Deal, DealStatus, Pipeline, Stage
from keyou.mail.ingest import mail_ingest
from keyou.mail.models import Message
from keyou.mail.services import mailbox_add
from keyou.mail.sources import RawItem
from keyou.people.access import SYSTEM
from keyou.people.models import Notification
from keyou.pool.models import (
    ApprovalStatus,
    MoveKind,
    PoolMove,
    PoolPolicy,
    ReclaimApproval,
    ReclaimTrigger,
    Redistribute,
)
from keyou.pool.reclaim import approval_decide
from keyou.pool.selectors import approvals_pending_for
from keyou.pool.services import PoolRefused, account_claim, pool_on_message_received
from keyou.pool.sweep import last_follow_ups, pool_sweep
from tests.mail.mailfactory import raw_message

# Day 0 is 12 days ago at the top of the hour, so the customer's reply on day 12 is
# recent enough to be live mail (the protection hook ignores old mail).
T0 = timezone.now().replace(minute=0, second=0, microsecond=0) - timedelta(days=12)


def day(n: float) -> datetime:
    return T0 + timedelta(days=n)


def _policies(team) -> SimpleNamespace:
    return SimpleNamespace(
        key=PoolPolicy.objects.create(
            name="Key accounts",
            position=1,
            trigger=ReclaimTrigger.NO_FOLLOW_UP,
            after_hours=15 * 24,
            tiers=["A"],
            requires_approval=True,
        ),
        first=PoolPolicy.objects.create(
            name="First contact",
            position=2,
            trigger=ReclaimTrigger.NO_FIRST_CONTACT,
            after_hours=72,
            lifecycles=["new"],
            redistribute=Redistribute.ROUND_ROBIN,
            redistribute_team=team,
        ),
        lost=PoolPolicy.objects.create(
            name="Lost deals",
            position=3,
            trigger=ReclaimTrigger.LOST_IDLE,
            after_hours=10 * 24,
            lifecycles=["dormant"],
        ),
        default=PoolPolicy.objects.create(
            name="Default",
            position=4,
            trigger=ReclaimTrigger.NO_FOLLOW_UP,
            after_hours=15 * 24,
            protection_days=10,
        ),
        off=PoolPolicy.objects.create(
            name="Disabled catch-all", position=0, enabled=False, after_hours=1
        ),
    )


def _account(name: str, owner, **fields) -> Account:
    account = Account.objects.create(
        name=name, owner=owner, team=owner.team, assigned_at=day(0), **fields
    )
    AccountDomain.objects.create(account=account, domain=f"{name.lower()}.example")
    return account


@pytest.fixture
def scenario(pool_team):
    dave = pool_team.dave
    pipeline = Pipeline.objects.create(name="B2B")
    lost_stage = Stage.objects.create(pipeline=pipeline, name="Lost", kind="lost")
    accounts = SimpleNamespace(
        idle=_account("Idle", dave),
        followed=_account("Followed", dave),
        new=_account("Fresh", dave, lifecycle=Lifecycle.NEW),
        contacted=_account("Contacted", dave, lifecycle=Lifecycle.NEW),
        key=_account("Keyco", dave, tier="A"),
        lost=_account("Lostco", dave, lifecycle=Lifecycle.DORMANT),
        engaged=_account("Engaged", dave),
    )
    Deal.objects.create(
        title="Lost order",
        account=accounts.lost,
        owner=dave,
        team=dave.team,
        pipeline=pipeline,
        stage=lost_stage,
        status=DealStatus.LOST,
        amount=Decimal("1000"),
        stage_entered_at=day(1),
        closed_at=day(1),
    )
    contact_add(actor=SYSTEM, account=accounts.engaged, name="Ed", email="ed@engaged.example")
    contact_add(actor=SYSTEM, account=accounts.contacted, name="Cy", email="cy@contacted.example")
    box = mailbox_add(address="dave@demo-trading.com", owner="dave")
    return SimpleNamespace(
        team=pool_team, dave=dave, policies=_policies(pool_team.europe), box=box, **vars(accounts)
    )


def _ingest(box, raw: bytes, n: int) -> None:
    mail_ingest(mailbox=box, items=[RawItem(source=f"pool-test#{n}", raw=raw)])


def _moves(account: Account, kind: str) -> list[PoolMove]:
    return list(PoolMove.objects.filter(account=account, kind=kind).order_by("at", "id"))


def test_forty_days_of_sweeps(scenario):
    s, dave = scenario, scenario.dave
    # Day 1: dave mails Contacted (its first contact) and Engaged; both count as follow-ups.
    _ingest(
        s.box,
        raw_message(
            sender="Dave <dave@demo-trading.com>",
            to="cy@contacted.example",
            subject="Hello",
            message_id="<hello-1@demo-trading.com>",
            date=day(1),
        ),
        1,
    )
    _ingest(
        s.box,
        raw_message(
            sender="Dave <dave@demo-trading.com>",
            to="ed@engaged.example",
            subject="Our catalogue",
            message_id="<cat-1@demo-trading.com>",
            date=day(2),
        ),
        2,
    )
    assert last_follow_ups()[s.engaged.pk] == day(2)
    reclaimed_on: dict[str, float] = {}
    warned_on: dict[str, list[float]] = {}
    names = {a.pk: a.name for a in Account.objects.all()}
    for n in range(0, 41):
        now = day(n)
        if n == 12:
            # The customer replies to dave's catalogue through real ingest, 30 minutes ago.
            _ingest(
                s.box,
                raw_message(
                    sender="Ed <ed@engaged.example>",
                    to="dave@demo-trading.com",
                    subject="Re: Our catalogue",
                    message_id="<re-cat-1@engaged.example>",
                    in_reply_to="<cat-1@demo-trading.com>",
                    references="<cat-1@demo-trading.com>",
                    date=day(12) - timedelta(minutes=30),
                ),
                3,
            )
            reply = Message.objects.get(subject="Re: Our catalogue")
            event = Event.objects.get(kind="message.received", message_id=reply.pk)
            assert pool_on_message_received(event) is True
            assert pool_on_message_received(event) is True  # twice: nothing more
        if n == 15:
            # After the warning of day 14, dave called Followed: its due date moves on.
            interaction_log(
                actor=dave,
                account=s.followed,
                kind="call",
                occurred_at=day(14) + timedelta(hours=1),
                summary="Talked about the spring order",
            )
        if n == 16:
            # Mia keeps Keyco with dave; the policy's quiet time protects it again.
            (approval,) = approvals_pending_for(s.team.mia)
            approval_decide(actor=s.team.mia, approval=approval, approve=False, now=now)
        if n == 32:
            (approval,) = approvals_pending_for(s.team.mia)
            approval_decide(actor=s.team.mia, approval=approval, approve=True, now=now)
        pool_sweep(now=now)
        for move in PoolMove.objects.filter(at=now, kind=MoveKind.WARNED, user=dave):
            warned_on.setdefault(names[move.account_id], []).append(n)
        for move in PoolMove.objects.filter(at=now, kind=MoveKind.RECLAIMED, user=dave):
            reclaimed_on.setdefault(names[move.account_id], n)

    # Warned the day before, reclaimed on the day, never earlier.
    assert reclaimed_on == {
        "Fresh": 3,  # no first contact within 72 hours
        # Contacted on day 1, so "first contact" is satisfied; the default policy also
        # covers it (every covering policy applies) and 15 quiet days end on day 16.
        "Contacted": 16,
        "Lostco": 11,  # deal lost on day 1, 10 quiet days
        "Idle": 15,
        "Engaged": 22,  # due day 17, but the reply on day 12 protected it for 10 days
        "Followed": 30,  # the call on day 14 moved it to day 29 (+1 h), warned day 29
        "Keyco": 32,  # approval asked day 15, rejected day 16; asked day 31, approved day 32
    }
    assert warned_on["Fresh"][0] == 2  # then it goes round the team (and back to dave)
    assert warned_on["Lostco"] == [10]
    assert warned_on["Idle"] == [14]
    assert warned_on["Engaged"] == [21]
    assert warned_on["Followed"] == [14, 29]
    assert warned_on["Keyco"] == [14, 30]
    assert warned_on["Contacted"] == [15]  # first contact made; then the default policy

    # Told one day ahead: the warning says when.
    (warning,) = _moves(s.idle, MoveKind.WARNED)
    assert warning.due_at == day(15)
    notice = Notification.objects.get(
        recipient=dave, dedupe_key__startswith=f"pool-warn:{dave.pk}:{day(15).isoformat()}"
    )
    assert "Back to the public pool on" in notice.text
    assert "Idle" in notice.text and "Keyco" in notice.text  # one notice for the day's accounts
    # The second warning of Followed tells the next sweep (the due time is 1 hour after day 29).
    assert _moves(s.followed, MoveKind.WARNED)[1].due_at == day(30)

    # Protection: the reply protected Engaged for 10 days, once.
    (protected,) = _moves(s.engaged, MoveKind.PROTECTED)
    assert protected.due_at == day(22) - timedelta(minutes=30)
    assert protected.data["message_id"] == reply.pk

    # Approvals: asked on day 15 (once), rejected, asked again on day 31 after a warning.
    asked = _moves(s.key, MoveKind.APPROVAL_ASKED)
    assert [m.at for m in asked] == [day(15), day(31)]
    assert [a.status for a in ReclaimApproval.objects.filter(account=s.key).order_by("pk")] == [
        ApprovalStatus.REJECTED,
        ApprovalStatus.APPROVED,
    ]
    assert _moves(s.key, MoveKind.REJECTED)[0].due_at == day(31)
    asks = Notification.objects.filter(recipient=s.team.mia, text__startswith="Approve or reject")
    assert asks.count() == 2

    # Round robin: Fresh went to someone else in Europe, not back to dave.
    given = _moves(s.new, MoveKind.REDISTRIBUTED)
    assert given[0].at == day(3) and given[0].user != dave
    assert given[0].user.team == s.team.europe
    s.new.refresh_from_db()
    assert s.new.owner is not None

    # Every move is on the timeline and audited.
    moves = PoolMove.objects.all()
    timeline = Activity.objects.filter(kind=ActivityKind.POOL)
    assert {m.pk for m in moves} == {a.data["move_id"] for a in timeline}
    for move in moves:
        assert AuditEntry.objects.filter(
            object_type="account", object_id=str(move.account_id), data__pool=move.kind
        ).exists(), move

    # Cooldown: dave cannot take Idle back until 10 days after its reclaim.
    with pytest.raises(PoolRefused, match="claim it again"):
        account_claim(actor=dave, account=s.idle, now=day(24))
    account_claim(actor=dave, account=s.idle, now=day(25))


def test_sweep_twice_does_nothing_more(scenario):
    for n in (14, 14, 15, 15):
        pool_sweep(now=day(n))
    assert len(_moves(scenario.idle, MoveKind.WARNED)) == 1
    assert len(_moves(scenario.idle, MoveKind.RECLAIMED)) == 1
    assert len(_moves(scenario.key, MoveKind.APPROVAL_ASKED)) == 1


def test_an_account_first_seen_past_due_is_warned_then_reclaimed_a_day_later(scenario):
    result = pool_sweep(now=day(20))
    assert result.reclaimed == 0 and result.warned >= 1
    (warning,) = _moves(scenario.idle, MoveKind.WARNED)
    assert warning.due_at == day(21)
    pool_sweep(now=day(21) - timedelta(hours=1))
    assert scenario.idle.pool_moves.filter(kind=MoveKind.RECLAIMED).count() == 0
    pool_sweep(now=day(21))
    scenario.idle.refresh_from_db()
    assert scenario.idle.owner is None and scenario.idle.pooled_at == day(21)


def test_tags_narrow_a_policy(scenario):
    from keyou.crm.services import account_tag_add

    PoolPolicy.objects.update(enabled=False)
    PoolPolicy.objects.create(name="Tagged", trigger=ReclaimTrigger.NO_FOLLOW_UP, tags=["fair"])
    account_tag_add(actor=SYSTEM, account=scenario.idle, name="Fair")
    result = pool_sweep(now=day(20))
    assert result.covered == 1 and result.warned == 1


def test_a_pending_approval_is_cancelled_when_the_owner_follows_up(scenario):
    pool_sweep(now=day(14))
    pool_sweep(now=day(15))
    approval = ReclaimApproval.objects.get(account=scenario.key)
    interaction_log(
        actor=scenario.dave,
        account=scenario.key,
        kind="meeting",
        occurred_at=day(15) + timedelta(hours=2),
        summary="Visited",
    )
    pool_sweep(now=day(16))
    approval.refresh_from_db()
    assert approval.status == ApprovalStatus.CANCELLED
    with pytest.raises(PoolRefused, match="decided already"):
        approval_decide(actor=scenario.team.mia, approval=approval, approve=True, now=day(16))


def test_only_the_manager_or_an_assigner_decides(scenario):
    from keyou.crm.selectors import NotFound

    pool_sweep(now=day(14))
    pool_sweep(now=day(15))
    approval = ReclaimApproval.objects.get(account=scenario.key)
    with pytest.raises(NotFound):
        approval_decide(actor=scenario.team.erin, approval=approval, approve=True, now=day(15))
    assert list(approvals_pending_for(scenario.team.erin)) == []
    assert list(approvals_pending_for(scenario.team.admin)) == [approval]
