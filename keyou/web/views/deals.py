"""Deals: the board, the list, a deal's page, moving between stages, records, the forecast.

Views parse a form, call one service of `keyou.deals` or one selector, and render.
A deal outside the user's reach is a 404, like one that does not exist. Moving a
deal into a stage that needs fields answers with a form asking for them: a page
without JavaScript, a dialog fragment for htmx.
"""

from __future__ import annotations

from datetime import date

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from keyou.crm.selectors import NotFound
from keyou.deals import records, selectors, services
from keyou.deals.models import Deal, Pipeline
from keyou.deals.pipelines import InvalidPipeline, pipeline_get, pipelines_list
from keyou.deals.services import InvalidDeal, MissingFields
from keyou.web.deal_forms import (
    DealFilterForm,
    DealForm,
    LineFormSet,
    MoveForm,
    RecordForm,
    RecordStatusForm,
)
from keyou.web.forms import parse_page
from keyou.web.views.accounts import _account_or_404
from keyou.web.views.tasks import safe_next

NAV = "deals"
PARTIALS = "web/deals/partials/"
PER_PAGE = 50


def _deal_or_404(request: HttpRequest, pk: int, *, write: bool = False) -> Deal:
    try:
        return selectors.deal_get_for(request.user, pk, write=write)
    except NotFound:
        raise Http404 from None


def _pipeline(request: HttpRequest) -> Pipeline:
    try:
        return pipeline_get(request.GET.get("pipeline") or None)
    except InvalidPipeline:
        raise Http404 from None


def _htmx(request: HttpRequest) -> bool:
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.history_restore_request and not htmx.boosted


def _done(request: HttpRequest, default: str) -> HttpResponse:
    """Send the user back: a redirect, or for htmx a full reload of where they were."""
    target = safe_next(request) or default
    if _htmx(request):
        response = HttpResponse(status=204)
        response["HX-Redirect"] = target
        return response
    return redirect(target)


# --- Board, list, forecast ------------------------------------------------------------------


@login_required
@require_GET
def deal_board(request: HttpRequest) -> HttpResponse:
    """Show a pipeline's board: a column per stage with its deals (?pipeline=ID to choose)."""
    pipeline = _pipeline(request)
    board = selectors.deal_board(request.user, pipeline)
    context = {
        "board": board,
        "pipeline": pipeline,
        "pipelines": pipelines_list(),
        "stages": [c.stage for c in board.columns],
        "now": timezone.now(),
        "nav": NAV,
    }
    return render(request, "web/deals/board.html", context)


@login_required
@require_GET
def deal_list(request: HttpRequest) -> HttpResponse:
    """List the deals the user may see, filtered, 50 a page."""
    form = DealFilterForm(request.GET or None)
    if form.is_bound:
        form.is_valid()
    qs = selectors.deals_list(request.user, form.filters())
    page = parse_page(request.GET.get("page"))
    total = qs.count()
    rows = list(qs[(page - 1) * PER_PAGE : page * PER_PAGE])
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "deals": rows,
        "total": total,
        "page": page,
        "has_next": page * PER_PAGE < total,
        "query": query.urlencode(),
        "show_amounts": selectors.may_see_amounts(request.user),
        "nav": NAV,
    }
    return render(request, "web/deals/list.html", context)


def _month(value: str | None) -> date | None:
    try:
        return date.fromisoformat(f"{value}-01") if value else None
    except ValueError:
        return None


@login_required
@require_GET
def deal_forecast(request: HttpRequest) -> HttpResponse:
    """Show the forecast by owner and month (?from=YYYY-MM, ?months=N, ?pipeline=ID)."""
    pipeline = _pipeline(request) if request.GET.get("pipeline") else None
    try:
        months = max(1, min(12, int(request.GET.get("months") or 6)))
    except ValueError:
        months = 6
    forecast = selectors.deal_forecast(
        request.user, first_month=_month(request.GET.get("from")), months=months, pipeline=pipeline
    )
    context = {
        "forecast": forecast,
        "pipeline": pipeline,
        "pipelines": pipelines_list(),
        "months": months,
        "first": forecast.months[0],
        "nav": NAV,
    }
    return render(request, "web/deals/forecast.html", context)


# --- One deal -------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def deal_new(request: HttpRequest) -> HttpResponse:
    """Open a deal on the customer `?account=ID` (one the user may change)."""
    ref = request.GET.get("account", "").strip()
    if not ref.isdigit() or len(ref) > 18:
        raise Http404
    account = _account_or_404(request, int(ref), write=True)
    show = selectors.may_see_amounts(request.user)
    form = DealForm(
        request.POST or None,
        account=account,
        show_amounts=show,
        editing=False,
        initial={"pipeline": pipeline_get().pk, "owner": account.owner_id or request.user.pk},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            deal = services.deal_create(
                actor=request.user,
                account=account,
                pipeline=data["pipeline"],
                owner=data["owner"],
                contacts=data["contacts"],
                **form.changes(),
            )
        except InvalidDeal as exc:
            form.add_error(None, exc.localized())
        else:
            messages.success(request, _("Deal opened."))
            return redirect("deal_detail", pk=deal.pk)
    context = {"form": form, "account": account, "deal": None, "nav": NAV}
    return render(request, "web/deals/form.html", context)


@login_required
@require_GET
def deal_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Show a deal: its stage and fields, lines, records, stage history and timeline."""
    deal = _deal_or_404(request, pk)
    show = selectors.may_see_amounts(request.user)
    attachments = records.deal_attachments(request.user, deal)
    stages = list(deal.pipeline.stages.order_by("position", "id"))
    ids = [s.pk for s in stages]
    at = ids.index(deal.stage_id) if deal.stage_id in ids else -1
    context = {
        "deal": deal,
        "next_stage_id": ids[at + 1] if 0 <= at < len(ids) - 1 else None,
        "show_amounts": show,
        "amount_company": selectors.deal_amount_in_company(deal) if show else None,
        "stages": stages,
        "lines": list(deal.lines.all()),
        "records": list(deal.records.select_related("attachment")),
        "history": selectors.deal_stage_history(deal),
        "tasks": selectors.deal_tasks(deal),
        "timeline": selectors.deal_timeline(request.user, deal),
        "contacts": list(deal.contacts.all()),
        "record_form": RecordForm(
            attachments=attachments,
            initial={"date": timezone.localdate(), "currency": deal.currency},
        ),
        "now": timezone.now(),
        "nav": NAV,
    }
    return render(request, "web/deals/detail.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def deal_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Edit a deal's fields, contacts, owner and product lines."""
    deal = _deal_or_404(request, pk, write=True)
    show = selectors.may_see_amounts(request.user)
    initial = {
        "title": deal.title,
        "amount": deal.amount,
        "currency": deal.currency,
        "expected_close": deal.expected_close,
        "source": deal.source,
        "contacts": list(deal.contacts.values_list("pk", flat=True)),
        "owner": deal.owner_id,
    }
    lines_initial = [
        {"product": line.product, "quantity": line.quantity, "unit_price": line.unit_price}
        for line in deal.lines.all()
    ]
    data = request.POST if request.method == "POST" else None
    form = DealForm(data, account=deal.account, show_amounts=show, editing=True, initial=initial)
    lines = LineFormSet(data, initial=lines_initial, prefix="lines")
    if request.method == "POST" and form.is_valid() and lines.is_valid():
        try:
            services.deal_update(
                actor=request.user,
                deal=deal,
                owner=form.cleaned_data["owner"],
                contacts=form.cleaned_data["contacts"],
                **form.changes(),
            )
            if show:  # unit prices are amounts too
                services.deal_lines_set(
                    actor=request.user, deal=deal, lines=[f for f in lines.cleaned_data if f]
                )
        except InvalidDeal as exc:
            form.add_error(None, exc.localized())
        else:
            messages.success(request, _("Deal saved."))
            return redirect("deal_detail", pk=deal.pk)
    context = {
        "form": form,
        "lines": lines if show else None,
        "account": deal.account,
        "deal": deal,
        "nav": NAV,
    }
    return render(request, "web/deals/form.html", context)


def _move_page(request: HttpRequest, deal: Deal, form: MoveForm, error: str) -> HttpResponse:
    context = {"deal": deal, "form": form, "error": error, "next": safe_next(request), "nav": NAV}
    if _htmx(request):
        return render(request, PARTIALS + "move_dialog.html", context)
    return render(request, "web/deals/move.html", context)


@login_required
@require_POST
def deal_move(request: HttpRequest, pk: int) -> HttpResponse:
    """Move a deal to the posted stage; ask for the fields that stage still needs."""
    deal = _deal_or_404(request, pk, write=True)
    chooser = MoveForm(request.POST, pipeline=deal.pipeline, account=deal.account, fields=[])
    if not chooser.is_valid():
        messages.error(request, _("Choose a stage of this pipeline."))
        return _done(request, reverse("deal_detail", args=[deal.pk]))
    stage = chooser.cleaned_data["stage"]
    asked = [f for f in request.POST.getlist("asked") if f]
    form = MoveForm(request.POST, pipeline=deal.pipeline, account=deal.account, fields=asked)
    values = form.values() if asked and form.is_valid() else {}
    if asked and not form.is_valid():
        return _move_page(request, deal, form, "")
    try:
        services.deal_move_stage(actor=request.user, deal=deal, stage=stage, values=values)
    except MissingFields as exc:
        form = MoveForm(
            initial={"stage": stage.pk},
            pipeline=deal.pipeline,
            account=deal.account,
            fields=exc.fields,
        )
        return _move_page(request, deal, form, exc.localized())
    except InvalidDeal as exc:
        messages.error(request, exc.localized())
    else:
        messages.success(request, _("Deal moved."))
    return _done(request, reverse("deal_detail", args=[deal.pk]))


# --- Records -------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def deal_record_new(request: HttpRequest, pk: int) -> HttpResponse:
    """Add a quote, order or payment to a deal."""
    deal = _deal_or_404(request, pk, write=True)
    attachments = records.deal_attachments(request.user, deal)
    form = RecordForm(
        request.POST or None,
        attachments=attachments,
        initial={
            "date": timezone.localdate(),
            "currency": deal.currency,
            "kind": request.GET.get("kind", "quote"),
        },
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            records.deal_record_add(
                actor=request.user,
                deal=deal,
                kind=data["kind"],
                number=data["number"],
                on=data["date"],
                amount=data["amount"],
                currency=data["currency"],
                status=data["status"],
                attachment=data["attachment"],
                note=data["note"],
            )
        except InvalidDeal as exc:
            form.add_error(None, exc.localized())
        else:
            messages.success(request, _("Record added."))
            return redirect("deal_detail", pk=deal.pk)
    return render(request, "web/deals/record_form.html", {"deal": deal, "form": form, "nav": NAV})


@login_required
@require_POST
def deal_record_status(request: HttpRequest, pk: int, record_pk: int) -> HttpResponse:
    """Change a record's status."""
    deal = _deal_or_404(request, pk, write=True)
    try:
        record = selectors.record_get_for(request.user, deal, record_pk)
    except NotFound:
        raise Http404 from None
    form = RecordStatusForm(request.POST)
    if form.is_valid():
        try:
            records.deal_record_status_set(
                actor=request.user, record=record, status=form.cleaned_data["status"]
            )
        except InvalidDeal as exc:
            messages.error(request, exc.localized())
    return _done(request, reverse("deal_detail", args=[deal.pk]) + "#records")
