"""Web URLs: analytics (the dashboard, drill-down lists, table exports) and "my day".

No URL takes an argument in its path: the metric, row key, table and filters are
query parameters, so every page is a plain link and none names an object by id.
"""

from django.urls import path

from keyou.web.views import analytics

urlpatterns = [
    path("analytics/", analytics.analytics_dashboard, name="analytics_dashboard"),
    path("analytics/drill/", analytics.analytics_drill, name="analytics_drill"),
    path(
        "analytics/export.csv",
        analytics.analytics_export,
        {"file_format": "csv"},
        name="analytics_export_csv",
    ),
    path(
        "analytics/export.xlsx",
        analytics.analytics_export,
        {"file_format": "xlsx"},
        name="analytics_export_xlsx",
    ),
    path("today/", analytics.my_day, name="my_day"),
]
