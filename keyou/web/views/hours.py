"""Business-hours pages: the company default and each team's hours, holidays and reply targets.

They need the manage_rules capability (the hours decide when replies fall due): a
page that names no record answers 403 without it, the page of one calendar 404
(the same as a calendar that does not exist). The service in
keyou.automation.calendars checks the hours and audits every change.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.dates import WEEKDAYS_ABBR
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from keyou.automation import calendars as service
from keyou.automation.hours_text import periods_format
from keyou.automation.models import BusinessCalendar
from keyou.automation.sla import calendar_for_team, holiday_dates
from keyou.errors import UserFixableError
from keyou.people.access import can
from keyou.people.models import Capability
from keyou.web.hours_forms import HoursForm

NAV = "hours"


def _rule_managers_only(*, names_record: bool) -> Callable:
    """Let only users with manage_rules in: 404 on a page naming a record, else 403."""

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not can(request.user, Capability.MANAGE_RULES):
                raise Http404 if names_record else PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorate


def _days_text(days: list[int]) -> str:
    return ", ".join(str(WEEKDAYS_ABBR[d]) for d in sorted(days) if d in WEEKDAYS_ABBR)


def _row(calendar: BusinessCalendar) -> dict:
    off, work = holiday_dates(calendar.holidays or {})
    return {
        "calendar": calendar,
        "days": _days_text(calendar.workdays or []),
        "periods": periods_format(calendar.periods or []),
        "years": ", ".join(sorted(calendar.holidays or {})),
        "off": len(off),
        "work": len(work),
    }


@login_required
@_rule_managers_only(names_record=False)
@require_GET
def hours_list(request: HttpRequest) -> HttpResponse:
    """Every calendar (the default first), and which hours each team's clocks run on."""
    calendars = service.calendar_list()
    builtin = None
    if not any(c.team_id is None for c in calendars):
        builtin = _row(calendar_for_team(None))  # what teams without hours run on
    context = {
        "rows": [_row(c) for c in calendars],
        "builtin": builtin,
        "teams": service.team_hours(),
        "nav": NAV,
    }
    return render(request, "web/hours/list.html", context)


def _form_page(request: HttpRequest, calendar: BusinessCalendar | None) -> HttpResponse:
    start = calendar
    if start is None:
        start = calendar_for_team(None)
        start.name, start.team = "", None
    deleting = request.method == "POST" and calendar is not None and "delete" in request.POST
    data = None if deleting else (request.POST or None)
    form = HoursForm(data, initial=HoursForm.initial_for(start))
    if deleting:
        service.calendar_delete(actor=request.user, calendar=calendar)
        messages.success(request, _("The business hours were deleted."))
        return redirect("hours_list")
    if request.method == "POST" and form.is_valid():
        values = form.cleaned_data
        try:
            service.calendar_save(
                actor=request.user,
                calendar=calendar,
                team=values["team"],
                name=values["name"],
                time_zone=values["time_zone"],
                workdays=values["workdays"],
                periods=values["periods"],
                holidays=values["holidays"],
                reply_minutes=values["reply_minutes"],
                inquiry_reply_minutes=values["inquiry_reply_minutes"],
            )
        except UserFixableError as exc:
            form.add_error(None, exc.localized())
            if calendar is not None:
                calendar.refresh_from_db()  # the refused change left the object half-changed
        else:
            messages.success(request, _("Saved."))
            return redirect("hours_list")
    context = {"form": form, "calendar": calendar, "nav": NAV}
    return render(request, "web/hours/form.html", context)


@login_required
@_rule_managers_only(names_record=False)
@require_http_methods(["GET", "POST"])
def hours_create(request: HttpRequest) -> HttpResponse:
    """Add business hours for a team (or the company default, when there is none)."""
    return _form_page(request, None)


@login_required
@_rule_managers_only(names_record=True)
@require_http_methods(["GET", "POST"])
def hours_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Change one calendar's hours, holidays and reply targets (or delete it)."""
    return _form_page(request, get_object_or_404(BusinessCalendar, pk=pk))
