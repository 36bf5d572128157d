"""Deal metrics: where and why deals are lost, sales cycle, win rate and the weighted forecast
(the funnel and time per stage are in `metrics_funnel`).

Deals are scoped through their account (`scope_q(actor, prefix="account__")`).
The team and user filters narrow by the deal's own team and owner; country and
source by its account's. Amounts are in the company currency, converted per
currency and day (`RateTable`), and only for actors who may see deal amounts;
an amount without a rate is left out of the sum.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal

from django.db.models import Count, F, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext as _

from keyou.analytics.filters import AnalyticsFilters
from keyou.analytics.rows import (
    CountRow,
    LostDeals,
    SalesCycle,
    WinRateRow,
)
from keyou.analytics.scope import median, ratio
from keyou.crm.models import Activity, ActivityKind
from keyou.deals.models import (
    Deal,
    DealStatus,
    LostReason,
    Pipeline,
    Stage,
    StageChange,
    StageKind,
)
from keyou.deals.money import RateTable
from keyou.deals.selectors import Cell, Forecast, deal_forecast, may_see_amounts
from keyou.people.access import Actor, scope_q
from keyou.people.models import User

CYCLE_BUCKETS = ((0, 7, "0-7"), (8, 30, "8-30"), (31, 90, "31-90"), (91, 180, "91-180"))
CYCLE_LAST = "181+"


def deals_in(actor: Actor, filters: AnalyticsFilters) -> QuerySet[Deal]:
    """Return the deals ACTOR may see narrowed by FILTERS (not by the period)."""
    q = Q()
    if filters.team_ids is not None:
        q &= Q(team_id__in=filters.team_ids)
    if filters.user_id:
        q &= Q(owner_id=filters.user_id)
    return Deal.objects.filter(
        scope_q(actor, prefix="account__"), filters.account_q_without_people("account__"), q
    )


def _closed(actor: Actor, filters: AnalyticsFilters, status: str) -> QuerySet[Deal]:
    return deals_in(actor, filters).filter(
        status=status, closed_at__gte=filters.start_at, closed_at__lt=filters.end_at
    )


def pipeline_for(pipeline_id: int | None) -> Pipeline | None:
    """Return pipeline PIPELINE_ID, or the default pipeline when None (None if there is none)."""
    qs = Pipeline.objects.all()
    if pipeline_id:
        return qs.filter(pk=pipeline_id).first()
    return qs.filter(is_default=True).first() or qs.first()


# --- Lost deals ---------------------------------------------------------------------------


def _lost(actor: Actor, filters: AnalyticsFilters) -> QuerySet[Deal]:
    lost_from = (
        StageChange.objects.filter(deal_id=OuterRef("pk"), to_stage_id=OuterRef("stage_id"))
        .order_by("-at", "-id")
        .values("from_stage_id")[:1]
    )
    return _closed(actor, filters, DealStatus.LOST).annotate(lost_from=Subquery(lost_from))


def _amounts(grouped: list[dict], rates: RateTable | None) -> dict[int, Decimal]:
    """Sum per-(key, currency, day) amounts into the company currency per key."""
    out: dict[int, Decimal] = defaultdict(lambda: Decimal(0))
    if rates is None:
        return out
    for row in grouped:
        converted = rates.convert(row["total"], row["currency"], row["day"])
        if converted is not None:
            out[row["key"] or 0] += converted
    return out


def lost_deals(actor: Actor, filters: AnalyticsFilters) -> LostDeals:
    """Return deals lost in the period: count and amount by lost reason and by the stage lost from.

    The stage lost from is the one the deal left when it entered its lost stage.
    Two grouped queries (per reason, per stage), each by currency and day for the
    conversion; amounts only with the see-amounts capability.
    """
    show = may_see_amounts(actor)
    rates = RateTable() if show else None
    out: dict[str, list[CountRow]] = {}
    for name, field, labels in (
        ("reason", "lost_reason_id", dict(LostReason.objects.values_list("pk", "name"))),
        ("stage", "lost_from", dict(Stage.objects.values_list("pk", "name"))),
    ):
        grouped = list(
            _lost(actor, filters)
            .annotate(key=F(field), day=TruncDate("closed_at", tzinfo=filters.zone))
            .values("key", "currency", "day")
            .order_by()
            .annotate(n=Count("pk"), total=Sum("amount"))
        )
        counts: dict[int, int] = defaultdict(int)
        for row in grouped:
            counts[row["key"] or 0] += row["n"]
        amounts = _amounts(grouped, rates)
        out[name] = [
            CountRow(
                key=f"{name}:{pk}",
                label=labels.get(pk, _("Unknown")),
                count=n,
                drill=f"{name}:{pk}",
                amount=amounts.get(pk, Decimal(0)) if show else None,
            )
            for pk, n in sorted(counts.items(), key=lambda kv: (-kv[1], labels.get(kv[0], "~")))
        ]
    return LostDeals(by_reason=out["reason"], by_stage=out["stage"], show_amounts=show)


def drill_lost_deals(actor: Actor, key: str, filters: AnalyticsFilters) -> QuerySet[Deal]:
    """Return the lost deals behind KEY ("reason:<id>" or "stage:<id>"; 0 for none)."""
    kind, _sep, pk = key.partition(":")
    field = {"reason": "lost_reason_id", "stage": "lost_from"}.get(kind)
    if field is None:
        return Deal.objects.none()
    qs = _lost(actor, filters)
    qs = qs.filter(**{field: int(pk)}) if int(pk) else qs.filter(**{f"{field}__isnull": True})
    return qs.order_by("closed_at", "pk")


# --- Sales cycle --------------------------------------------------------------------------


def _won_with_inquiry(actor: Actor, filters: AnalyticsFilters) -> QuerySet[Deal]:
    first = (
        Activity.objects.filter(
            account_id=OuterRef("account_id"),
            kind=ActivityKind.EMAIL,
            data__direction="inbound",
            occurred_at__lte=OuterRef("closed_at"),
        )
        .order_by("occurred_at", "id")
        .values("occurred_at")[:1]
    )
    return _closed(actor, filters, DealStatus.WON).annotate(first_inquiry=Subquery(first))


def _cycle_days(first: datetime, closed: datetime, filters: AnalyticsFilters) -> int:
    zone = filters.zone
    return (timezone.localdate(closed, zone) - timezone.localdate(first, zone)).days


def _bucket(days: int) -> str:
    for low, high, key in CYCLE_BUCKETS:
        if low <= days <= high:
            return key
    return CYCLE_LAST


def sales_cycle(actor: Actor, filters: AnalyticsFilters) -> SalesCycle:
    """Return the days from an account's first inquiry email to its deals won in the period.

    The first inquiry is the account's earliest inbound email on its timeline
    before the win; days are company calendar days between the two. Deals won
    without an inbound email before are counted apart. One query; the median and
    buckets are computed in Python over the narrowed (first inquiry, won) pairs.
    """
    days: list[int] = []
    without = 0
    for first, closed in _won_with_inquiry(actor, filters).values_list(
        "first_inquiry", "closed_at"
    ):
        if first is None:
            without += 1
        else:
            days.append(_cycle_days(first, closed, filters))
    counts: dict[str, int] = defaultdict(int)
    for n in days:
        counts[_bucket(n)] += 1
    labels = [key for _l, _h, key in CYCLE_BUCKETS] + [CYCLE_LAST]
    buckets = [
        CountRow(key=k, label=_("%(range)s days") % {"range": k}, count=counts[k], drill=k)
        for k in labels
    ]
    return SalesCycle(len(days), without, median(days), buckets)


def drill_sales_cycle(actor: Actor, key: str, filters: AnalyticsFilters) -> list[Deal]:
    """Return the won deals in bucket KEY ("0-7" ... "181+", or "none" for no inquiry)."""
    out = []
    for deal in _won_with_inquiry(actor, filters).order_by("closed_at", "pk"):
        if deal.first_inquiry is None:
            if key == "none":
                out.append(deal)
        elif _bucket(_cycle_days(deal.first_inquiry, deal.closed_at, filters)) == key:
            out.append(deal)
    return out


# --- Win rate -----------------------------------------------------------------------------


def _closed_any(actor: Actor, filters: AnalyticsFilters) -> QuerySet[Deal]:
    return deals_in(actor, filters).filter(
        status__in=[DealStatus.WON, DealStatus.LOST],
        closed_at__gte=filters.start_at,
        closed_at__lt=filters.end_at,
    )


def win_rate(actor: Actor, filters: AnalyticsFilters) -> list[WinRateRow]:
    """Return won / (won + lost) over deals closed in the period, per deal owner and in all.

    One query with conditional counts grouped by owner.
    """
    grouped = (
        _closed_any(actor, filters)
        .values("owner_id")
        .order_by()
        .annotate(
            won=Count("pk", filter=Q(status=DealStatus.WON)),
            lost=Count("pk", filter=Q(status=DealStatus.LOST)),
        )
    )
    per = {(r["owner_id"] or 0): r for r in grouped}
    users = {u.pk: str(u) for u in User.objects.filter(pk__in=list(per))}
    out = [
        WinRateRow(
            f"user:{pk}",
            users.get(pk, _("No owner")),
            r["won"],
            r["lost"],
            ratio(r["won"], r["won"] + r["lost"]),
            f"user:{pk}",
        )
        for pk, r in sorted(per.items(), key=lambda kv: users.get(kv[0], "~"))
    ]
    won = sum(r["won"] for r in per.values())
    lost = sum(r["lost"] for r in per.values())
    out.append(WinRateRow("all", _("All"), won, lost, ratio(won, won + lost), "all"))
    return out


def drill_win_rate(actor: Actor, key: str, filters: AnalyticsFilters) -> QuerySet[Deal]:
    """Return the closed deals behind KEY ("user:<id>" or "all", then optionally ":won"/":lost")."""
    parts = key.split(":")
    qs = _closed_any(actor, filters)
    if parts[0] == "user" and len(parts) >= 2:
        pk = int(parts[1])
        qs = qs.filter(owner_id=pk) if pk else qs.filter(owner=None)
        rest = parts[2:]
    elif parts[0] == "all":
        rest = parts[1:]
    else:
        return Deal.objects.none()
    if rest and rest[0] in (DealStatus.WON, DealStatus.LOST):
        qs = qs.filter(status=rest[0])
    return qs.order_by("closed_at", "pk")


# --- Forecast -----------------------------------------------------------------------------


def forecast(
    actor: Actor, filters: AnalyticsFilters, *, months: int = 6, pipeline_id: int | None = None
) -> Forecast:
    """Return the weighted forecast (`keyou.deals.selectors.deal_forecast`) from the period's
    first month, kept to the owners FILTERS' team and user allow (totals recomputed).

    Country and source filters do not apply here (the forecast is per owner).
    """
    pipeline = pipeline_for(pipeline_id) if pipeline_id else None
    result = deal_forecast(
        actor, first_month=filters.start.replace(day=1), months=months, pipeline=pipeline
    )
    if filters.team_ids is None and not filters.user_id:
        return result
    rows = [
        row
        for row in result.rows
        if row.owner is not None
        and (filters.team_ids is None or row.owner.team_id in filters.team_ids)
        and (not filters.user_id or row.owner.pk == filters.user_id)
    ]
    totals = [Cell() for _m in result.months]
    grand = Cell()
    for row in rows:
        for i, cell in enumerate(row.cells):
            for target in (totals[i], grand):
                _cell_add(target, cell)
    return replace(result, rows=rows, totals=totals, grand=grand)


def _cell_add(target: Cell, cell: Cell) -> None:
    target.count += cell.count
    target.won_count += cell.won_count
    target.no_rate += cell.no_rate
    for name in ("weighted", "total", "won"):
        value = getattr(cell, name)
        if value is not None:
            setattr(target, name, (getattr(target, name) or Decimal(0)) + value)


def drill_forecast(actor: Actor, key: str, filters: AnalyticsFilters) -> QuerySet[Deal]:
    """Return the open deals expected to close in month KEY ("YYYY-MM") under FILTERS."""
    year, mon = (int(p) for p in key.split("-"))
    first = date(year, mon, 1)
    end = date(year + mon // 12, mon % 12 + 1, 1)
    return (
        deals_in(actor, filters)
        .filter(
            status=DealStatus.OPEN,
            stage__kind=StageKind.OPEN,
            expected_close__gte=first,
            expected_close__lt=end,
        )
        .order_by("expected_close", "pk")
    )
