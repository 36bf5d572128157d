"""Leads: the list of inquiries on the user's customers, and moving a lead's status."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from keyou.crm.leads import lead_get_for, lead_set_status, leads_list
from keyou.crm.models import LeadStatus
from keyou.crm.selectors import NotFound
from keyou.crm.services import InvalidChange
from keyou.web.task_forms import LeadFilterForm, LeadStatusForm
from keyou.web.views.tasks import redirect_back

LEADS_SHOWN = 200


@login_required
@require_GET
def lead_list(request: HttpRequest) -> HttpResponse:
    """List the leads on customers the user may see, newest first (narrowed by status)."""
    form = LeadFilterForm(request.GET)
    status = form.cleaned_data["status"] if form.is_valid() else ""
    rows = list(leads_list(request.user, status=status)[: LEADS_SHOWN + 1])
    context = {
        "form": form,
        "leads": rows[:LEADS_SHOWN],
        "more": len(rows) > LEADS_SHOWN,
        "statuses": LeadStatus.choices,
        "nav": "leads",
    }
    return render(request, "web/leads/list.html", context)


@login_required
@require_POST
def lead_status(request: HttpRequest, pk: int) -> HttpResponse:
    """Move a lead to another status (who may change its customer may)."""
    try:
        lead = lead_get_for(request.user, pk)
    except NotFound:
        raise Http404 from None
    form = LeadStatusForm(request.POST)
    if form.is_valid():
        try:
            lead_set_status(actor=request.user, lead=lead, status=form.cleaned_data["status"])
        except InvalidChange as exc:
            messages.error(request, exc.localized())
        else:
            messages.success(
                request,
                _("Lead “%(title)s” is now %(status)s.")
                % {"title": lead.title, "status": lead.get_status_display()},
            )
    else:
        messages.error(request, _("Choose a status."))
    return redirect_back(request, reverse("lead_list"))


@login_required
@require_POST
def lead_convert(request: HttpRequest, pk: int) -> HttpResponse:
    """Open a deal from a lead and go to it."""
    from keyou.deals.services import InvalidDeal, MissingFields, deal_from_lead

    try:
        lead = lead_get_for(request.user, pk)
    except NotFound:
        raise Http404 from None
    try:
        deal = deal_from_lead(actor=request.user, lead=lead)
    except (InvalidChange, InvalidDeal, MissingFields) as exc:
        messages.error(request, exc.localized())
        return redirect_back(request, reverse("lead_list"))
    messages.success(request, _("Deal opened from the lead."))
    return redirect("deal_detail", pk=deal.pk)
