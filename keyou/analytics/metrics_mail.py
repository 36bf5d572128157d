"""Mail metrics: email volume, threads awaiting our reply, SLA breaches.

Counting rules (see `keyou.analytics.scope`): a message counts once when at
least one account it is filed on is visible and matches the filters.
Automated mail (auto-replies, bounces, newsletters) is left out everywhere.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, time, timedelta

from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext as _

from keyou.analytics.filters import AnalyticsFilters
from keyou.analytics.models import MailDay, MailShared
from keyou.analytics.rollups import mail_rollup_zone
from keyou.analytics.rows import (
    AwaitingRow,
    CountRow,
    VolumeRow,
)
from keyou.analytics.scope import (
    email_activities,
    response_times_in,
    visible_threads_q,
)
from keyou.automation.sla import calendar_for_team
from keyou.crm.models import Account
from keyou.mail.models import Direction, Message, Thread
from keyou.people.access import Actor, scope_q
from keyou.people.models import User

# --- Volume -----------------------------------------------------------------------------


def _volume_activities(actor: Actor, filters: AnalyticsFilters) -> QuerySet:
    return email_activities(actor, filters).filter(
        occurred_at__gte=filters.start_at,
        occurred_at__lt=filters.end_at,
        message__is_automated=False,
        message__direction__in=[Direction.INBOUND, Direction.OUTBOUND],
    )


def email_volume(actor: Actor, filters: AnalyticsFilters) -> list[VolumeRow]:
    """Return inbound and outbound emails per company day of the period (every day, zeros too).

    Read from the mail rollup (`keyou.analytics.models`) when it is built in the
    filters' zone: the per-account-day sums of visible accounts plus the distinct
    messages filed on several accounts. Otherwise one live query: distinct
    messages grouped by day and direction.
    """
    by_day: dict[date, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    zone = mail_rollup_zone()
    if zone is not None and zone.key == filters.zone.key:
        for day, inbound, outbound in _volume_rollup_days(actor, filters):
            by_day[day][Direction.INBOUND] += inbound or 0
            by_day[day][Direction.OUTBOUND] += outbound or 0
        for day, direction, n in _volume_rollup_shared(actor, filters):
            by_day[day][direction] += n
    else:
        counts = (
            _volume_activities(actor, filters)
            .annotate(day=TruncDate("occurred_at", tzinfo=filters.zone))
            .values_list("day", "message__direction")
            .order_by()
            .annotate(n=Count("message_id", distinct=True))
        )
        for day, direction, n in counts:
            by_day[day][direction] += n
    return [
        VolumeRow(
            day=day,
            inbound=by_day[day][Direction.INBOUND] if day in by_day else 0,
            outbound=by_day[day][Direction.OUTBOUND] if day in by_day else 0,
            drill=day.isoformat(),
        )
        for day in filters.days()
    ]


def _rollup_rows(model: type, actor: Actor, filters: AnalyticsFilters) -> QuerySet:
    return model.objects.filter(
        scope_q(actor, prefix="account__"),
        filters.account_q("account__"),
        day__gte=filters.start,
        day__lte=filters.end,
    ).order_by()


def _volume_rollup_days(actor: Actor, filters: AnalyticsFilters) -> QuerySet:
    return (
        _rollup_rows(MailDay, actor, filters)
        .values_list("day")
        .annotate(Sum("inbound"), Sum("outbound"))
    )


def _volume_rollup_shared(actor: Actor, filters: AnalyticsFilters) -> QuerySet:
    return (
        _rollup_rows(MailShared, actor, filters)
        .values_list("day", "direction")
        .annotate(Count("message_id", distinct=True))
    )


def drill_email_volume(actor: Actor, key: str, filters: AnalyticsFilters) -> QuerySet[Message]:
    """Return the messages behind KEY ("YYYY-MM-DD" or "YYYY-MM-DD:inbound|outbound")."""
    day_text, _sep, direction = key.partition(":")
    day = date.fromisoformat(day_text)
    begin = datetime.combine(day, time(0), tzinfo=filters.zone)
    acts = _volume_activities(actor, filters).filter(
        occurred_at__gte=begin, occurred_at__lt=begin + timedelta(days=1)
    )
    if direction:
        acts = acts.filter(message__direction=direction)
    return Message.objects.filter(pk__in=acts.values("message_id")).order_by("sent_at", "pk")


# --- Awaiting reply and SLA breaches ------------------------------------------------------


def _awaiting(actor: Actor, filters: AnalyticsFilters) -> QuerySet[Thread]:
    return Thread.objects.filter(visible_threads_q(actor, filters), awaiting_since__isnull=False)


def _late_answers(actor: Actor, filters: AnalyticsFilters) -> list[int]:
    """Return the threads with an inbound message received in the period answered after its
    allowance (the thread team's reply or inquiry minutes, in working minutes)."""
    rows = list(
        response_times_in(actor, filters, by_responder=False).values_list(
            "thread_id", "thread__is_inquiry", "account_id", "working_minutes"
        )
    )
    teams = dict(
        Account.objects.filter(pk__in={r[2] for r in rows if r[2]}).values_list("pk", "team_id")
    )
    calendars: dict[int | None, object] = {}
    late: set[int] = set()
    for thread_id, is_inquiry, account_id, minutes in rows:
        team_id = teams.get(account_id)
        if team_id not in calendars:
            calendars[team_id] = calendar_for_team(team_id)
        calendar = calendars[team_id]
        allowance = calendar.inquiry_reply_minutes if is_inquiry else calendar.reply_minutes
        if minutes > allowance:
            late.add(thread_id)
    return sorted(late)


def awaiting_reply(
    actor: Actor, filters: AnalyticsFilters, *, now: datetime | None = None
) -> list[CountRow]:
    """Return the reply-owed counts: awaiting now, overdue now, and the period's SLA breaches.

    Keys: "awaiting" (threads waiting for our reply now), "overdue" (of those, past
    their due time now), "breached_answered" (threads with a customer message
    received in the period that we answered after the allowance), "breached_open"
    (threads still waiting whose due time fell in the period and has passed).
    The first two ignore the period; they are now.
    """
    now = now or timezone.now()
    waiting = _awaiting(actor, filters).aggregate(
        awaiting=Count("pk"),
        overdue=Count("pk", filter=Q(reply_due_at__lt=now)),
        breached_open=Count(
            "pk",
            filter=Q(
                reply_due_at__gte=filters.start_at,
                reply_due_at__lt=min(filters.end_at, now),
            ),
        ),
    )
    late = len(_late_answers(actor, filters))
    return [
        CountRow("awaiting", _("Awaiting our reply"), waiting["awaiting"], "awaiting"),
        CountRow("overdue", _("Overdue now"), waiting["overdue"], "overdue"),
        CountRow("breached_answered", _("Answered late"), late, "breached_answered"),
        CountRow(
            "breached_open",
            _("Due and still unanswered"),
            waiting["breached_open"],
            "breached_open",
        ),
    ]


def drill_awaiting_reply(
    actor: Actor, key: str, filters: AnalyticsFilters, *, now: datetime | None = None
) -> QuerySet[Thread]:
    """Return the threads behind an `awaiting_reply` row."""
    now = now or timezone.now()
    if key == "breached_answered":
        return Thread.objects.filter(pk__in=_late_answers(actor, filters)).order_by("pk")
    qs = _awaiting(actor, filters)
    if key == "overdue":
        qs = qs.filter(reply_due_at__lt=now)
    elif key == "breached_open":
        qs = qs.filter(
            reply_due_at__gte=filters.start_at, reply_due_at__lt=min(filters.end_at, now)
        )
    elif key != "awaiting":
        return Thread.objects.none()
    return qs.order_by("reply_due_at", "pk")


def awaiting_by_owner(
    actor: Actor, filters: AnalyticsFilters, *, now: datetime | None = None
) -> list[AwaitingRow]:
    """Return the threads waiting for our reply now, and the overdue ones, per account owner.

    The owner is that of the thread's account (0: in the pool, or no account). Most
    waiting first. One grouped query.
    """
    now = now or timezone.now()
    grouped = (
        _awaiting(actor, filters)
        .values("account__owner_id")
        .order_by()
        .annotate(awaiting=Count("pk"), overdue=Count("pk", filter=Q(reply_due_at__lt=now)))
    )
    per = {(r["account__owner_id"] or 0): r for r in grouped}
    users = {u.pk: str(u) for u in User.objects.filter(pk__in=list(per))}
    rows = [
        AwaitingRow(
            f"user:{pk}", users.get(pk, _("Public pool")), r["awaiting"], r["overdue"], f"user:{pk}"
        )
        for pk, r in per.items()
    ]
    return sorted(rows, key=lambda r: (-r.awaiting, -r.overdue, r.label))


def drill_awaiting_by_owner(
    actor: Actor, key: str, filters: AnalyticsFilters, *, now: datetime | None = None
) -> QuerySet[Thread]:
    """Return the waiting threads behind KEY ("user:<id>", optionally then ":overdue")."""
    now = now or timezone.now()
    parts = key.split(":")
    if parts[0] != "user" or len(parts) < 2:
        return Thread.objects.none()
    pk = int(parts[1])
    qs = _awaiting(actor, filters)
    qs = qs.filter(account__owner_id=pk) if pk else qs.filter(account__owner=None)
    if parts[2:] == ["overdue"]:
        qs = qs.filter(reply_due_at__lt=now)
    return qs.order_by("reply_due_at", "pk")
