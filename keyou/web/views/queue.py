"""My queue: threads waiting for my reply, by due time, with SLA badges."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from keyou.automation.selectors import managed_team_ids, reply_queue


@login_required
@require_GET
def queue(request: HttpRequest) -> HttpResponse:
    """Threads awaiting the user's reply; ?team=1 for the teams they manage."""
    manages = bool(managed_team_ids(request.user))
    team = manages and request.GET.get("team") == "1"
    rows = reply_queue(request.user, team=team)
    context = {
        "rows": rows,
        "team": team,
        "manages": manages,
        "breached": sum(1 for r in rows if r.breached),
        "nav": "queue",
    }
    return render(request, "web/queue/queue.html", context)
