"""Customer health for the account page: contact, our speed, deals, tasks, pool risk, volume.

The badge (`health_badge`) follows these rules, the first that holds wins:

- **at risk**: a customer thread on the account is past its reply time now; or a
  reclaim to the public pool is due; or no email went either way in the last
  90 days although there was email before;
- **watch**: an open task on it is overdue; or an open deal on it stalls; or the
  customer has not written in the last 30 days; or our median first response to
  them over the last 12 months is above 24 working hours;
- **good** otherwise.

The caller has already checked that the actor may see the account (the account
page does); tasks are still read through the actor's task scope.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import Count
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext as _

from keyou.analytics.filters import company_zone
from keyou.analytics.scope import median
from keyou.automation.models import ResponseTime
from keyou.crm.models import Account, Activity, ActivityKind, TaskStatus
from keyou.crm.todo_selectors import tasks_visible_to
from keyou.deals.models import Deal, DealStatus
from keyou.mail.models import Thread
from keyou.people.access import Actor
from keyou.pool.selectors import account_pool_state

GOOD, WATCH, AT_RISK = "good", "watch", "at_risk"
SILENT_RISK = timedelta(days=90)
SILENT_WATCH = timedelta(days=30)
SLOW_MINUTES = 1440  # working minutes: 24 working hours
MONTHS = 12


@dataclass
class Health:
    """What the health panel shows about one account."""

    last_inbound_at: datetime | None
    last_outbound_at: datetime | None
    median_response_minutes: float | None
    responses: int
    open_deals: list[Deal]
    overdue_tasks: int
    reclaim_due: datetime | None
    overdue_replies: int
    months: list[date]
    volume: list[int]  # emails (both directions) per month of MONTHS
    badge: str = GOOD
    reasons: list[str] = field(default_factory=list)


def _months_back(today: date, count: int) -> list[date]:
    year, month = today.year, today.month
    out = []
    for _i in range(count):
        out.append(date(year, month, 1))
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return out[::-1]


def monthly_volume(
    account: Account, *, now: datetime | None = None
) -> tuple[list[date], list[int]]:
    """Return the last MONTHS company months and the emails (not automated) on ACCOUNT in each."""
    now = now or timezone.now()
    zone = company_zone()
    months = _months_back(timezone.localdate(now, zone), MONTHS)
    start = datetime.combine(months[0], datetime.min.time(), zone)
    grouped = (
        Activity.objects.filter(
            account=account,
            kind=ActivityKind.EMAIL,
            occurred_at__gte=start,
            message__is_automated=False,
        )
        .annotate(month=TruncMonth("occurred_at", tzinfo=zone))
        .values("month")
        .order_by()
        .annotate(n=Count("message_id", distinct=True))
    )
    counts = {}
    for row in grouped:
        month = row["month"]
        counts[date(month.year, month.month, 1)] = row["n"]
    return months, [counts.get(m, 0) for m in months]


def health_badge(health: Health, now: datetime) -> tuple[str, list[str]]:
    """Return the badge of HEALTH and the reasons for it, by the module docstring's rules."""
    last_any = max(
        (t for t in (health.last_inbound_at, health.last_outbound_at) if t), default=None
    )
    risk = []
    if health.overdue_replies:
        risk.append(_("A reply to this customer is overdue."))
    if health.reclaim_due:
        risk.append(_("A reclaim to the public pool is due."))
    if last_any is not None and now - last_any > SILENT_RISK:
        risk.append(_("No email either way in 90 days."))
    if risk:
        return AT_RISK, risk
    watch = []
    if health.overdue_tasks:
        watch.append(_("Overdue tasks."))
    if any(d.stalled_at for d in health.open_deals):
        watch.append(_("A deal stalls."))
    if health.last_inbound_at is not None and now - health.last_inbound_at > SILENT_WATCH:
        watch.append(_("The customer has not written in 30 days."))
    if health.median_response_minutes is not None and health.median_response_minutes > SLOW_MINUTES:
        watch.append(_("Our median first response is above 24 working hours."))
    if watch:
        return WATCH, watch
    return GOOD, []


def account_health(actor: Actor, account: Account, *, now: datetime | None = None) -> Health:
    """Return the health of ACCOUNT (which ACTOR may see) now."""
    now = now or timezone.now()
    minutes = list(
        ResponseTime.objects.filter(
            account_id=account.pk, received_at__gte=now - timedelta(days=365)
        ).values_list("working_minutes", flat=True)
    )
    deals = list(
        Deal.objects.filter(account=account, status=DealStatus.OPEN)
        .select_related("stage")
        .order_by("stage__position", "pk")
    )
    overdue = (
        tasks_visible_to(actor)
        .filter(account=account, status=TaskStatus.OPEN, due_at__lt=now)
        .count()
    )
    replies = Thread.objects.filter(
        account=account, awaiting_since__isnull=False, reply_due_at__lt=now
    ).count()
    months, volume = monthly_volume(account, now=now)
    health = Health(
        last_inbound_at=account.last_inbound_at,
        last_outbound_at=account.last_outbound_at,
        median_response_minutes=median(minutes),
        responses=len(minutes),
        open_deals=deals,
        overdue_tasks=overdue,
        reclaim_due=account_pool_state(account, now=now)["reclaim_due"],
        overdue_replies=replies,
        months=months,
        volume=volume,
    )
    health.badge, health.reasons = health_badge(health, now)
    return health


def health_context(actor: Any, account: Account) -> dict:
    """Return the template context of the health panel for ACCOUNT."""
    health = account_health(actor, account)
    labels = {GOOD: _("Good"), WATCH: _("Watch"), AT_RISK: _("At risk")}
    styles = {GOOD: "badge-ok", WATCH: "badge-warn", AT_RISK: "badge-danger"}
    return {
        "account": account,
        "health": health,
        "badge_label": labels[health.badge],
        "badge_class": styles[health.badge],
    }
