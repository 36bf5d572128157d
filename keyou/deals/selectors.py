"""Reads of deals, always scoped to the actor through the deal's account.

Amounts are for those whose role has the see-deal-amounts capability: the board
and the forecast leave them out (None) for anyone else, and the pages show them
only when `may_see_amounts` says so.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db.models import F, Q, QuerySet
from django.utils import timezone

from keyou.crm.models import Account, Activity, Task, TaskStatus
from keyou.crm.selectors import NotFound, account_get_for
from keyou.deals.models import Deal, DealRecord, DealStatus, Pipeline, Stage, StageChange, StageKind
from keyou.deals.money import CENT, RateTable
from keyou.people.access import Actor, can, scope_q
from keyou.people.models import Capability, User

BOARD_CARDS = 200  # per column
CLOSED_DAYS = 30  # won and lost columns show what closed this recently


def may_see_amounts(actor: Actor) -> bool:
    """Return True when ACTOR may see deal amounts (and quote, order and payment amounts)."""
    return can(actor, Capability.VIEW_DEAL_AMOUNTS)


def deals_visible_to(actor: Actor) -> QuerySet[Deal]:
    """Return the deals ACTOR may see: those of the accounts in their reach."""
    return Deal.objects.filter(scope_q(actor, prefix="account__"))


def deal_get_for(actor: Actor, pk: int | str, *, write: bool = False) -> Deal:
    """Return deal PK if ACTOR may see it, else raise NotFound (missing or out of scope alike).

    With WRITE, a deal ACTOR may see but not change raises NotAllowed.
    """
    text = str(pk).strip()
    deal = None
    if text.isdigit():
        deal = (
            deals_visible_to(actor)
            .select_related(
                "account", "account__owner", "pipeline", "stage", "owner", "lost_reason"
            )
            .filter(pk=int(text))
            .first()
        )
    if deal is None:
        raise NotFound(f"deal {pk!r} not found")
    if write:
        account_get_for(actor, deal.account_id, write=True)
    return deal


def deal_amount_in_company(deal: Deal, on: date | None = None) -> Decimal | None:
    """Return DEAL's amount in the company currency at today's rate (None: no amount or rate)."""
    return RateTable({deal.currency}).convert(
        deal.amount, deal.currency, on or timezone.localdate()
    )


def record_get_for(actor: Actor, deal: Deal, pk: int) -> DealRecord:
    """Return record PK of DEAL (a deal ACTOR sees), else raise NotFound."""
    record = DealRecord.objects.filter(deal=deal, pk=pk).select_related("deal").first()
    if record is None:
        raise NotFound(f"record {pk!r} not found")
    return record


@dataclass(frozen=True)
class DealFilters:
    """What a deals list may be narrowed by; every field optional."""

    pipeline_id: int | None = None
    stage_id: int | None = None
    owner_id: int | None = None
    status: str = ""
    q: str = ""
    close_from: date | None = None
    close_to: date | None = None


def deals_list(actor: Actor, filters: DealFilters | None = None) -> QuerySet[Deal]:
    """Return ACTOR's deals narrowed by FILTERS, newest first."""
    f = filters or DealFilters()
    qs = deals_visible_to(actor).select_related("account", "pipeline", "stage", "owner")
    if f.pipeline_id:
        qs = qs.filter(pipeline_id=f.pipeline_id)
    if f.stage_id:
        qs = qs.filter(stage_id=f.stage_id)
    if f.owner_id:
        qs = qs.filter(owner_id=f.owner_id)
    if f.status in DealStatus.values:
        qs = qs.filter(status=f.status)
    if f.q.strip():
        text = f.q.strip()
        qs = qs.filter(Q(title__icontains=text) | Q(account__name__icontains=text))
    if f.close_from:
        qs = qs.filter(expected_close__gte=f.close_from)
    if f.close_to:
        qs = qs.filter(expected_close__lte=f.close_to)
    return qs.order_by("-created_at", "-id")


def account_deals(actor: Actor, account: Account) -> list[Deal]:
    """Return the deals on ACCOUNT (one ACTOR sees): open first, then newest."""
    rows = deals_visible_to(actor).filter(account=account).select_related("stage", "owner")
    return sorted(rows, key=lambda d: (d.status != DealStatus.OPEN, -d.created_at.timestamp()))


def deal_timeline(actor: Actor, deal: Deal, *, limit: int = 200) -> list[Activity]:
    """Return the timeline entries of DEAL (one ACTOR sees), newest first."""
    return list(
        Activity.objects.filter(deal=deal)
        .select_related("actor")
        .order_by("-occurred_at", "-id")[:limit]
    )


def deal_tasks(deal: Deal) -> list[Task]:
    """Return DEAL's open tasks (its stages' SOP tasks among them), by due time."""
    return list(
        Task.objects.filter(deal_id=deal.pk, status=TaskStatus.OPEN)
        .select_related("assignee")
        .order_by(F("due_at").asc(nulls_last=True), "id")
    )


def deal_stage_history(deal: Deal) -> list[StageChange]:
    """Return DEAL's stage changes, oldest first."""
    return list(deal.stage_changes.select_related("from_stage", "to_stage", "actor"))


# --- The board -----------------------------------------------------------------------------


@dataclass
class Card:
    deal: Deal
    amount: Decimal | None  # in the company currency; None: hidden, none, or no rate
    no_rate: bool
    days_in_stage: int
    stalled: bool
    next_stage_id: int | None = None  # the stage after this one, offered first for a move


@dataclass
class Column:
    stage: Stage
    cards: list[Card] = field(default_factory=list)
    count: int = 0
    total: Decimal | None = None
    no_rate: int = 0


@dataclass
class Board:
    pipeline: Pipeline
    columns: list[Column]
    show_amounts: bool
    currency: str


def deal_board(
    actor: Actor, pipeline: Pipeline, *, owner_id: int | None = None, now: datetime | None = None
) -> Board:
    """Return PIPELINE's board for ACTOR: a column per stage with its deals and their total.

    Open stages hold the open deals; won and lost stages those closed in the last
    30 days. Totals are in the company currency, for those who may see amounts.
    """
    now = now or timezone.now()
    show = may_see_amounts(actor)
    stages = list(pipeline.stages.order_by("position", "id"))
    qs = deals_visible_to(actor).filter(pipeline=pipeline).select_related("account", "owner")
    qs = qs.filter(Q(status=DealStatus.OPEN) | Q(closed_at__gte=now - timedelta(days=CLOSED_DAYS)))
    if owner_id:
        qs = qs.filter(owner_id=owner_id)
    deals = list(qs.order_by("stage_entered_at", "id"))
    rates = RateTable({d.currency for d in deals}) if show else None
    columns = {s.pk: Column(stage=s, total=Decimal(0) if show else None) for s in stages}
    following = {a.pk: b.pk for a, b in zip(stages, stages[1:], strict=False)}
    today = timezone.localdate(now)
    for deal in deals:
        column = columns.get(deal.stage_id)
        if column is None:
            continue
        amount = rates.convert(deal.amount, deal.currency, today) if rates else None
        no_rate = bool(show and deal.amount is not None and amount is None)
        column.count += 1
        if amount is not None:
            column.total += amount
        column.no_rate += no_rate
        if len(column.cards) < BOARD_CARDS:
            column.cards.append(
                Card(
                    deal=deal,
                    amount=amount,
                    no_rate=no_rate,
                    days_in_stage=(now - deal.stage_entered_at).days,
                    stalled=deal.stalled_at is not None and deal.status == DealStatus.OPEN,
                    next_stage_id=following.get(deal.stage_id),
                )
            )
    return Board(
        pipeline=pipeline,
        columns=[columns[s.pk] for s in stages],
        show_amounts=show,
        currency=rates.company if rates else "",
    )


# --- The forecast --------------------------------------------------------------------------


@dataclass
class Cell:
    count: int = 0
    weighted: Decimal | None = None
    total: Decimal | None = None
    won: Decimal | None = None
    won_count: int = 0
    no_rate: int = 0


@dataclass
class ForecastRow:
    owner: User | None
    cells: list[Cell]
    total: Cell


@dataclass
class Forecast:
    months: list[date]
    rows: list[ForecastRow]
    totals: list[Cell]
    grand: Cell
    show_amounts: bool
    currency: str


def month_starts(first: date, count: int) -> list[date]:
    """Return COUNT first-days-of-month from FIRST's month on."""
    out, year, month = [], first.year, first.month
    for _ in range(count):
        out.append(date(year, month, 1))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def _add(cell: Cell, show: bool, *, weighted=None, total=None, won=None) -> None:
    if not show:
        return
    for name, value in (("weighted", weighted), ("total", total), ("won", won)):
        if value is not None:
            setattr(cell, name, (getattr(cell, name) or Decimal(0)) + value)


def deal_forecast(
    actor: Actor,
    *,
    first_month: date | None = None,
    months: int = 6,
    pipeline: Pipeline | None = None,
) -> Forecast:
    """Return ACTOR's forecast by owner and month: open deals by expected close, won by close.

    Weighted = amount in the company currency (rate on the expected close date) ×
    the stage's win probability. Won = deals won that month (rate on the day they
    closed). Deals without a rate are counted, not summed (`no_rate`). Without the
    see-amounts capability only the counts are filled.
    """
    show = may_see_amounts(actor)
    first_month = first_month or timezone.localdate().replace(day=1)
    starts = month_starts(first_month, months)
    end = month_starts(starts[-1], 2)[1]
    qs = deals_visible_to(actor).select_related("owner", "stage")
    if pipeline is not None:
        qs = qs.filter(pipeline=pipeline)
    zone = timezone.get_current_timezone()
    begin_at = datetime(first_month.year, first_month.month, 1, tzinfo=zone)
    end_at = datetime(end.year, end.month, 1, tzinfo=zone)
    open_deals = list(
        qs.filter(
            status=DealStatus.OPEN,
            stage__kind=StageKind.OPEN,
            expected_close__gte=first_month,
            expected_close__lt=end,
        )
    )
    won_deals = list(
        qs.filter(status=DealStatus.WON, closed_at__gte=begin_at, closed_at__lt=end_at)
    )
    rates = RateTable({d.currency for d in open_deals + won_deals}) if show else None
    index = {m: i for i, m in enumerate(starts)}
    by_owner: dict[int | None, list[Cell]] = defaultdict(lambda: [Cell() for _ in starts])
    owners: dict[int | None, User | None] = {}
    for deal in open_deals:
        cell = by_owner[deal.owner_id][index[deal.expected_close.replace(day=1)]]
        owners[deal.owner_id] = deal.owner
        cell.count += 1
        amount = rates.convert(deal.amount, deal.currency, deal.expected_close) if rates else None
        if show and deal.amount is not None and amount is None:
            cell.no_rate += 1
        if amount is not None:
            weighted = (amount * deal.stage.probability / Decimal(100)).quantize(CENT)
            _add(cell, show, weighted=weighted, total=amount)
    for deal in won_deals:
        closed = timezone.localdate(deal.closed_at, zone)
        cell = by_owner[deal.owner_id][index[closed.replace(day=1)]]
        owners[deal.owner_id] = deal.owner
        cell.won_count += 1
        amount = rates.convert(deal.amount, deal.currency, closed) if rates else None
        if show and deal.amount is not None and amount is None:
            cell.no_rate += 1
        _add(cell, show, won=amount)
    rows = []
    totals = [Cell() for _ in starts]
    grand = Cell()
    for owner_id in sorted(by_owner, key=lambda k: (owners[k] is None, str(owners[k] or ""))):
        cells = by_owner[owner_id]
        row_total = Cell()
        for i, cell in enumerate(cells):
            for target in (row_total, totals[i], grand):
                target.count += cell.count
                target.won_count += cell.won_count
                target.no_rate += cell.no_rate
                _add(target, show, weighted=cell.weighted, total=cell.total, won=cell.won)
        rows.append(ForecastRow(owner=owners[owner_id], cells=cells, total=row_total))
    return Forecast(
        months=starts,
        rows=rows,
        totals=totals,
        grand=grand,
        show_amounts=show,
        currency=rates.company if rates else "",
    )
