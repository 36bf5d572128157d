"""Drill-down: the records behind any number a metric shows.

Every metric row has a DRILL key; `drill_rows(actor, metric, key, filters)` with
the metric's name (the keys of METRICS) and the same filters returns the
records that number counts, scoped like the number. Lists of messages and
threads leave out private threads the actor took no part in (the counts include
them, as a number reveals nothing of their content).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import QuerySet

from keyou.analytics import (
    metrics_accounts,
    metrics_deals,
    metrics_funnel,
    metrics_mail,
    metrics_people,
    metrics_response,
    metrics_subjects,
)
from keyou.analytics.filters import AnalyticsFilters
from keyou.mail.models import Message, Thread
from keyou.mail.selectors import private_thread_q, thread_participant
from keyou.people.access import Actor, sees_everything

METRICS: dict[str, Callable[..., Any]] = {
    "email_volume": metrics_mail.drill_email_volume,
    "awaiting_reply": metrics_mail.drill_awaiting_reply,
    "awaiting_by_owner": metrics_mail.drill_awaiting_by_owner,
    "response_times": metrics_response.drill_response_times,
    "reply_rate": metrics_response.drill_reply_rate,
    "subject_effectiveness": metrics_subjects.drill_subject_effectiveness,
    "funnel": metrics_funnel.drill_funnel,
    "stage_times": metrics_funnel.drill_stage_times,
    "lost_deals": metrics_deals.drill_lost_deals,
    "sales_cycle": metrics_deals.drill_sales_cycle,
    "win_rate": metrics_deals.drill_win_rate,
    "forecast": metrics_deals.drill_forecast,
    "account_sources": metrics_accounts.drill_account_sources,
    "account_channels": metrics_accounts.drill_account_channels,
    "account_distribution": metrics_accounts.drill_account_distribution,
    "pool_flows": metrics_people.drill_pool_flows,
    "leaderboard": metrics_people.drill_leaderboard,
    "overdue_tasks": metrics_people.drill_overdue_tasks,
}


class UnknownDrill(LookupError):
    """The metric name or its drill key is not one we know."""


def drill_rows(
    actor: Actor, metric: str, key: str, filters: AnalyticsFilters, **options: Any
) -> list[Any]:
    """Return the records behind METRIC's row KEY under FILTERS, as ACTOR may see them.

    OPTIONS pass on what the metric itself took (pipeline_id, now). Raise
    UnknownDrill for an unknown metric or a malformed key.
    """
    func = METRICS.get(metric)
    if func is None:
        raise UnknownDrill(metric)
    try:
        rows: Iterable[Any] = func(actor, key, filters, **options)
    except (ValueError, TypeError, ObjectDoesNotExist) as error:
        raise UnknownDrill(f"{metric}: {key!r}") from error
    if isinstance(rows, QuerySet) and rows.model is Message:
        rows = rows.filter(private_thread_q(actor))
    return [row for row in rows if not isinstance(row, Thread) or _thread_open(actor, row)]


def _thread_open(actor: Actor, thread: Thread) -> bool:
    """Return True unless THREAD is private and ACTOR neither sees everything nor took part."""
    return not thread.is_private or sees_everything(actor) or thread_participant(actor, thread)
