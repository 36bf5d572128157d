"""The contact page: who they are, and their entries on the account's timeline."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_GET

from keyou.audit.services import record_view
from keyou.crm.selectors import NotFound
from keyou.web import selectors as pages
from keyou.web.views.accounts import htmx_target


@login_required
@require_GET
def contact_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Show a contact of an account the user may see (else 404), with their timeline."""
    cursor = pages.Cursor.decode(request.GET.get("before"))
    try:
        data = pages.contact_page(request.user, pk, cursor=cursor)
    except NotFound:
        raise Http404 from None
    if cursor is None:
        record_view(request.user, data.contact, request=request)
    url = reverse("contact_detail", args=[pk])
    next_cursor = data.timeline.next_cursor
    context = {
        "contact": data.contact,
        "account": data.contact.account,
        "timeline": data.timeline,
        "more_url": f"{url}?{urlencode({'before': next_cursor})}" if next_cursor else "",
        "nav": "customers",
    }
    if htmx_target(request) is not None:
        return render(request, "web/accounts/partials/timeline_more.html", context)
    return render(request, "web/contacts/detail.html", context)
