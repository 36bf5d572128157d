"""Handover (交接) pages: the plan, its preview with counts, and the result.

GET the form; POST it to see what would move (the plan rides along in hidden
fields); POST the confirmation to hand over; the result is shown once after a
redirect. Needs the manage_users capability and a recent password.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST

from keyou.people.access import can
from keyou.people.handover import handover_execute, handover_preview, plan_check
from keyou.people.models import Capability
from keyou.people.services import InvalidInput
from keyou.web.handover_forms import HandoverForm
from keyou.web.reauth import recent_auth_required

RESULT_KEY = "keyou_handover_result"

# What each count means, in the order shown.
COUNT_LABELS = {
    "accounts": _("Customers"),
    "contacts": _("Contacts"),
    "timeline_entries": _("Timeline entries"),
    "notes": _("Notes"),
    "awaiting_threads": _("Threads awaiting our reply"),
    "handover_entries": _("Handover entries added to timelines"),
    "mailboxes": _("Personal mailboxes"),
    "shared_mailboxes": _("Shared mailboxes (the successor takes their place)"),
    "outgoing": _("Queued or failed outgoing messages (to be cancelled)"),
    "outgoing_cancelled": _("Outgoing messages cancelled"),
    "grants": _("Temporary access they hold (to be revoked)"),
    "grants_revoked": _("Temporary access revoked"),
    "teams": _("Teams they manage (to the successor)"),
    "api_tokens": _("API tokens (to be revoked)"),
    "api_tokens_revoked": _("API tokens revoked"),
    "sessions": _("Sessions ended"),
}
BOOK_KEYS = ("accounts", "contacts", "timeline_entries", "notes", "awaiting_threads")


def _manage_users_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not can(request.user, Capability.MANAGE_USERS):
            raise PermissionDenied(_("Handing over needs the right to manage users."))
        return view(request, *args, **kwargs)

    return wrapped


def _rows(totals: dict[str, int]) -> list[tuple[str, int]]:
    """Return (label, count) for TOTALS, known counts first in their order."""
    known = [(COUNT_LABELS[k], totals[k]) for k in COUNT_LABELS if k in totals]
    other = [(k, v) for k, v in totals.items() if k not in COUNT_LABELS]
    return known + other


def _gets(plan: dict[str, Any], username: str) -> list[str]:
    """Say which part of the book USERNAME takes, in words."""
    out = []
    for rule in plan["rules"]:
        if rule["to"] != username:
            continue
        if rule["team"]:
            out.append(gettext("team %(team)s") % {"team": rule["team"]})
        else:
            out.append(gettext("countries %(codes)s") % {"codes": ", ".join(rule["countries"])})
    if username == plan["to"]:
        out.append(gettext("everything else"))
    return out


def _context(data: dict[str, Any]) -> dict[str, Any]:
    successors = [
        {
            "username": row["successor"],
            "gets": _gets(data["plan"], row["successor"]),
            "cells": [row.get(k, 0) for k in BOOK_KEYS],
        }
        for row in data["successors"]
    ]
    return {
        "rows": _rows(data["totals"]),
        "successors": successors,
        "book_columns": [COUNT_LABELS[k] for k in BOOK_KEYS],
        "split": len(data["successors"]) > 1,
        "plan": data["plan"],
        "nav": "people",
    }


def _form_page(request: HttpRequest, form: HandoverForm) -> HttpResponse:
    return render(request, "web/handover/form.html", {"form": form, "nav": "people"})


@login_required
@_manage_users_required
@recent_auth_required
@require_GET
def handover_start(request: HttpRequest) -> HttpResponse:
    """The handover form (?from=ID preselects the departing user)."""
    return _form_page(request, HandoverForm(initial={"departing": request.GET.get("from")}))


@login_required
@_manage_users_required
@recent_auth_required
@require_POST
def handover_preview_view(request: HttpRequest) -> HttpResponse:
    """What the plan would move, with a button to confirm."""
    form = HandoverForm(request.POST)
    if not form.is_valid():
        return _form_page(request, form)
    try:
        plan_check(form.plan, actor=request.user)
    except InvalidInput as exc:
        form.add_error(None, str(exc))
        return _form_page(request, form)
    data = handover_preview(form.plan)
    context = {**_context(data), "form": form, "departing": form.plan.departing}
    return render(request, "web/handover/preview.html", context)


@login_required
@_manage_users_required
@recent_auth_required
@require_POST
def handover_confirm(request: HttpRequest) -> HttpResponse:
    """Hand over as previewed, then show the result."""
    form = HandoverForm(request.POST)
    if not form.is_valid():
        return _form_page(request, form)
    try:
        data = handover_execute(form.plan, actor=request.user)
    except InvalidInput as exc:
        form.add_error(None, str(exc))
        return _form_page(request, form)
    request.session[RESULT_KEY] = data
    return redirect("handover_done")


@login_required
@_manage_users_required
@recent_auth_required
@require_GET
def handover_done(request: HttpRequest) -> HttpResponse:
    """The counts of the handover just made (shown once)."""
    data = request.session.pop(RESULT_KEY, None)
    if data is None:
        return redirect("handover")
    return render(request, "web/handover/done.html", _context(data))
