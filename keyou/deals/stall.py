"""The stall sweep: an open deal left in a stage past its stall threshold fires `deal.stalled` once."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_noop

from keyou.automation.events import DEAL_STALLED, event_emit
from keyou.deals.models import Deal, DealStatus, Stage, StageKind
from keyou.deals.stages import label
from keyou.people.services import notify_once

BATCH = 1000


def deals_stall_sweep(now: datetime | None = None) -> int:
    """Mark the open deals stalled in their stage and emit `deal.stalled`; return how many.

    Once per stay: the conditional update on `stalled_at IS NULL` lets one run (of
    several at once) claim each deal, and a move clears the mark. The owner is told.
    """
    now = now or timezone.now()
    fired = 0
    stages = Stage.objects.filter(kind=StageKind.OPEN, stall_days__isnull=False)
    for stage in stages:
        cutoff = now - timedelta(days=stage.stall_days)
        due = Deal.objects.filter(
            stage=stage,
            status=DealStatus.OPEN,
            stalled_at__isnull=True,
            stage_entered_at__lte=cutoff,
        ).values_list("pk", flat=True)
        for pk in list(due[:BATCH]):
            fired += _stall(pk, stage, now)
    return fired


@transaction.atomic
def _stall(pk: int, stage: Stage, now: datetime) -> int:
    claimed = Deal.objects.filter(
        pk=pk, stage=stage, status=DealStatus.OPEN, stalled_at__isnull=True
    ).update(stalled_at=now)
    if claimed != 1:
        return 0  # moved meanwhile, or another sweep took it
    deal = Deal.objects.select_related("owner").get(pk=pk)
    key = f"deal.stalled:{pk}:{deal.stage_entered_at.isoformat()}"
    days = (now - deal.stage_entered_at).days
    event_emit(
        DEAL_STALLED,
        account_id=deal.account_id,
        deal_id=pk,
        dedupe_key=key,
        occurred_at=now,
        data={"stage_id": stage.pk, "stage_name": stage.name, "days": days},
    )
    if deal.owner_id and deal.owner.is_active:
        from django.utils import translation

        from keyou.people.services import language_of

        with translation.override(language_of(deal.owner)):
            stage_name = label(stage.name)
        notify_once(
            deal.owner,
            gettext_noop("The deal %(title)s has been in %(stage)s for %(days)s days"),
            {"title": deal.title, "stage": stage_name, "days": days},
            dedupe_key=key,
            kind="deal",
            url=reverse("deal_detail", args=[pk]),
        )
    return 1
