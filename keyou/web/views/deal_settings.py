"""The pipelines page: pipelines and their stages, the lost reasons and the rate table.

For users with the manage-rules capability (a 403 otherwise). One page, one
POST per change, each naming the thing it changes; an id that names nothing
(or another pipeline's stage) is a 404.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from keyou.deals import money, pipelines
from keyou.deals.models import CurrencyRate, LostReason, Pipeline, Stage
from keyou.errors import UserFixableError
from keyou.people.access import require
from keyou.people.models import Capability
from keyou.web.deal_forms import (
    LostReasonForm,
    PipelineForm,
    RateForm,
    StageAddForm,
    StageForm,
    sop_parse,
    sop_text,
)


def _row(model, request: HttpRequest, name: str):
    ref = request.POST.get(name, "")
    if not ref.isdigit() or len(ref) > 18:
        raise Http404
    found = model.objects.filter(pk=int(ref)).first()
    if found is None:
        raise Http404
    return found


def _stage_form(stage: Stage, data=None) -> StageForm:
    return StageForm(
        data,
        prefix=f"stage-{stage.pk}",
        initial={
            "name": stage.name,
            "probability": stage.probability,
            "required_fields": stage.required_fields,
            "stall_days": stage.stall_days,
            "sop": sop_text(stage.sop),
        },
    )


def _apply(request: HttpRequest, action: str, pipeline: Pipeline) -> StageForm | None:
    """Run the change ACTION names; return a stage form with errors to show, else None."""
    actor, post = request.user, request.POST
    if action == "pipeline_add":
        form = PipelineForm(post)
        if form.is_valid():
            pipelines.pipeline_create(actor=actor, name=form.cleaned_data["name"])
    elif action == "pipeline_rename":
        form = PipelineForm(post)
        if form.is_valid():
            pipelines.pipeline_update(
                actor=actor, pipeline=pipeline, name=form.cleaned_data["name"]
            )
    elif action == "pipeline_default":
        pipelines.pipeline_update(actor=actor, pipeline=pipeline, is_default=True)
    elif action == "pipeline_delete":
        pipelines.pipeline_delete(actor=actor, pipeline=pipeline)
    elif action == "stage_add":
        form = StageAddForm(post)
        if form.is_valid():
            pipelines.stage_add(actor=actor, pipeline=pipeline, **form.cleaned_data)
    elif action in ("stage_save", "stage_delete", "stage_up", "stage_down"):
        stage = _row(Stage, request, "stage")
        if stage.pipeline_id != pipeline.pk:
            raise Http404
        if action == "stage_delete":
            pipelines.stage_delete(actor=actor, stage=stage)
        elif action in ("stage_up", "stage_down"):
            pipelines.stage_move(actor=actor, stage=stage, by=-1 if action == "stage_up" else 1)
        else:
            form = _stage_form(stage, post)
            if not form.is_valid():
                return form
            data = form.cleaned_data
            pipelines.stage_update(
                actor=actor,
                stage=stage,
                name=data["name"],
                probability=data["probability"],
                required_fields=data["required_fields"],
                stall_days=data["stall_days"],
                sop=sop_parse(data["sop"]),
            )
    elif action == "rate_set":
        form = RateForm(post)
        if form.is_valid():
            money.rate_set(actor=actor, **form.cleaned_data)
        else:
            messages.error(request, _("Check the currency, rate and date."))
            return None
    elif action == "rate_delete":
        money.rate_delete(actor=actor, rate=_row(CurrencyRate, request, "rate"))
    elif action == "reason_add":
        form = LostReasonForm(post)
        if form.is_valid():
            pipelines.lost_reason_add(actor=actor, name=form.cleaned_data["name"])
    elif action == "reason_toggle":
        reason = _row(LostReason, request, "reason")
        pipelines.lost_reason_update(actor=actor, reason=reason, active=not reason.active)
    else:
        raise Http404
    messages.success(request, _("Saved."))
    return None


@login_required
@require_http_methods(["GET", "POST"])
def pipeline_settings(request: HttpRequest) -> HttpResponse:
    """Show and change the pipelines (?pipeline=ID), lost reasons and exchange rates."""
    require(request.user, Capability.MANAGE_RULES)
    choices = pipelines.pipelines_list()
    ref = request.POST.get("pipeline") or request.GET.get("pipeline") or None
    try:
        pipeline = pipelines.pipeline_get(ref)
    except pipelines.InvalidPipeline:
        raise Http404 from None
    failed = None
    if request.method == "POST":
        try:
            failed = _apply(request, request.POST.get("action", ""), pipeline)
        except UserFixableError as exc:
            messages.error(request, exc.localized())
        else:
            if failed is None:
                target = pipeline if Pipeline.objects.filter(pk=pipeline.pk).exists() else None
                suffix = f"?pipeline={target.pk}" if target else ""
                return redirect(request.path + suffix)
    stages = list(pipeline.stages.order_by("position", "id"))
    rows = [
        (s, failed if failed is not None and failed.prefix == f"stage-{s.pk}" else _stage_form(s))
        for s in stages
    ]
    context = {
        "pipelines": choices,
        "pipeline": pipeline,
        "rows": rows,
        "stage_add_form": StageAddForm(initial={"probability": 50}),
        "pipeline_form": PipelineForm(),
        "rename_form": PipelineForm(initial={"name": pipeline.name}),
        "reasons": list(LostReason.objects.all()),
        "reason_form": LostReasonForm(),
        "rates": money.rates_list(),
        "rate_form": RateForm(),
        "company_currency": money.company_currency(),
        "nav": "deals",
    }
    return render(request, "web/deals/settings.html", context)
