"""The scoped base rows every metric starts from, and small statistics helpers.

A message is counted through the accounts it is filed on (`crm.Activity` of kind
email): the actor counts it when at least one of those accounts is in their
reach and matches the filters, and counts it once however many of those
accounts there are (a message to two customers is one email sent, not two).
Its drill-down lists it once too.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from django.db.models import OuterRef, Q, QuerySet, Subquery

from keyou.analytics.filters import AnalyticsFilters, people_q
from keyou.crm.models import Account, Activity, ActivityKind
from keyou.mail.models import Message, Thread
from keyou.people.access import Actor, scope_q
from keyou.people.models import User


def accounts_in(actor: Actor, filters: AnalyticsFilters, *, people: bool = True) -> QuerySet:
    """Return the accounts ACTOR may see that match FILTERS.

    Without PEOPLE the team and user filters are left out (per-person metrics
    apply them to the person instead).
    """
    narrowing = filters.account_q() if people else filters.account_q_without_people()
    return Account.objects.filter(scope_q(actor)).filter(narrowing)


def email_activities(actor: Actor, filters: AnalyticsFilters, *, people: bool = True) -> QuerySet:
    """Return the email timeline entries on accounts ACTOR may see that match FILTERS."""
    narrowing = (
        filters.account_q("account__") if people else filters.account_q_without_people("account__")
    )
    return Activity.objects.filter(
        scope_q(actor, prefix="account__"), narrowing, kind=ActivityKind.EMAIL
    )


def visible_threads_q(actor: Actor, filters: AnalyticsFilters, *, field: str = "pk") -> Q:
    """Return the filter keeping threads (FIELD: the thread id) filed on a visible account."""
    ids = email_activities(actor, filters).filter(thread_id__isnull=False).values("thread_id")
    return Q(**{f"{field}__in": ids})


def response_times_in(
    actor: Actor, filters: AnalyticsFilters, *, by_responder: bool = True
) -> QuerySet:
    """Return the ResponseTime rows ACTOR may count under FILTERS, received in the period.

    A row counts through its account (`account_id`), or, without one, through
    the accounts its thread is filed on. BY_RESPONDER: the team and user filters
    and the actor's people scope apply to the responder; otherwise to the account,
    like every other row.
    """
    from keyou.automation.models import ResponseTime

    people = not by_responder
    accounts = accounts_in(actor, filters, people=people).values("pk")
    threads = (
        email_activities(actor, filters, people=people)
        .filter(thread_id__isnull=False)
        .values("thread_id")
    )
    qs = ResponseTime.objects.filter(
        Q(account_id__in=accounts) | Q(account_id__isnull=True, thread_id__in=threads),
        received_at__gte=filters.start_at,
        received_at__lt=filters.end_at,
    )
    if by_responder:
        qs = qs.filter(people_q(actor, "responder__"), filters.person_q("responder"))
    return qs


def first_message(field: str) -> Subquery:
    """Return a subquery of FIELD of the first message of the thread (outer `pk`)."""
    return Subquery(
        Message.objects.filter(thread_id=OuterRef("pk")).order_by("sent_at", "pk").values(field)[:1]
    )


def threads_begun(actor: Actor, filters: AnalyticsFilters, direction: str) -> QuerySet[Thread]:
    """Return the visible threads first written in the period whose first message went in
    DIRECTION and was not automated, annotated with that message's id, direction and time."""
    return (
        Thread.objects.filter(
            visible_threads_q(actor, filters),
            first_at__gte=filters.start_at,
            first_at__lt=filters.end_at,
        )
        .annotate(
            first_id=first_message("pk"),
            first_direction=first_message("direction"),
            first_automated=first_message("is_automated"),
            first_sent=first_message("sent_at"),
        )
        .filter(first_direction=direction, first_automated=False)
    )


def people_in(actor: Actor, filters: AnalyticsFilters) -> QuerySet:
    """Return the active users whose numbers ACTOR may see under FILTERS' team and user."""
    qs = User.objects.filter(people_q(actor), is_active=True)
    if filters.team_ids is not None:
        qs = qs.filter(team_id__in=filters.team_ids)
    if filters.user_id:
        qs = qs.filter(pk=filters.user_id)
    return qs.order_by("username")


def median(values: Sequence[float]) -> float | None:
    """Return the median of VALUES (None when empty)."""
    if not values:
        return None
    ordered = sorted(values)
    mid = len(ordered) // 2
    if len(ordered) % 2:
        return float(ordered[mid])
    return (ordered[mid - 1] + ordered[mid]) / 2


def percentile(values: Sequence[float], share: float) -> float | None:
    """Return the SHARE (0..1) percentile of VALUES by the nearest-rank method (None: empty).

    Nearest rank: the smallest value with at least SHARE of the values at or below
    it, so p90 of ten values is the ninth.
    """
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(share * len(ordered)))
    return float(ordered[rank - 1])


def ratio(part: int, whole: int) -> float | None:
    """Return PART / WHOLE (None when WHOLE is 0)."""
    return part / whole if whole else None
