"""Timers: scheduled checks that emit an event once when a moment is reached.

Each timer event carries a dedupe key naming its moment (this thread's wait since
T reached 30 working minutes; this task fell due; this contact's birthday this
year), so running a sweep twice, or on two workers, emits it once.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models.functions import Coalesce
from django.utils import timezone

from keyou.automation import events as kinds
from keyou.automation.catalog import schedule_parse
from keyou.automation.events import event_emit
from keyou.automation.models import Rule, Trigger
from keyou.crm.models import Account, Contact, Task, TaskStatus
from keyou.mail.models import Thread
from keyou.people.models import Organization

# A task counts as overdue this long after it fell due.
OVERDUE_AFTER = timedelta(days=1)


def _marks(trigger: str) -> list[int]:
    return sorted(
        set(
            Rule.objects.filter(enabled=True, trigger=trigger, trigger_after__isnull=False)
            .values_list("trigger_after", flat=True)
            .distinct()
        )
    )


def _lookback() -> timedelta:
    return timedelta(days=settings.KEYOU_TIMER_LOOKBACK_DAYS)


def awaiting_sweep(now: datetime) -> int:
    """Emit thread.awaiting_reply when a wait reaches a mark some enabled rule waits for."""
    from keyou.automation.clock import thread_team_id
    from keyou.automation.sla import WorkingTime, working_time_for_team

    marks = _marks(Trigger.THREAD_AWAITING_REPLY)
    if not marks:
        return 0
    hours: dict[int | None, WorkingTime] = {}
    emitted = 0
    threads = Thread.objects.filter(
        awaiting_since__isnull=False, awaiting_since__gte=now - _lookback()
    ).only("pk", "awaiting_since", "account_id")
    for thread in threads.iterator():
        team_id = thread_team_id(thread)
        if team_id not in hours:
            hours[team_id] = working_time_for_team(team_id)
        waited = hours[team_id].minutes_between(thread.awaiting_since, now)
        since = int(thread.awaiting_since.timestamp())
        for mark in marks:
            if waited < mark:
                break
            emitted += bool(
                event_emit(
                    kinds.THREAD_AWAITING_REPLY,
                    thread_id=thread.pk,
                    account_id=thread.account_id,
                    data={"after": mark, "waiting_minutes": waited},
                    dedupe_key=f"await:{thread.pk}:{since}:{mark}",
                )
            )
    return emitted


def quiet_sweep(now: datetime) -> int:
    """Emit account.no_follow_up when a customer has had no email from us for N days."""
    emitted = 0
    for days in _marks(Trigger.ACCOUNT_NO_FOLLOW_UP):
        edge = now - timedelta(days=days)
        accounts = (
            Account.objects.annotate(touched=Coalesce("last_outbound_at", "first_contact_at"))
            .filter(touched__lte=edge, touched__gte=edge - _lookback())
            .values_list("pk", "touched")
        )
        for account_id, touched in accounts.iterator():
            emitted += bool(
                event_emit(
                    kinds.ACCOUNT_NO_FOLLOW_UP,
                    account_id=account_id,
                    data={"after": days},
                    dedupe_key=f"quiet:{account_id}:{int(touched.timestamp())}:{days}",
                )
            )
    return emitted


def tasks_sweep(now: datetime) -> int:
    """Emit task.due when an open task falls due and task.overdue a day later."""
    emitted = 0
    open_tasks = Task.objects.filter(status=TaskStatus.OPEN, due_at__isnull=False)
    due = open_tasks.filter(due_at__lte=now, due_at__gte=now - _lookback())
    for task_id, account_id in due.values_list("pk", "account_id").iterator():
        emitted += bool(
            event_emit(
                kinds.TASK_DUE,
                task_id=task_id,
                account_id=account_id,
                dedupe_key=f"task-due:{task_id}",
            )
        )
    late = open_tasks.filter(
        due_at__lte=now - OVERDUE_AFTER, due_at__gte=now - OVERDUE_AFTER - _lookback()
    )
    for task_id, account_id in late.values_list("pk", "account_id").iterator():
        emitted += bool(
            event_emit(
                kinds.TASK_OVERDUE,
                task_id=task_id,
                account_id=account_id,
                dedupe_key=f"task-overdue:{task_id}",
            )
        )
    return emitted


def birthdays_sweep(now: datetime) -> int:
    """Emit contact.birthday once a year per contact, on the day in the company's zone."""
    today = now.astimezone(ZoneInfo(Organization.get().time_zone)).date()
    contacts = Contact.objects.filter(birthday__month=today.month, birthday__day=today.day)
    emitted = 0
    for contact_id, account_id in contacts.values_list("pk", "account_id").iterator():
        emitted += bool(
            event_emit(
                kinds.CONTACT_BIRTHDAY,
                contact_id=contact_id,
                account_id=account_id,
                dedupe_key=f"birthday:{contact_id}:{today.year}",
            )
        )
    return emitted


def _period(schedule: str, local: datetime) -> str | None:
    """Return the key of SCHEDULE's period containing LOCAL, or None before its time today."""
    parsed = schedule_parse(schedule)
    if parsed is None:
        return None
    kind, hour, minute = parsed
    if kind == "hourly":
        return local.strftime("%Y%m%d%H")
    if (local.hour, local.minute) < (hour, minute):
        return None
    return local.strftime("%Y%m%d")


def schedules_sweep(now: datetime) -> int:
    """Emit one schedule event per rule and period ("hourly", "daily HH:MM")."""
    local = now.astimezone(ZoneInfo(Organization.get().time_zone))
    emitted = 0
    for rule_id, schedule in Rule.objects.filter(
        enabled=True, trigger=Trigger.SCHEDULE
    ).values_list("pk", "schedule"):
        period = _period(schedule or "daily 09:00", local)
        if period is None:
            continue
        emitted += bool(
            event_emit(
                kinds.SCHEDULE_TICK,
                data={"rule_id": rule_id, "period": period},
                dedupe_key=f"schedule:{rule_id}:{period}",
            )
        )
    return emitted


def timers_sweep(now: datetime | None = None) -> int:
    """Run every timer once; return how many events were emitted."""
    now = now or timezone.now()
    return sum(
        sweep(now)
        for sweep in (awaiting_sweep, quiet_sweep, tasks_sweep, birthdays_sweep, schedules_sweep)
    )
