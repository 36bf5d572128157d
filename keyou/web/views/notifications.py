"""The user's notifications: what Keyou needs them to know (a mailbox stopped, ...)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from keyou.people.selectors import notifications_for
from keyou.people.services import notifications_mark_read


@login_required
@require_GET
def notification_list(request: HttpRequest) -> HttpResponse:
    rows = list(notifications_for(request.user)[:100])
    return render(request, "web/notifications.html", {"rows": rows, "nav": "notifications"})


@login_required
@require_POST
def notifications_read(request: HttpRequest) -> HttpResponse:
    notifications_mark_read(request.user)
    return redirect("notification_list")
