"""The manager dashboard as view models: each section a chart and the table behind it.

Nothing here queries the database itself: every number comes from a metric
(`keyou.analytics.metrics_*`), already scoped to the viewer. A table is plain
cells (a raw value for exports, the text shown, and the drill-down link), so the
page, the CSV and the XLSX show the same rows.

Sections, in page order, are `SECTIONS`; each builds one or more tables named in
`TABLES` (the names the export URLs take).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from keyou.analytics import (
    charts,
    metrics_accounts,
    metrics_deals,
    metrics_funnel,
    metrics_mail,
    metrics_people,
    metrics_response,
    metrics_subjects,
)
from keyou.analytics.filters import AnalyticsFilters
from keyou.deals.stages import label as stage_label
from keyou.people.access import Actor


@dataclass
class Cell:
    """One table cell: VALUE as exported, TEXT as shown, HREF the drill-down (if any)."""

    value: Any
    text: str
    href: str = ""
    numeric: bool = False


@dataclass
class Table:
    """A dashboard table: its export NAME, a title, column headers and rows of cells."""

    name: str
    title: str
    headers: list[str]
    rows: list[list[Cell]]
    chart: SafeString | None = None
    note: str = ""
    collapsed: bool = False  # long tables sit in a closed <details> under their chart
    wide: bool = False  # spans the whole row (long charts, tables of many columns)


@dataclass
class Section:
    """A titled group of tables on the dashboard."""

    name: str
    title: str
    tables: list[Table] = field(default_factory=list)
    summary: str = ""  # one headline figure, e.g. the median sales cycle


def drill_url(metric: str, key: str, filters: AnalyticsFilters) -> str:
    """Return the drill-down URL listing the records behind METRIC's row KEY under FILTERS."""
    query = urlencode({"metric": metric, "key": key, **filters.as_params()})
    return f"{reverse('analytics_drill')}?{query}"


# --- Cell helpers ---------------------------------------------------------------------------


def _text(value: Any) -> Cell:
    return Cell(value="" if value is None else str(value), text="" if value is None else str(value))


def _count(value: int, href: str = "") -> Cell:
    return Cell(
        value=value, text=charts.full_number(value), href=href if value else "", numeric=True
    )


def _minutes(value: float | None, href: str = "") -> Cell:
    if value is None:
        return Cell(value=None, text="–", numeric=True)
    return Cell(value=round(value, 1), text=charts.format_minutes(value), href=href, numeric=True)


def _rate(value: float | None, href: str = "") -> Cell:
    if value is None:
        return Cell(value=None, text="–", numeric=True)
    percent = value * 100
    return Cell(
        value=round(percent, 1), text=charts.format_percent(percent), href=href, numeric=True
    )


def _percent(share: float | None) -> float | None:
    """Return SHARE (0..1) as a percentage, the unit `charts.format_percent` writes."""
    return None if share is None else share * 100


def _days(value: float | None, href: str = "") -> Cell:
    if value is None:
        return Cell(value=None, text="–", numeric=True)
    text = _("%(days)s d") % {"days": charts.full_number(round(value, 1))}
    return Cell(value=round(value, 1), text=text, href=href, numeric=True)


def _money(value: Decimal | None, href: str = "") -> Cell:
    if value is None:
        return Cell(value=None, text="–", numeric=True)
    return Cell(
        value=float(value), text=charts.full_number(value), href=href if value else "", numeric=True
    )


# --- Sections ------------------------------------------------------------------------------

Builder = Callable[[Actor, AnalyticsFilters, datetime], Section]


def mail_section(actor: Actor, filters: AnalyticsFilters, now: datetime) -> Section:
    """Return email in/out per day."""
    rows = metrics_mail.email_volume(actor, filters)
    metric = "email_volume"
    days = [r.day for r in rows]
    inbound = charts.Series(
        _("Received"),
        [r.inbound for r in rows],
        [drill_url(metric, f"{r.drill}:inbound", filters) for r in rows],
    )
    outbound = charts.Series(
        _("Sent"),
        [r.outbound for r in rows],
        [drill_url(metric, f"{r.drill}:outbound", filters) for r in rows],
    )
    chart_fn = charts.grouped_bars if len(days) <= 31 else charts.line_chart
    chart = chart_fn(days, [inbound, outbound], title=_("Email per day"), y_label=_("Emails"))
    table = Table(
        "email_volume",
        _("Email per day"),
        [_("Day"), _("Received"), _("Sent")],
        [
            [
                Cell(r.day.isoformat(), r.day.isoformat()),
                _count(r.inbound, drill_url(metric, f"{r.drill}:inbound", filters)),
                _count(r.outbound, drill_url(metric, f"{r.drill}:outbound", filters)),
            ]
            for r in rows
        ],
        chart=chart,
        collapsed=True,
        wide=True,
    )
    return Section("mail", _("Email in and out"), [table])


def awaiting_section(actor: Actor, filters: AnalyticsFilters, now: datetime) -> Section:
    """Return threads awaiting our reply, SLA breaches, and who the waiting threads wait for."""
    counts = metrics_mail.awaiting_reply(actor, filters, now=now)
    owners = metrics_mail.awaiting_by_owner(actor, filters, now=now)
    bars = [
        charts.Bar(r.label, r.count, drill_url("awaiting_reply", r.drill, filters)) for r in counts
    ]
    summary = Table(
        "awaiting_reply",
        _("Awaiting reply and SLA breaches"),
        [_("What"), _("Threads")],
        [
            [_text(r.label), _count(r.count, drill_url("awaiting_reply", r.drill, filters))]
            for r in counts
        ],
        chart=charts.bar_chart(bars, title=_("Awaiting reply and SLA breaches"), horizontal=True),
    )
    by_owner = Table(
        "awaiting_by_owner",
        _("Waiting threads by owner"),
        [_("Owner"), _("Awaiting"), _("Overdue")],
        [
            [
                _text(r.label),
                _count(r.awaiting, drill_url("awaiting_by_owner", r.drill, filters)),
                _count(r.overdue, drill_url("awaiting_by_owner", f"{r.drill}:overdue", filters)),
            ]
            for r in owners
        ],
    )
    return Section("awaiting", _("Awaiting reply"), [summary, by_owner])


def response_section(actor: Actor, filters: AnalyticsFilters, now: datetime) -> Section:
    """Return first-response medians and p90 per person and team, and reply rates."""
    times = metrics_response.response_times(actor, filters)
    people = [r for r in times if r.key.startswith("user:")]
    bars = [
        charts.Bar(r.label, r.median_minutes, drill_url("response_times", r.drill, filters))
        for r in people
    ]
    response = Table(
        "response_times",
        _("First response (working time)"),
        [_("Who"), _("Answered"), _("Median"), _("90th percentile")],
        [
            [
                _text(r.label),
                _count(r.count, drill_url("response_times", r.drill, filters)),
                _minutes(r.median_minutes),
                _minutes(r.p90_minutes),
            ]
            for r in times
        ],
        chart=charts.bar_chart(
            bars,
            title=_("Median first response per person"),
            value_format=charts.format_minutes,
            horizontal=True,
        ),
    )
    rates = metrics_response.reply_rate(actor, filters)
    owners = [r for r in rates if r.key.startswith("user:")]
    chart = charts.grouped_bars(
        [r.label for r in owners],
        [
            charts.Series(_("Within 1 h"), [_percent(r.rate_60) for r in owners]),
            charts.Series(_("Within 24 h"), [_percent(r.rate_1440) for r in owners]),
        ],
        title=_("Reply rate (working hours)"),
        value_format=charts.format_percent,
    )
    reply = Table(
        "reply_rate",
        _("Reply rate (working hours)"),
        [
            _("Owner or team"),
            _("Inbound threads"),
            _("Within 1 h"),
            _("Within 24 h"),
            _("Rate 1 h"),
            _("Rate 24 h"),
        ],
        [
            [
                _text(r.label),
                _count(r.threads, drill_url("reply_rate", r.drill, filters)),
                _count(r.within_60, drill_url("reply_rate", f"{r.drill}:60", filters)),
                _count(r.within_1440, drill_url("reply_rate", f"{r.drill}:1440", filters)),
                _rate(r.rate_60),
                _rate(r.rate_1440),
            ]
            for r in rates
        ],
        chart=chart,
    )
    return Section("response", _("How fast we answer"), [response, reply])


def funnel_section(actor: Actor, filters: AnalyticsFilters, now: datetime) -> Section:
    """Return the funnel with conversion, lead-to-won by cohort and time per stage."""
    result = metrics_funnel.funnel(actor, filters)
    whole = [r for r in result.rows if r.cohort is None]
    stages = [
        charts.Stage(stage_label(r.stage_name), r.reached, drill_url("funnel", r.drill, filters))
        for r in whole
    ]
    funnel = Table(
        "funnel",
        _("Funnel"),
        [_("Stage"), _("Reached"), _("Conversion")],
        [
            [
                _text(stage_label(r.stage_name)),
                _count(r.reached, drill_url("funnel", r.drill, filters)),
                _rate(r.conversion),
            ]
            for r in whole
        ],
        chart=charts.funnel_chart(stages, title=_("Funnel of deals created in the period")),
    )
    cohorts = Table(
        "funnel_cohorts",
        _("Lead to won by cohort"),
        [_("Created in"), _("Deals created"), _("Won"), _("Lead to won")],
        [
            [
                _text(c.cohort.strftime("%Y-%m") if c.cohort else _("All")),
                _count(c.created, drill_url("funnel", c.drill, filters)),
                _count(c.won, ""),
                _rate(c.lead_to_won),
            ]
            for c in result.cohorts
        ],
    )
    stays = metrics_funnel.stage_times(actor, filters)
    times = Table(
        "stage_times",
        _("Time per stage"),
        [_("Stage"), _("Stays ended"), _("Median")],
        [
            [
                _text(stage_label(r.stage_name)),
                _count(r.stays, drill_url("stage_times", r.drill, filters)),
                _days(r.median_days),
            ]
            for r in stays
        ],
        chart=charts.bar_chart(
            [
                charts.Bar(
                    stage_label(r.stage_name),
                    r.median_days,
                    drill_url("stage_times", r.drill, filters),
                )
                for r in stays
            ],
            title=_("Median days per stage"),
            y_label=_("Days"),
        ),
    )
    return Section("funnel", _("Funnel"), [funnel, cohorts, times])


def _count_table(
    name: str,
    title: str,
    metric: str,
    rows: Sequence[Any],
    filters: AnalyticsFilters,
    *,
    label_head: str,
    amounts: bool = False,
    horizontal: bool = True,
) -> Table:
    headers = [label_head, _("Count")] + ([_("Amount")] if amounts else [])
    out = []
    for r in rows:
        href = drill_url(metric, r.drill, filters)
        cells = [_text(r.label), _count(r.count, href)]
        if amounts:
            cells.append(_money(r.amount, href))
        out.append(cells)
    chart = charts.bar_chart(
        [charts.Bar(r.label, r.count, drill_url(metric, r.drill, filters)) for r in rows],
        title=title,
        horizontal=horizontal,
    )
    return Table(name, title, headers, out, chart=chart)


def lost_section(actor: Actor, filters: AnalyticsFilters, now: datetime) -> Section:
    """Return lost deals by reason and by the stage they were lost from."""
    lost = metrics_deals.lost_deals(actor, filters)
    by_reason = [replace(r, label=stage_label(r.label)) for r in lost.by_reason]
    by_stage = [replace(r, label=stage_label(r.label)) for r in lost.by_stage]
    return Section(
        "lost",
        _("Where deals are lost"),
        [
            _count_table(
                "lost_by_reason",
                _("Lost by reason"),
                "lost_deals",
                by_reason,
                filters,
                label_head=_("Reason"),
                amounts=lost.show_amounts,
            ),
            _count_table(
                "lost_by_stage",
                _("Lost by stage"),
                "lost_deals",
                by_stage,
                filters,
                label_head=_("Stage"),
                amounts=lost.show_amounts,
            ),
        ],
    )


def outcome_section(actor: Actor, filters: AnalyticsFilters, now: datetime) -> Section:
    """Return the sales cycle distribution and median, and the win rate."""
    cycle = metrics_deals.sales_cycle(actor, filters)
    cycle_table = _count_table(
        "sales_cycle",
        _("Sales cycle: first inquiry to won"),
        "sales_cycle",
        cycle.buckets,
        filters,
        label_head=_("Days"),
        horizontal=False,
    )
    if cycle.without_inquiry:
        cycle_table.rows.append(
            [
                _text(_("Won without an inquiry email")),
                _count(cycle.without_inquiry, drill_url("sales_cycle", "none", filters)),
            ]
        )
    wins = metrics_deals.win_rate(actor, filters)
    owners = [r for r in wins if r.key.startswith("user:")]
    win_table = Table(
        "win_rate",
        _("Win rate"),
        [_("Owner"), _("Won"), _("Lost"), _("Win rate")],
        [
            [
                _text(r.label),
                _count(r.won, drill_url("win_rate", f"{r.drill}:won", filters)),
                _count(r.lost, drill_url("win_rate", f"{r.drill}:lost", filters)),
                _rate(r.rate, drill_url("win_rate", r.drill, filters) if r.won + r.lost else ""),
            ]
            for r in wins
        ],
        chart=charts.bar_chart(
            [
                charts.Bar(r.label, _percent(r.rate), drill_url("win_rate", r.drill, filters))
                for r in owners
            ],
            title=_("Win rate per owner"),
            value_format=charts.format_percent,
            horizontal=True,
        ),
    )
    median = cycle.median_days
    summary = (
        _("Median sales cycle: %(days)s days over %(deals)s won deals.")
        % {"days": charts.full_number(median), "deals": cycle.deals}
        if median is not None
        else ""
    )
    return Section("outcome", _("Sales cycle and win rate"), [cycle_table, win_table], summary)


def forecast_section(actor: Actor, filters: AnalyticsFilters, now: datetime) -> Section:
    """Return the weighted forecast by month (amounts only for who may see them)."""
    result = metrics_deals.forecast(actor, filters)
    show = result.show_amounts
    headers = [_("Expected close"), _("Open deals")]
    if show:
        headers += [
            _("Weighted (%(currency)s)") % {"currency": result.currency},
            _("Total (%(currency)s)") % {"currency": result.currency},
        ]
    rows, bars = [], []
    for month, cell in zip(result.months, result.totals, strict=True):
        key = month.strftime("%Y-%m")
        href = drill_url("forecast", key, filters)
        row = [_text(key), _count(cell.count, href)]
        if show:
            row += [_money(cell.weighted, href), _money(cell.total, href)]
        rows.append(row)
        bars.append(charts.Bar(key, (cell.weighted or 0) if show else cell.count, href))
    title = _("Weighted forecast by month") if show else _("Open deals by expected close")
    table = Table(
        "forecast",
        title,
        headers,
        rows,
        chart=charts.bar_chart(bars, title=title),
        note=_("Country and source filters do not apply to the forecast."),
        wide=True,
    )
    return Section("forecast", _("Forecast"), [table])


def accounts_section(actor: Actor, filters: AnalyticsFilters, now: datetime) -> Section:
    """Return new accounts by source and channel, and the book by lifecycle, tier and country."""
    spread = metrics_accounts.account_distribution(actor, filters)
    return Section(
        "accounts",
        _("Customers"),
        [
            _count_table(
                "account_sources",
                _("New accounts by source"),
                "account_sources",
                metrics_accounts.account_sources(actor, filters),
                filters,
                label_head=_("Source"),
            ),
            _count_table(
                "account_channels",
                _("New accounts by channel"),
                "account_channels",
                metrics_accounts.account_channels(actor, filters),
                filters,
                label_head=_("Channel"),
            ),
            _count_table(
                "by_lifecycle",
                _("Accounts by lifecycle"),
                "account_distribution",
                spread.lifecycle,
                filters,
                label_head=_("Lifecycle"),
            ),
            _count_table(
                "by_tier",
                _("Accounts by tier"),
                "account_distribution",
                spread.tier,
                filters,
                label_head=_("Tier"),
            ),
            _count_table(
                "by_country",
                _("Accounts by country"),
                "account_distribution",
                spread.country,
                filters,
                label_head=_("Country"),
            ),
        ],
    )


def subjects_section(actor: Actor, filters: AnalyticsFilters, now: datetime) -> Section:
    """Return reply rates of the subject lines we begin threads with."""
    rows = metrics_subjects.subject_effectiveness(actor, filters)
    table = Table(
        "subjects",
        _("Subject lines that get answers"),
        [_("Pattern"), _("Example"), _("Sent"), _("Replied"), _("Reply rate")],
        [
            [
                _text(r.pattern),
                _text(r.example),
                _count(r.sends, drill_url("subject_effectiveness", r.drill, filters)),
                _count(r.replies),
                _rate(r.rate),
            ]
            for r in rows
        ],
        note=_("Threads we began in the period; patterns sent at least three times."),
        wide=True,
    )
    return Section("subjects", _("Subject lines"), [table])


def people_section(actor: Actor, filters: AnalyticsFilters, now: datetime) -> Section:
    """Return the leaderboard, pool flows per person and overdue tasks."""
    leaders = metrics_people.leaderboard(actor, filters)
    show = any(r.won_amount is not None for r in leaders)

    def lead(r: Any, what: str) -> str:
        return drill_url("leaderboard", f"{r.drill}:{what}", filters)

    headers = [_("Person"), _("Deals won")]
    headers += [_("Won amount")] if show else []
    headers += [
        _("New accounts"),
        _("Median response"),
        _("Calls"),
        _("Meetings"),
        _("Notes"),
        _("Emails sent"),
    ]
    rows = []
    for r in leaders:
        row = [_text(r.label), _count(r.won_count, lead(r, "won"))]
        if show:
            row.append(_money(r.won_amount, lead(r, "won")))
        row += [
            _count(r.new_accounts, lead(r, "accounts")),
            _minutes(r.median_response_minutes, lead(r, "responses")),
            _count(r.calls, lead(r, "activities")),
            _count(r.meetings, lead(r, "activities")),
            _count(r.notes, lead(r, "activities")),
            _count(r.emails_sent, lead(r, "emails")),
        ]
        rows.append(row)
    board = Table("leaderboard", _("Leaderboard"), headers, rows, wide=True)
    flows = metrics_people.pool_flows(actor, filters)

    def flow(r: Any, what: str) -> str:
        return drill_url("pool_flows", f"{r.drill}:{what}", filters)

    pool = Table(
        "pool_flows",
        _("Public pool flows"),
        [
            _("Person"),
            _("Claimed"),
            _("Released"),
            _("Reclaimed from"),
            _("Redistributed to"),
            _("Held now"),
        ],
        [
            [
                _text(r.label),
                _count(r.claimed, flow(r, "claimed")),
                _count(r.released, flow(r, "released")),
                _count(r.reclaimed_from, flow(r, "reclaimed")),
                _count(r.redistributed_to, flow(r, "redistributed")),
                _count(r.held_now, flow(r, "held")),
            ]
            for r in flows
        ],
        wide=True,
    )
    overdue = metrics_people.overdue_tasks(actor, filters, now=now)
    tasks = Table(
        "overdue_tasks",
        _("Overdue tasks"),
        [_("Assignee"), _("Overdue")],
        [
            [
                _text(r.label if r.user_id else _("Unassigned")),
                _count(r.overdue, drill_url("overdue_tasks", r.drill, filters)),
            ]
            for r in overdue
        ],
        chart=charts.bar_chart(
            [
                charts.Bar(r.label, r.overdue, drill_url("overdue_tasks", r.drill, filters))
                for r in overdue
            ],
            title=_("Overdue tasks"),
            horizontal=True,
        ),
        note=_("Open tasks past due now, whatever the period."),
    )
    return Section("people", _("People"), [board, pool, tasks])


SECTIONS: list[Builder] = [
    mail_section,
    awaiting_section,
    response_section,
    funnel_section,
    lost_section,
    outcome_section,
    forecast_section,
    accounts_section,
    subjects_section,
    people_section,
]

# Export name of each table → the section that builds it.
TABLES: dict[str, Builder] = {
    "email_volume": mail_section,
    "awaiting_reply": awaiting_section,
    "awaiting_by_owner": awaiting_section,
    "response_times": response_section,
    "reply_rate": response_section,
    "funnel": funnel_section,
    "funnel_cohorts": funnel_section,
    "stage_times": funnel_section,
    "lost_by_reason": lost_section,
    "lost_by_stage": lost_section,
    "sales_cycle": outcome_section,
    "win_rate": outcome_section,
    "forecast": forecast_section,
    "account_sources": accounts_section,
    "account_channels": accounts_section,
    "by_lifecycle": accounts_section,
    "by_tier": accounts_section,
    "by_country": accounts_section,
    "subjects": subjects_section,
    "leaderboard": people_section,
    "pool_flows": people_section,
    "overdue_tasks": people_section,
}


def dashboard(
    actor: Actor, filters: AnalyticsFilters, *, now: datetime | None = None
) -> list[Section]:
    """Return every section of the manager dashboard for ACTOR under FILTERS."""
    now = now or timezone.now()
    return [build(actor, filters, now) for build in SECTIONS]


def dashboard_table(
    actor: Actor, name: str, filters: AnalyticsFilters, *, now: datetime | None = None
) -> Table:
    """Return the dashboard table NAME for ACTOR (KeyError for an unknown name)."""
    build = TABLES[name]
    section = build(actor, filters, now or timezone.now())
    return next(t for t in section.tables if t.name == name)


def period_presets(today: date) -> list[tuple[str, date, date]]:
    """Return the date-range presets (label, start, end) ending on or around TODAY."""
    from datetime import timedelta

    first = today.replace(day=1)
    last_end = first - timedelta(days=1)
    return [
        (_("Last 7 days"), today - timedelta(days=6), today),
        (_("Last 30 days"), today - timedelta(days=29), today),
        (_("Last 90 days"), today - timedelta(days=89), today),
        (_("This month"), first, today),
        (_("Last month"), last_end.replace(day=1), last_end),
    ]
