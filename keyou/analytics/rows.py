"""The plain rows metrics return: one shape for a chart and its table.

Every row carries DRILL, a short key that `keyou.analytics.drill.drill_rows` takes
(with the metric's name and the same filters) to list the records behind it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal


@dataclass
class CountRow:
    """A labelled count (and, where it applies, an amount in the company currency)."""

    key: str
    label: str
    count: int
    drill: str
    amount: Decimal | None = None  # None: no amounts for this actor, or none apply


@dataclass
class VolumeRow:
    day: date
    inbound: int
    outbound: int
    drill: str  # the day; add ":inbound" or ":outbound" for one direction


@dataclass
class ResponseRow:
    """First-response times of one responder, one team, or everyone (KEY "all")."""

    key: str  # "user:<id>", "team:<id>" (id 0: no team / unknown responder), "all"
    label: str
    count: int
    median_minutes: float | None
    p90_minutes: float | None
    drill: str


@dataclass
class ReplyRateRow:
    """Inbound customer threads begun in the period and how many were answered in time."""

    key: str  # "user:<account owner id>" (0: in the pool), "team:<account team id>", "all"
    label: str
    threads: int
    within_60: int
    within_1440: int
    rate_60: float | None
    rate_1440: float | None
    drill: str  # add ":60" / ":1440" for the answered ones, ":late" for the rest


@dataclass
class SubjectRow:
    pattern: str
    example: str
    sends: int
    replies: int
    rate: float | None
    drill: str


@dataclass
class FunnelRow:
    """How many deals of a cohort (None: the whole period) reached one stage."""

    cohort: date | None
    stage_id: int
    stage_name: str
    reached: int
    conversion: float | None  # from the previous stage (None for the first)
    drill: str  # "<YYYY-MM or all>:<stage id>"


@dataclass
class FunnelCohortRow:
    cohort: date | None  # None: every deal created in the period
    created: int
    won: int
    lead_to_won: float | None
    drill: str  # "<YYYY-MM or all>"


@dataclass
class Funnel:
    pipeline_id: int | None
    stages: list[tuple[int, str]]  # (id, name) of the open and won stages, in order
    rows: list[FunnelRow]
    cohorts: list[FunnelCohortRow]


@dataclass
class StageTimeRow:
    stage_id: int
    stage_name: str
    stays: int
    median_days: float | None
    drill: str


@dataclass
class LostDeals:
    by_reason: list[CountRow]  # key "reason:<id>" (0: none given)
    by_stage: list[CountRow]  # key "stage:<id>" (0: unknown), the stage it was lost from
    show_amounts: bool


@dataclass
class SalesCycle:
    deals: int  # won in the period with a first inquiry email
    without_inquiry: int  # won in the period, no inbound email before the win
    median_days: float | None
    buckets: list[CountRow]  # keys "0-7", "8-30", "31-90", "91-180", "181+"


@dataclass
class WinRateRow:
    key: str  # "user:<deal owner id>" (0: none), "all"
    label: str
    won: int
    lost: int
    rate: float | None
    drill: str  # add ":won" or ":lost" for one side


@dataclass
class Distribution:
    lifecycle: list[CountRow]  # keys "lifecycle:<value>"
    tier: list[CountRow]  # keys "tier:<value>" ("tier:" for none)
    country: list[CountRow]  # keys "country:<code>" ("country:" for none)


@dataclass
class PoolFlowRow:
    """One person's pool moves in the period, and the accounts they hold now."""

    user_id: int
    label: str
    claimed: int
    released: int
    reclaimed_from: int
    redistributed_to: int
    held_now: int
    drill: str  # "user:<id>", then ":claimed", ":released", ":reclaimed", ":redistributed", ":held"


@dataclass
class LeaderRow:
    user_id: int
    label: str
    team_id: int | None
    won_count: int
    won_amount: Decimal | None  # company currency; None without the see-amounts capability
    new_accounts: int
    median_response_minutes: float | None
    calls: int
    meetings: int
    notes: int
    emails_sent: int
    drill: str  # "user:<id>", then ":won", ":accounts", ":responses", ":activities", ":emails"


@dataclass
class OverdueRow:
    user_id: int  # 0: unassigned
    label: str
    overdue: int
    drill: str


@dataclass
class AwaitingRow:
    """Threads waiting for our reply now, per owner of the thread's account."""

    key: str  # "user:<account owner id>" (0: in the pool or no account)
    label: str
    awaiting: int
    overdue: int
    drill: str  # add ":overdue" for the overdue ones
