"""The drill-down list as the page shows it: one line per record, whatever its type.

`drill_rows` returns messages, threads, deals, accounts, tasks, pool moves,
first-response rows, stage stays or timeline entries; `drill_item` turns each
into a title, a link to its page, a time and a short detail.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from keyou.automation.models import ResponseTime
from keyou.crm.models import Account, Activity, Task
from keyou.deals.models import Deal, StageChange
from keyou.mail.models import Message, Thread
from keyou.pool.models import PoolMove

METRIC_TITLES = {
    "email_volume": gettext_lazy("Email per day"),
    "awaiting_reply": gettext_lazy("Awaiting reply and SLA breaches"),
    "awaiting_by_owner": gettext_lazy("Waiting threads by owner"),
    "response_times": gettext_lazy("First response (working time)"),
    "reply_rate": gettext_lazy("Reply rate (working hours)"),
    "subject_effectiveness": gettext_lazy("Subject lines that get answers"),
    "funnel": gettext_lazy("Funnel"),
    "stage_times": gettext_lazy("Time per stage"),
    "lost_deals": gettext_lazy("Where deals are lost"),
    "sales_cycle": gettext_lazy("Sales cycle: first inquiry to won"),
    "win_rate": gettext_lazy("Win rate"),
    "forecast": gettext_lazy("Forecast"),
    "account_sources": gettext_lazy("New accounts by source"),
    "account_channels": gettext_lazy("New accounts by channel"),
    "account_distribution": gettext_lazy("Accounts"),
    "pool_flows": gettext_lazy("Public pool flows"),
    "leaderboard": gettext_lazy("Leaderboard"),
    "overdue_tasks": gettext_lazy("Overdue tasks"),
}


@dataclass
class DrillItem:
    """One record behind a number: what it is, a title, where it lives, when, and a detail."""

    kind: str
    title: str
    href: str
    at: datetime | None
    detail: str = ""


def _thread_href(thread_id: int | None) -> str:
    return reverse("thread_detail", args=[thread_id]) if thread_id else ""


def drill_item(obj: Any) -> DrillItem:
    """Return the line for OBJ, one record of a drill-down list."""
    if isinstance(obj, Message):
        arrow = {"inbound": "↙", "outbound": "↗"}.get(obj.direction, "↔")
        return DrillItem(
            _("Email"),
            f"{arrow} {obj.subject or _('(no subject)')}",
            _thread_href(obj.thread_id),
            obj.sent_at,
            obj.from_email,
        )
    if isinstance(obj, Thread):
        when = getattr(obj, "first_at", None) or obj.awaiting_since
        detail = ""
        if obj.reply_due_at and obj.awaiting_since:
            detail = _("reply due %(when)s") % {"when": obj.reply_due_at.strftime("%Y-%m-%d %H:%M")}
        return DrillItem(_("Thread"), str(obj), _thread_href(obj.pk), when, detail)
    if isinstance(obj, ResponseTime):
        return DrillItem(
            _("First response"),
            str(obj.thread) if obj.thread_id else "",
            _thread_href(obj.thread_id),
            obj.received_at,
            _("%(minutes)s working minutes, by %(who)s")
            % {"minutes": obj.working_minutes, "who": obj.responder or "–"},
        )
    if isinstance(obj, StageChange):
        left = getattr(obj, "left_at", None)
        days = f"{(left - obj.at).total_seconds() / 86400:.1f}" if left else "–"
        return DrillItem(
            _("Stage stay"),
            obj.deal.title,
            reverse("deal_detail", args=[obj.deal_id]),
            obj.at,
            _("%(stage)s, %(days)s days") % {"stage": obj.to_stage.name, "days": days},
        )
    if isinstance(obj, Deal):
        return DrillItem(
            _("Deal"),
            obj.title,
            reverse("deal_detail", args=[obj.pk]),
            obj.closed_at or obj.created_at,
            obj.get_status_display(),
        )
    if isinstance(obj, Account):
        return DrillItem(
            _("Customer"),
            obj.name,
            reverse("account_detail", args=[obj.pk]),
            obj.created_at,
            obj.country or "",
        )
    if isinstance(obj, Task):
        return DrillItem(
            _("Task"),
            obj.title,
            reverse("task_edit", args=[obj.pk]),
            obj.due_at,
            str(obj.assignee or ""),
        )
    if isinstance(obj, PoolMove):
        return DrillItem(
            _("Pool move"),
            obj.account.name,
            reverse("account_detail", args=[obj.account_id]),
            obj.at,
            f"{obj.get_kind_display()} · {obj.user or ''}",
        )
    if isinstance(obj, Activity):
        return DrillItem(
            obj.get_kind_display(),
            obj.account.name if obj.account_id else "",
            reverse("account_detail", args=[obj.account_id]) if obj.account_id else "",
            obj.occurred_at,
            str(obj.actor or ""),
        )
    return DrillItem("", str(obj), "", None)
