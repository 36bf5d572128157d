"""A salesperson's day: what is due, who waits for an answer, which deals stall, which
customers are about to go back to the pool, and the one thing to do first.

"Do this first" picks, in this order (the first kind that has anything wins, and
within it the most urgent item):

1. a customer thread whose reply is overdue (SLA breached) — the customer is
   already waiting longer than we promise;
2. an overdue task — a promise to a customer or a colleague already broken;
3. a customer reclaimed to the pool within 24 hours — losing the customer is
   final, but there is still a day to follow up;
4. a stalled deal — it decays slowly, but it is money;
5. a task due later today.

Nothing here reads outside the actor's scope: tasks are the actor's own, threads
come from `automation.selectors.reply_queue` (scoped), deals and pool warnings are
on accounts the actor owns and may see.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from keyou.automation.selectors import QueueRow, reply_queue
from keyou.crm.models import Task
from keyou.crm.todo_selectors import my_tasks
from keyou.deals.models import Deal, DealStatus, StageKind
from keyou.people.access import Actor, scope_q
from keyou.pool.models import MoveKind, PoolMove

RECLAIM_SOON = timedelta(hours=24)


@dataclass
class StalledDeal:
    deal: Deal
    days_in_stage: int
    since: datetime  # when it counts as stalled (marked, or entered + the stage's stall days)


@dataclass
class Reclaim:
    account: Any
    due_at: datetime
    soon: bool  # within RECLAIM_SOON


@dataclass
class FirstThing:
    """The one item to do first: what kind, a sentence, and where to go."""

    kind: str  # "reply", "task", "reclaim", "deal", "today"
    text: str
    href: str


@dataclass
class MyDay:
    overdue_tasks: list[Task]
    today_tasks: list[Task]
    replies: list[QueueRow]
    stalled: list[StalledDeal]
    reclaims: list[Reclaim]
    first: FirstThing | None = None
    now: datetime = field(default_factory=timezone.now)


def stalled_deals(actor: Actor, *, now: datetime | None = None) -> list[StalledDeal]:
    """Return ACTOR's open deals that stall: marked stalled, or longer in their stage than the
    stage's stall days. Longest stalled first."""
    now = now or timezone.now()
    qs = (
        Deal.objects.filter(
            scope_q(actor, prefix="account__"),
            owner_id=actor.pk,
            status=DealStatus.OPEN,
            stage__kind=StageKind.OPEN,
        )
        .filter(Q(stalled_at__isnull=False) | Q(stage__stall_days__isnull=False))
        .select_related("account", "stage")
        .order_by(F("stage_entered_at").asc(), "pk")
    )
    out = []
    for deal in qs:
        limit = deal.stage.stall_days
        over = deal.stage_entered_at + timedelta(days=limit) if limit is not None else None
        if deal.stalled_at is None and (over is None or over > now):
            continue
        since = deal.stalled_at or over
        days = max(0, (now - deal.stage_entered_at).days)
        out.append(StalledDeal(deal=deal, days_in_stage=days, since=since))
    out.sort(key=lambda s: (s.since, s.deal.pk))
    return out


def reclaims_ahead(actor: Actor, *, now: datetime | None = None) -> list[Reclaim]:
    """Return ACTOR's accounts warned of a reclaim due in the future, soonest first.

    A warning no longer holds once the owner followed up after it (as on the account
    page, `pool.selectors.account_pool_state`).
    """
    from keyou.pool.sweep import last_follow_ups

    now = now or timezone.now()
    moves = (
        PoolMove.objects.filter(
            scope_q(actor, prefix="account__"),
            kind=MoveKind.WARNED,
            user_id=actor.pk,
            account__owner_id=actor.pk,
            due_at__gt=now,
        )
        .select_related("account")
        .order_by("due_at", "pk")
    )
    warned: dict[int, PoolMove] = {}
    for move in moves:
        assigned = move.account.assigned_at or move.account.created_at
        if move.at >= assigned and move.account_id not in warned:
            warned[move.account_id] = move
    followed = last_follow_ups(list(warned)) if warned else {}
    out = []
    for account_id, move in warned.items():
        last = followed.get(account_id)
        if last is not None and last > move.at:
            continue
        out.append(Reclaim(move.account, move.due_at, move.due_at - now <= RECLAIM_SOON))
    out.sort(key=lambda r: r.due_at)
    return out


def first_thing(day: MyDay) -> FirstThing | None:
    """Return the one item of DAY to do first, by the priority in the module docstring."""
    from django.urls import reverse

    breached = [row for row in day.replies if row.breached]
    if breached:
        thread = breached[0].thread
        name = thread.account.name if thread.account else ""
        return FirstThing(
            "reply",
            _("Reply to %(customer)s: “%(subject)s” is past its reply time.")
            % {"customer": name, "subject": thread.subject},
            reverse("thread_detail", args=[thread.pk]),
        )
    if day.overdue_tasks:
        task = day.overdue_tasks[0]
        return FirstThing(
            "task",
            _("Do the overdue task “%(title)s”.") % {"title": task.title},
            reverse("task_edit", args=[task.pk]),
        )
    soon = [r for r in day.reclaims if r.soon]
    if soon:
        account = soon[0].account
        return FirstThing(
            "reclaim",
            _("Follow up with %(customer)s before it returns to the public pool.")
            % {"customer": account.name},
            reverse("account_detail", args=[account.pk]),
        )
    if day.stalled:
        deal = day.stalled[0].deal
        return FirstThing(
            "deal",
            _("Move the stalled deal “%(deal)s” forward.") % {"deal": deal.title},
            reverse("deal_detail", args=[deal.pk]),
        )
    if day.today_tasks:
        task = day.today_tasks[0]
        return FirstThing(
            "today",
            _("Start with today's task “%(title)s”.") % {"title": task.title},
            reverse("task_edit", args=[task.pk]),
        )
    return None


def my_day(actor: Actor, *, now: datetime | None = None) -> MyDay:
    """Return ACTOR's day: overdue and today's tasks, threads awaiting their reply (by due
    time), stalled deals, reclaims ahead, and the one thing to do first."""
    now = now or timezone.now()
    tasks = my_tasks(actor, now=now)
    day = MyDay(
        overdue_tasks=tasks["overdue"],
        today_tasks=tasks["today"],
        replies=reply_queue(actor, now=now),
        stalled=stalled_deals(actor, now=now),
        reclaims=reclaims_ahead(actor, now=now),
        now=now,
    )
    day.first = first_thing(day)
    return day
