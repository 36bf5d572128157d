"""The pipeline's shape: the funnel by cohort month and the time deals spend in each stage.

Deals are scoped and narrowed as in `keyou.analytics.metrics_deals`.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime

from django.db.models import Count, F, OuterRef, QuerySet, Subquery, Window
from django.db.models.functions import Lead, TruncMonth

from keyou.analytics.filters import AnalyticsFilters
from keyou.analytics.metrics_deals import deals_in, pipeline_for
from keyou.analytics.rows import Funnel, FunnelCohortRow, FunnelRow, StageTimeRow
from keyou.analytics.scope import median, ratio
from keyou.deals.models import Deal, Pipeline, Stage, StageChange, StageKind
from keyou.people.access import Actor


def _month(value: date | datetime) -> date:
    return date(value.year, value.month, 1)


def _month_key(cohort: date | None) -> str:
    return cohort.strftime("%Y-%m") if cohort else "all"


# --- Funnel -------------------------------------------------------------------------------


def _funnel_stages(pipeline: Pipeline | None) -> list[Stage]:
    if pipeline is None:
        return []
    return list(pipeline.stages.exclude(kind=StageKind.LOST).order_by("position", "id"))


def _furthest(actor: Actor, filters: AnalyticsFilters, pipeline: Pipeline) -> QuerySet[Deal]:
    """Deals created in the period, with their cohort month and the furthest stage position
    they entered (lost stages aside)."""
    return (
        deals_in(actor, filters)
        .filter(pipeline=pipeline, created_at__gte=filters.start_at, created_at__lt=filters.end_at)
        .annotate(
            cohort=TruncMonth("created_at", tzinfo=filters.zone),
            # A subquery, not an aggregate, so the funnel can group deals by it.
            furthest=Subquery(
                StageChange.objects.filter(deal_id=OuterRef("pk"))
                .exclude(to_stage__kind=StageKind.LOST)
                .order_by("-to_stage__position")
                .values("to_stage__position")[:1]
            ),
        )
    )


def funnel(actor: Actor, filters: AnalyticsFilters, *, pipeline_id: int | None = None) -> Funnel:
    """Return, for deals created in each cohort month of the period, how many reached each stage.

    A deal has reached a stage when it entered it or any later (open or won) stage:
    a deal that skipped stages passed them. Lost stages are not steps; a lost deal
    reached the stages before it was lost. Conversion is reached / reached at the
    previous stage; lead to won is won / created. Rows per cohort, then the whole
    period (cohort None). PIPELINE_ID: default pipeline when None. One grouped query.
    """
    pipeline = pipeline_for(pipeline_id)
    stages = _funnel_stages(pipeline)
    if pipeline is None:
        return Funnel(None, [], [], [])
    grouped = (
        _furthest(actor, filters, pipeline)
        .values("cohort", "furthest")
        .order_by()
        .annotate(n=Count("pk"))
    )
    # cohort -> furthest position -> deals
    counts: dict[date, dict[int | None, int]] = defaultdict(lambda: defaultdict(int))
    for row in grouped:
        cohort = _month(row["cohort"])
        counts[cohort][row["furthest"]] += row["n"]
        counts[None][row["furthest"]] += row["n"]  # type: ignore[index]
    won_positions = [s.position for s in stages if s.kind == StageKind.WON]
    rows: list[FunnelRow] = []
    cohorts: list[FunnelCohortRow] = []
    keys = sorted(k for k in counts if k is not None) + ([None] if counts else [])
    for cohort in keys:
        by_pos = counts[cohort]
        created = sum(by_pos.values())
        previous = None
        for stage in stages:
            reached = sum(
                n for pos, n in by_pos.items() if pos is not None and pos >= stage.position
            )
            rows.append(
                FunnelRow(
                    cohort=cohort,
                    stage_id=stage.pk,
                    stage_name=stage.name,
                    reached=reached,
                    conversion=None if previous is None else ratio(reached, previous),
                    drill=f"{_month_key(cohort)}:{stage.pk}",
                )
            )
            previous = reached
        first_won = min(won_positions) if won_positions else None
        won = (
            sum(n for pos, n in by_pos.items() if pos is not None and pos >= first_won)
            if first_won is not None
            else 0
        )
        cohorts.append(
            FunnelCohortRow(cohort, created, won, ratio(won, created), _month_key(cohort))
        )
    return Funnel(pipeline.pk, [(s.pk, s.name) for s in stages], rows, cohorts)


def drill_funnel(
    actor: Actor, key: str, filters: AnalyticsFilters, *, pipeline_id: int | None = None
) -> QuerySet[Deal]:
    """Return the deals behind KEY ("<YYYY-MM|all>" created, or "<YYYY-MM|all>:<stage id>")."""
    pipeline = pipeline_for(pipeline_id)
    if pipeline is None:
        return Deal.objects.none()
    month, _sep, stage_id = key.partition(":")
    qs = _furthest(actor, filters, pipeline)
    if month != "all":
        year, mon = (int(p) for p in month.split("-"))
        begin = datetime(year, mon, 1, tzinfo=filters.zone)
        end = datetime(year + mon // 12, mon % 12 + 1, 1, tzinfo=filters.zone)
        qs = qs.filter(created_at__gte=begin, created_at__lt=end)
    if stage_id:
        stage = Stage.objects.get(pk=int(stage_id), pipeline=pipeline)
        qs = qs.filter(furthest__gte=stage.position)
    return qs.order_by("created_at", "pk")


# --- Time in stage ------------------------------------------------------------------------


def _stays(actor: Actor, filters: AnalyticsFilters, pipeline: Pipeline) -> QuerySet[StageChange]:
    """Stays in a stage that ended in the period: each stage change with the next one's time."""
    return (
        StageChange.objects.filter(deal__in=deals_in(actor, filters).filter(pipeline=pipeline))
        .annotate(
            left_at=Window(
                Lead("at"), partition_by=[F("deal_id")], order_by=[F("at").asc(), F("id").asc()]
            )
        )
        .filter(left_at__gte=filters.start_at, left_at__lt=filters.end_at)
    )


def stage_times(
    actor: Actor, filters: AnalyticsFilters, *, pipeline_id: int | None = None
) -> list[StageTimeRow]:
    """Return the median days deals spent in each open stage, over stays that ended in the period.

    A stay runs from a StageChange into the stage to the deal's next StageChange
    (a window function, LEAD, pairs them in the database); stays still running are
    not counted. Medians are taken in Python over the narrowed durations.
    """
    pipeline = pipeline_for(pipeline_id)
    if pipeline is None:
        return []
    durations: dict[int, list[float]] = defaultdict(list)
    for stage_id, at, left_at in _stays(actor, filters, pipeline).values_list(
        "to_stage_id", "at", "left_at"
    ):
        durations[stage_id].append((left_at - at).total_seconds() / 86400)
    return [
        StageTimeRow(
            stage_id=stage.pk,
            stage_name=stage.name,
            stays=len(durations.get(stage.pk, [])),
            median_days=median(durations.get(stage.pk, [])),
            drill=str(stage.pk),
        )
        for stage in pipeline.stages.filter(kind=StageKind.OPEN).order_by("position", "id")
    ]


def drill_stage_times(
    actor: Actor, key: str, filters: AnalyticsFilters, *, pipeline_id: int | None = None
) -> list[StageChange]:
    """Return the stage changes (stays, with `left_at`) into stage KEY that ended in the period."""
    pipeline = pipeline_for(pipeline_id)
    if pipeline is None:
        return []
    stage_id = int(key)
    stays = _stays(actor, filters, pipeline).select_related("deal", "to_stage")
    # Kept to the stage in Python: a filter on the stage would apply before LEAD and pair
    # each change with the deal's next change into the same stage.
    return [s for s in stays.order_by("at", "id") if s.to_stage_id == stage_id]
