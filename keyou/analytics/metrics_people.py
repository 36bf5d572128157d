"""Per-person metrics: pool flows, the team leaderboard, overdue tasks.

Rows are per person, for the people whose numbers the actor may see
(`keyou.analytics.filters.people_q`: themselves for an own scope, their teams'
people for a team scope, everyone for a company-wide one), narrowed by the
team and user filters; the records counted are also limited to accounts the
actor may see (and the country and source filters), except pool moves, which
belong to the person they concern (an account reclaimed from one of a team
lead's people counts for that person even once it went to another team).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from decimal import Decimal

from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import Lower, TruncDate
from django.utils import timezone

from keyou.analytics.filters import AnalyticsFilters, people_q
from keyou.analytics.rows import LeaderRow, OverdueRow, PoolFlowRow
from keyou.analytics.scope import (
    accounts_in,
    email_activities,
    median,
    people_in,
    response_times_in,
)
from keyou.crm.models import Activity, ActivityKind, Task, TaskStatus
from keyou.deals.models import Deal, DealStatus
from keyou.deals.money import RateTable
from keyou.deals.selectors import may_see_amounts
from keyou.mail.models import Direction
from keyou.people.access import Actor, scope_q
from keyou.people.models import User
from keyou.pool.models import MoveKind, PoolMove

POOL_KINDS = {
    MoveKind.CLAIMED: "claimed",
    MoveKind.RELEASED: "released",
    MoveKind.RECLAIMED: "reclaimed_from",
    MoveKind.REDISTRIBUTED: "redistributed_to",
}
LOGGED = (ActivityKind.CALL, ActivityKind.MEETING, ActivityKind.NOTE)


# --- Pool flows ---------------------------------------------------------------------------


def _moves(actor: Actor, filters: AnalyticsFilters, people: QuerySet[User]) -> QuerySet[PoolMove]:
    # A move counts for the person it concerns whoever holds the account now: a team
    # lead sees what their people claimed even if the account has moved to another team.
    return PoolMove.objects.filter(
        filters.account_q_without_people("account__"),
        kind__in=list(POOL_KINDS),
        user__in=people,
        at__gte=filters.start_at,
        at__lt=filters.end_at,
    )


def _held(actor: Actor, filters: AnalyticsFilters, people: QuerySet[User]):
    return accounts_in(actor, filters, people=False).filter(owner__in=people)


def pool_flows(actor: Actor, filters: AnalyticsFilters) -> list[PoolFlowRow]:
    """Return per person the period's pool moves and the accounts they hold now.

    Claimed: they took an account from the pool; released: they gave one back;
    reclaimed from: a policy took one back from them; redistributed to: the pool
    gave them one. Held now: accounts they own today. Two grouped queries.
    """
    people = people_in(actor, filters)
    counts: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    grouped = (
        _moves(actor, filters, people).values("user_id", "kind").order_by().annotate(n=Count("pk"))
    )
    for r in grouped:
        counts[r["user_id"]][POOL_KINDS[r["kind"]]] += r["n"]
    held = dict(
        _held(actor, filters, people)
        .values("owner_id")
        .order_by()
        .annotate(n=Count("pk"))
        .values_list("owner_id", "n")
    )
    return [
        PoolFlowRow(
            user_id=user.pk,
            label=str(user),
            claimed=counts[user.pk]["claimed"],
            released=counts[user.pk]["released"],
            reclaimed_from=counts[user.pk]["reclaimed_from"],
            redistributed_to=counts[user.pk]["redistributed_to"],
            held_now=held.get(user.pk, 0),
            drill=f"user:{user.pk}",
        )
        for user in people
    ]


def drill_pool_flows(actor: Actor, key: str, filters: AnalyticsFilters) -> QuerySet:
    """Return the pool moves (or, for ":held", the accounts) behind KEY "user:<id>[:<what>]"."""
    parts = key.split(":")
    if parts[0] != "user" or len(parts) < 2:
        return PoolMove.objects.none()
    people = people_in(actor, filters).filter(pk=int(parts[1]))
    what = parts[2] if len(parts) > 2 else ""
    if what == "held":
        return _held(actor, filters, people).order_by("name", "pk")
    moves = _moves(actor, filters, people).select_related("account", "user")
    by_name = {name: kind for kind, name in POOL_KINDS.items()}
    aliases = {"reclaimed": "reclaimed_from", "redistributed": "redistributed_to"}
    what = aliases.get(what, what)
    if what:
        if what not in by_name:
            return PoolMove.objects.none()
        moves = moves.filter(kind=by_name[what])
    return moves.order_by("at", "pk")


# --- Leaderboard --------------------------------------------------------------------------


def _won(actor: Actor, filters: AnalyticsFilters, people: QuerySet[User]) -> QuerySet[Deal]:
    return Deal.objects.filter(
        scope_q(actor, prefix="account__"),
        filters.account_q_without_people("account__"),
        owner__in=people,
        status=DealStatus.WON,
        closed_at__gte=filters.start_at,
        closed_at__lt=filters.end_at,
    )


def _new(actor: Actor, filters: AnalyticsFilters, people: QuerySet[User]):
    return accounts_in(actor, filters, people=False).filter(
        owner__in=people, created_at__gte=filters.start_at, created_at__lt=filters.end_at
    )


def _logged(actor: Actor, filters: AnalyticsFilters, people: QuerySet[User]):
    return Activity.objects.filter(
        scope_q(actor, prefix="account__"),
        filters.account_q_without_people("account__"),
        kind__in=LOGGED,
        actor__in=people,
        occurred_at__gte=filters.start_at,
        occurred_at__lt=filters.end_at,
    )


def _sent(actor: Actor, filters: AnalyticsFilters):
    return email_activities(actor, filters, people=False).filter(
        message__direction=Direction.OUTBOUND,
        message__is_automated=False,
        occurred_at__gte=filters.start_at,
        occurred_at__lt=filters.end_at,
    )


def leaderboard(actor: Actor, filters: AnalyticsFilters) -> list[LeaderRow]:
    """Return per person: deals won in the period (count, and amount in the company currency
    when ACTOR may see amounts), accounts created in the period they own, their median
    first-response working minutes, calls, meetings and notes they logged, and
    customer emails they sent (by sender address). Ordered by won amount (or count), then
    new accounts. One grouped query per column; medians in Python.
    """
    people = people_in(actor, filters)
    users = list(people)
    show = may_see_amounts(actor)
    won_count: dict[int, int] = defaultdict(int)
    won_amount: dict[int, Decimal] = defaultdict(lambda: Decimal(0))
    rates = RateTable() if show else None
    grouped = (
        _won(actor, filters, people)
        .annotate(day=TruncDate("closed_at", tzinfo=filters.zone))
        .values("owner_id", "currency", "day")
        .order_by()
        .annotate(n=Count("pk"), total=Sum("amount"))
    )
    for r in grouped:
        won_count[r["owner_id"]] += r["n"]
        converted = rates.convert(r["total"], r["currency"], r["day"]) if rates else None
        if converted is not None:
            won_amount[r["owner_id"]] += converted
    new = dict(
        _new(actor, filters, people)
        .values("owner_id")
        .order_by()
        .annotate(n=Count("pk"))
        .values_list("owner_id", "n")
    )
    minutes: dict[int, list[int]] = defaultdict(list)
    for responder, value in response_times_in(actor, filters).values_list(
        "responder_id", "working_minutes"
    ):
        minutes[responder].append(value)
    logged: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for r in (
        _logged(actor, filters, people)
        .values("actor_id", "kind")
        .order_by()
        .annotate(n=Count("pk"))
    ):
        logged[r["actor_id"]][r["kind"]] = r["n"]
    by_email = {u.email.lower(): u.pk for u in users if u.email}
    sent: dict[int, int] = defaultdict(int)
    for r in (
        _sent(actor, filters)
        .filter(message__from_email__in=list(by_email))
        .annotate(sender=Lower("message__from_email"))
        .values("sender")
        .order_by()
        .annotate(n=Count("message_id", distinct=True))
    ):
        sent[by_email[r["sender"]]] += r["n"]
    rows = [
        LeaderRow(
            user_id=u.pk,
            label=str(u),
            team_id=u.team_id,
            won_count=won_count[u.pk],
            won_amount=won_amount[u.pk] if show else None,
            new_accounts=new.get(u.pk, 0),
            median_response_minutes=median(minutes.get(u.pk, [])),
            calls=logged[u.pk][ActivityKind.CALL],
            meetings=logged[u.pk][ActivityKind.MEETING],
            notes=logged[u.pk][ActivityKind.NOTE],
            emails_sent=sent[u.pk],
            drill=f"user:{u.pk}",
        )
        for u in users
    ]
    rows.sort(key=lambda r: (-(r.won_amount or 0), -r.won_count, -r.new_accounts, r.label))
    return rows


def drill_leaderboard(actor: Actor, key: str, filters: AnalyticsFilters) -> QuerySet | list:
    """Return the records behind KEY "user:<id>:<won|accounts|responses|activities|emails>"."""
    parts = key.split(":")
    if parts[0] != "user" or len(parts) != 3:
        return []
    people = people_in(actor, filters).filter(pk=int(parts[1]))
    user = people.first()
    if user is None:
        return []
    what = parts[2]
    if what == "won":
        return _won(actor, filters, people).order_by("closed_at", "pk")
    if what == "accounts":
        return _new(actor, filters, people).order_by("created_at", "pk")
    if what == "responses":
        return response_times_in(actor, filters).filter(responder=user).order_by("received_at")
    if what == "activities":
        return _logged(actor, filters, people).order_by("occurred_at", "pk")
    if what == "emails" and user.email:
        from keyou.mail.models import Message

        ids = _sent(actor, filters).filter(message__from_email__iexact=user.email)
        return Message.objects.filter(pk__in=ids.values("message_id")).order_by("sent_at", "pk")
    return []


# --- Overdue tasks ------------------------------------------------------------------------


def _overdue(actor: Actor, filters: AnalyticsFilters, now: datetime) -> QuerySet[Task]:
    # account__isnull=False keeps the "or" below from meeting an empty Q (which would match all).
    on_account = (
        Q(account__isnull=False)
        & scope_q(actor, prefix="account__")
        & filters.account_q_without_people("account__")
    )
    return Task.objects.filter(
        on_account | Q(account__isnull=True),
        people_q(actor, "assignee__"),
        filters.person_q("assignee"),
        status=TaskStatus.OPEN,
        due_at__lt=now,
    )


def overdue_tasks(
    actor: Actor, filters: AnalyticsFilters, *, now: datetime | None = None
) -> list[OverdueRow]:
    """Return open tasks past due now, per assignee (the period does not apply: it is now).

    Tasks on an account count when ACTOR sees the account; tasks without one when
    ACTOR may see their assignee's numbers. One grouped query.
    """
    now = now or timezone.now()
    grouped = dict(
        _overdue(actor, filters, now)
        .values("assignee_id")
        .order_by()
        .annotate(n=Count("pk"))
        .values_list("assignee_id", "n")
    )
    users = {u.pk: str(u) for u in User.objects.filter(pk__in=[k for k in grouped if k])}
    rows = [
        OverdueRow(pk or 0, users.get(pk, "-"), n, f"user:{pk or 0}") for pk, n in grouped.items()
    ]
    return sorted(rows, key=lambda r: (-r.overdue, r.label))


def drill_overdue_tasks(
    actor: Actor, key: str, filters: AnalyticsFilters, *, now: datetime | None = None
) -> QuerySet[Task]:
    """Return the overdue tasks behind KEY "user:<id>" (0: unassigned)."""
    now = now or timezone.now()
    kind, _sep, pk = key.partition(":")
    if kind != "user":
        return Task.objects.none()
    qs = _overdue(actor, filters, now)
    qs = qs.filter(assignee_id=int(pk)) if int(pk) else qs.filter(assignee__isnull=True)
    return qs.order_by("due_at", "pk")
