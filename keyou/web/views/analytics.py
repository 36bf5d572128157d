"""Analytics pages: the manager dashboard, the list behind any number, table exports, my day.

Every number comes from `keyou.analytics` metrics, scoped to the viewer: a
salesperson sees their own numbers, a team lead their team's, an admin the
company's. Filters are GET parameters (`keyou.analytics.filters`), so every page
is a plain link and the filter bar works without JavaScript.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from keyou.analytics.dashboards import TABLES, dashboard, period_presets
from keyou.analytics.drill import UnknownDrill, drill_rows
from keyou.analytics.drill_items import METRIC_TITLES, drill_item
from keyou.analytics.exports import analytics_export_build
from keyou.analytics.filter_options import filter_options, filter_summary
from keyou.analytics.filters import filters_from_params
from keyou.analytics.my_day import my_day as my_day_for
from keyou.audit.exports import InvalidExport
from keyou.people.access import NotAllowed
from keyou.web.reauth import recent_auth_required
from keyou.web.views.exports import export_file, export_refused

DRILL_PER_PAGE = 50


@login_required
@require_GET
def analytics_dashboard(request: HttpRequest) -> HttpResponse:
    """Show the dashboard of the numbers the user may see, under the filters in the query."""
    filters = filters_from_params(request.GET)
    options = filter_options(request.user)
    today = timezone.localdate(timezone.now(), filters.zone)
    presets = []
    for label, start, end in period_presets(today):
        params = {**filters.as_params(), "start": start.isoformat(), "end": end.isoformat()}
        active = (start, end) == (filters.start, filters.end)
        presets.append({"label": label, "query": urlencode(params), "active": active})
    return render(
        request,
        "web/analytics/dashboard.html",
        {
            "filters": filters,
            "options": options,
            "summary": filter_summary(filters, options),
            "presets": presets,
            "sections": dashboard(request.user, filters),
            "export_query": urlencode(filters.as_params()),
            "nav": "analytics",
        },
    )


@login_required
@require_GET
def analytics_drill(request: HttpRequest) -> HttpResponse:
    """List the records behind one number (`metric`'s row `key`), a page at a time."""
    metric = request.GET.get("metric", "")
    key = request.GET.get("key", "")
    if metric not in METRIC_TITLES or not key:
        raise Http404
    filters = filters_from_params(request.GET)
    try:
        rows = drill_rows(request.user, metric, key, filters)
    except UnknownDrill:
        raise Http404 from None
    page = Paginator(rows, DRILL_PER_PAGE).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    return render(
        request,
        "web/analytics/drill.html",
        {
            "metric": metric,
            "title": METRIC_TITLES[metric],
            "key": key,
            "page": page,
            "items": [drill_item(obj) for obj in page.object_list],
            "summary": filter_summary(filters, filter_options(request.user)),
            "query": params.urlencode(),
            "back_query": urlencode(filters.as_params()),
            "nav": "analytics",
        },
    )


@login_required
@require_GET
@recent_auth_required
def analytics_export(request: HttpRequest, file_format: str) -> HttpResponse:
    """Download dashboard table `table` under the query's filters (403 without the capability)."""
    table = request.GET.get("table", "")
    if table not in TABLES:
        raise Http404
    filters = filters_from_params(request.GET)
    try:
        result = analytics_export_build(request.user, table, file_format, filters, request=request)
    except InvalidExport:
        raise Http404 from None
    except NotAllowed:
        return export_refused()
    return export_file(result)


@login_required
@require_GET
def my_day(request: HttpRequest) -> HttpResponse:
    """Show the user's day: what to do first, tasks, replies owed, stalled deals, reclaims."""
    return render(
        request, "web/analytics/my_day.html", {"day": my_day_for(request.user), "nav": "today"}
    )
