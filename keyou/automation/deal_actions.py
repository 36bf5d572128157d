"""Rule actions on deals: create one in a pipeline stage, move one to a stage."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext as _

from keyou.automation.engine import fill
from keyou.people.access import SYSTEM


def create_deal(action: Mapping[str, Any], ctx: Any, key: str) -> str:
    """Create (once per KEY) a deal on the event's customer, in a pipeline stage.

    An inquiry thread becomes the deal's thread and is marked an inquiry, which
    starts its 30-working-minute reply clock.
    """
    from keyou.automation.actions import ActionSkipped, _account
    from keyou.automation.clock import thread_sla_refresh
    from keyou.deals.services import deal_create
    from keyou.errors import UserFixableError
    from keyou.mail.models import Thread

    account = _account(ctx)
    message, thread = ctx.found.message, ctx.found.thread
    title = fill(action.get("title") or "", ctx.snapshot).strip()
    title = title or (message.subject if message else "") or account.name
    try:
        deal = deal_create(
            actor=SYSTEM,
            account=account,
            title=title[:300],
            pipeline=str(action.get("pipeline") or "").strip() or None,
            stage=str(action.get("stage") or "").strip() or None,
            source=(action.get("source") or "email")[:80],
            thread=thread,
            contacts=[ctx.found.contact] if ctx.found.contact is not None else [],
            source_rule=ctx.rule,
            source_key=key,
        )
    except UserFixableError as refused:
        # No such pipeline or stage, or a stage needing fields: for a person to fix.
        raise ActionSkipped(refused.localized()) from None
    if thread is not None and not thread.is_inquiry:
        thread.is_inquiry = True
        Thread.objects.filter(pk=thread.pk).update(is_inquiry=True)
        thread_sla_refresh(thread)
    return _("created deal “%(title)s” in %(stage)s") % {
        "title": deal.title,
        "stage": deal.stage.name,
    }


def move_stage(action: Mapping[str, Any], ctx: Any, key: str) -> str:
    """Move the event's deal to the named stage of its pipeline (a no-op if it is there)."""
    from keyou.automation.actions import ActionSkipped
    from keyou.deals.services import deal_move_stage
    from keyou.errors import UserFixableError

    deal = ctx.found.deal
    if deal is None:
        raise ActionSkipped(_("no deal to act on"))
    name = str(action["stage"]).strip()
    stage = deal.pipeline.stages.filter(name__iexact=name).first()
    if stage is None:
        raise ActionSkipped(_("the pipeline has no stage “%(name)s”") % {"name": name})
    if stage.pk == deal.stage_id:
        return _("the deal is already in %(stage)s") % {"stage": deal.stage.name}
    try:
        deal_move_stage(actor=SYSTEM, deal=deal, stage=stage)
    except UserFixableError as refused:
        # Missing required fields are for a person to fill: say so, do not retry.
        raise ActionSkipped(refused.localized()) from None
    return _("moved the deal to %(stage)s") % {"stage": stage.name}
