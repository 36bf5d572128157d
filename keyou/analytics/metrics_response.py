"""How fast we answer: first-response working minutes and reply rates.

A first-response time is a `ResponseTime` row (one per customer message, with its
first answer), counted through its account or thread (`scope.response_times_in`).
"""

from __future__ import annotations

from collections import defaultdict

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.utils.translation import gettext as _

from keyou.analytics.filters import AnalyticsFilters
from keyou.analytics.rows import ReplyRateRow, ResponseRow
from keyou.analytics.scope import (
    median,
    percentile,
    ratio,
    response_times_in,
    threads_begun,
)
from keyou.automation.models import ResponseTime
from keyou.mail.models import Direction, Thread
from keyou.people.access import Actor
from keyou.people.models import Team, User

REPLY_WITHIN = (60, 1440)  # working minutes: one and twenty-four working hours


# --- First-response time ------------------------------------------------------------------


def _response_row(key: str, label: str, values: list[int]) -> ResponseRow:
    return ResponseRow(
        key=key,
        label=label,
        count=len(values),
        median_minutes=median(values),
        p90_minutes=percentile(values, 0.9),
        drill=key,
    )


def response_times(actor: Actor, filters: AnalyticsFilters) -> list[ResponseRow]:
    """Return first-response working minutes (median, p90) per responder, per team, and in all.

    Over customer messages received in the period and answered (ResponseTime rows);
    a team is the responder's team. Rows: people by name, then teams, then "all".
    One query fetches the already narrowed minutes; medians are taken in Python.
    """
    rows = list(
        response_times_in(actor, filters).values_list(
            "responder_id", "responder__team_id", "working_minutes"
        )
    )
    by_user: dict[int, list[int]] = defaultdict(list)
    by_team: dict[int, list[int]] = defaultdict(list)
    for user_id, team_id, minutes in rows:
        by_user[user_id or 0].append(minutes)
        by_team[team_id or 0].append(minutes)
    users = {u.pk: str(u) for u in User.objects.filter(pk__in=list(by_user))}
    teams = dict(Team.objects.filter(pk__in=list(by_team)).values_list("pk", "name"))
    out = [
        _response_row(f"user:{pk}", users.get(pk, _("Unknown")), values)
        for pk, values in sorted(by_user.items(), key=lambda kv: users.get(kv[0], "~"))
    ]
    out += [
        _response_row(f"team:{pk}", teams.get(pk, _("No team")), values)
        for pk, values in sorted(by_team.items(), key=lambda kv: teams.get(kv[0], "~"))
    ]
    out.append(_response_row("all", _("All"), [r[2] for r in rows]))
    return out


def drill_response_times(actor: Actor, key: str, filters: AnalyticsFilters) -> QuerySet:
    """Return the ResponseTime rows behind KEY ("user:<id>", "team:<id>", "all")."""
    qs = response_times_in(actor, filters).select_related("message", "reply", "thread", "responder")
    kind, _sep, pk = key.partition(":")
    if kind == "user":
        qs = qs.filter(responder_id=int(pk) or None) if int(pk) else qs.filter(responder=None)
    elif kind == "team":
        qs = qs.filter(responder__team_id=int(pk)) if int(pk) else qs.filter(responder__team=None)
    elif kind != "all":
        return qs.none()
    return qs.order_by("received_at", "pk")


# --- Reply rate ---------------------------------------------------------------------------


def _inbound_threads(actor: Actor, filters: AnalyticsFilters) -> QuerySet[Thread]:
    first_wait = ResponseTime.objects.filter(message_id=OuterRef("first_id")).values(
        "working_minutes"
    )[:1]
    return threads_begun(actor, filters, Direction.INBOUND).annotate(wait=Subquery(first_wait))


def reply_rate(actor: Actor, filters: AnalyticsFilters) -> list[ReplyRateRow]:
    """Return the share of inbound customer threads answered within 60 and 1440 working minutes.

    A thread counts when its first message (in the period) came from the customer;
    it is answered within N when the first-response time of that first message is
    at most N working minutes (unanswered threads count as not answered). Rows per
    account owner (0: in the pool), per account team (0: none), then "all". One
    query grouped by owner and team; the owner and team rows are summed from it.
    """
    short, long = REPLY_WITHIN
    grouped = list(
        _inbound_threads(actor, filters)
        .values("account__owner_id", "account__team_id")
        .order_by()
        .annotate(
            threads=Count("pk"),
            w60=Count("pk", filter=Q(wait__lte=short)),
            w1440=Count("pk", filter=Q(wait__lte=long)),
        )
    )
    sums: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for r in grouped:
        keys = (f"user:{r['account__owner_id'] or 0}", f"team:{r['account__team_id'] or 0}", "all")
        for key in keys:
            total = sums[key]
            total[0] += r["threads"]
            total[1] += r["w60"]
            total[2] += r["w1440"]
    users = {
        u.pk: str(u) for u in User.objects.filter(pk__in=[r["account__owner_id"] for r in grouped])
    }
    teams = dict(
        Team.objects.filter(pk__in=[r["account__team_id"] for r in grouped]).values_list(
            "pk", "name"
        )
    )

    def label(key: str) -> str:
        kind, _sep, pk = key.partition(":")
        if kind == "user":
            return users.get(int(pk), _("Public pool"))
        if kind == "team":
            return teams.get(int(pk), _("No team"))
        return _("All")

    order = {"user": 0, "team": 1, "all": 2}
    out = []
    for key in sorted(sums, key=lambda k: (order[k.partition(":")[0]], label(k))):
        threads, w60, w1440 = sums[key]
        out.append(
            ReplyRateRow(
                key,
                label(key),
                threads,
                w60,
                w1440,
                ratio(w60, threads),
                ratio(w1440, threads),
                key,
            )
        )
    if "all" not in sums:
        out.append(ReplyRateRow("all", _("All"), 0, 0, 0, None, None, "all"))
    return out


def drill_reply_rate(actor: Actor, key: str, filters: AnalyticsFilters) -> QuerySet[Thread]:
    """Return the threads behind KEY ("user:<id>", "team:<id>" or "all", then ":60" or
    ":1440" for those answered in time, ":late" for those not answered within 1440)."""
    who, _sep, rest = key.partition(":")
    if who in ("user", "team"):
        pk, _sep, which = rest.partition(":")
    else:
        pk, which = "", rest
    qs = _inbound_threads(actor, filters)
    if who in ("user", "team"):
        field = "account__owner" if who == "user" else "account__team"
        qs = qs.filter(**{f"{field}_id": int(pk)}) if int(pk) else qs.filter(**{field: None})
    elif who != "all":
        return Thread.objects.none()
    if which in ("60", "1440"):
        qs = qs.filter(wait__lte=int(which))
    elif which == "late":
        qs = qs.filter(Q(wait__isnull=True) | Q(wait__gt=REPLY_WITHIN[1]))
    return qs.order_by("first_at", "pk")
