"""Dry run: what would this rule have done over the last N days? Reads only.

Event-triggered rules are replayed over the stored events of their kind (history
included). Timer rules are simulated from the mail itself: each wait for our
reply, and each customer's last email from us, tell when the timer would have
fired. A schedule rule is evaluated once, now, over every customer. Conditions
see today's customer data; actions are described, never done.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models.functions import Coalesce
from django.utils import timezone

from keyou.automation.actions import ActionContext, action_describe
from keyou.automation.clock import thread_first_account_id
from keyou.automation.engine import EventSpec, evaluate, triggered
from keyou.automation.models import Event, Rule, Trigger
from keyou.automation.rules import rule_spec
from keyou.automation.snapshot import Subjects, snapshot_build, subjects_load
from keyou.crm.models import Account
from keyou.mail.models import Direction, Message, Thread

# A dry run looks at this many candidates at most, so it answers in seconds.
MAX_CANDIDATES = 5000


@dataclass
class DryMatch:
    at: datetime
    account: Account | None
    thread_id: int | None
    subject: str
    why: tuple[str, ...]
    actions: list[str]


@dataclass
class DryRun:
    rule: Rule
    since: datetime
    checked: int = 0
    matches: list[DryMatch] = field(default_factory=list)
    truncated: bool = False


def _candidates_from_events(rule: Rule, since: datetime) -> list[tuple[datetime, Subjects, dict]]:
    spec = rule_spec(rule)
    out = []
    for event in Event.objects.filter(kind=rule.trigger, occurred_at__gte=since).order_by("id")[
        :MAX_CANDIDATES
    ]:
        if triggered(spec, EventSpec(kind=event.kind, data=event.data or {})):
            out.append((event.occurred_at, subjects_load(event), event.data or {}))
    return out


def _waits(rule: Rule, since: datetime, now: datetime) -> list[tuple[datetime, Subjects, dict]]:
    """Each wait for our reply that reached the rule's mark, and when it did."""
    from keyou.automation.clock import thread_team_id
    from keyou.automation.sla import working_time_for_team

    mark = rule.trigger_after or 0
    thread_ids = (
        Message.objects.filter(
            direction=Direction.INBOUND, is_automated=False, sent_at__gte=since - timedelta(days=7)
        )
        .exclude(thread__isnull=True)
        .values_list("thread_id", flat=True)
        .distinct()[:MAX_CANDIDATES]
    )
    out = []
    for thread in Thread.objects.filter(pk__in=list(thread_ids)):
        hours = working_time_for_team(thread_team_id(thread))
        rows = Message.objects.filter(
            thread=thread,
            is_automated=False,
            direction__in=[Direction.INBOUND, Direction.OUTBOUND],
        ).order_by("sent_at", "id")
        start = None
        for direction, sent_at in [*rows.values_list("direction", "sent_at"), ("end", now)]:
            if direction == Direction.INBOUND and start is None:
                start = sent_at
            elif direction != Direction.INBOUND and start is not None:
                if hours.minutes_between(start, sent_at) >= mark:
                    fired = hours.add(start, mark)
                    if since <= fired <= now:
                        out.append((fired, Subjects(thread=thread), {"after": mark}))
                start = None
    return out


def _quiet(rule: Rule, since: datetime, now: datetime) -> list[tuple[datetime, Subjects, dict]]:
    days = timedelta(days=rule.trigger_after or 0)
    accounts = (
        Account.objects.annotate(touched=Coalesce("last_outbound_at", "first_contact_at"))
        .filter(touched__gte=since - days, touched__lte=now - days)
        .select_related("owner", "team")[:MAX_CANDIDATES]
    )
    return [
        (a.touched + days, Subjects(account=a), {"after": rule.trigger_after}) for a in accounts
    ]


def _complete(found: Subjects) -> Subjects:
    """Fill in the thread's customer for simulated candidates (read only: nothing is set)."""
    if found.account is None and found.thread is not None:
        account_id = thread_first_account_id(found.thread)
        if account_id:
            found.account = (
                Account.objects.select_related("owner", "team").filter(pk=account_id).first()
            )
    return found


def rule_dry_run(rule: Rule, *, days: int = 30, now: datetime | None = None) -> DryRun:
    """Return what RULE (saved or not, enabled or not) would have done in the last DAYS days.

    Nothing is written: no run, task, notice, tag or timeline entry.
    """
    now = now or timezone.now()
    since = now - timedelta(days=days)
    result = DryRun(rule=rule, since=since)
    if rule.trigger == Trigger.THREAD_AWAITING_REPLY:
        candidates = _waits(rule, since, now)
    elif rule.trigger == Trigger.ACCOUNT_NO_FOLLOW_UP:
        candidates = _quiet(rule, since, now)
    elif rule.trigger == Trigger.SCHEDULE:
        candidates = [
            (now, Subjects(account=a), {})
            for a in Account.objects.select_related("owner", "team")[:MAX_CANDIDATES]
        ]
    else:
        candidates = _candidates_from_events(rule, since)
    result.truncated = len(candidates) >= MAX_CANDIDATES
    for at, found, data in candidates:
        found = _complete(found)
        result.checked += 1
        snapshot = snapshot_build(found, at, data)
        if rule.trigger == Trigger.THREAD_AWAITING_REPLY:
            snapshot["thread.waiting_minutes"] = rule.trigger_after
            snapshot["thread.awaiting_reply"] = True
        verdict = evaluate(rule.conditions or {}, snapshot, at)
        if not verdict.holds:
            continue
        why = verdict.why or ("always",)
        ctx = ActionContext(
            rule=rule, key="dry-run", found=found, snapshot=snapshot, why=why, now=at
        )
        subject = ""
        if found.message is not None:
            subject = found.message.subject
        elif found.thread is not None:
            subject = found.thread.subject
        result.matches.append(
            DryMatch(
                at=at,
                account=found.account,
                thread_id=found.thread.pk if found.thread else None,
                subject=subject,
                why=why,
                actions=[action_describe(a, ctx) for a in rule.actions or []],
            )
        )
    result.matches.sort(key=lambda m: m.at, reverse=True)
    return result
