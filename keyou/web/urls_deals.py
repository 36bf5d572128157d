"""Web URLs: deals, the board, the forecast and the pipeline settings."""

from django.urls import path

from keyou.web.views import deal_settings, deals

urlpatterns = [
    path("deals/", deals.deal_board, name="deal_board"),
    path("deals/list/", deals.deal_list, name="deal_list"),
    path("deals/new/", deals.deal_new, name="deal_new"),
    path("deals/forecast/", deals.deal_forecast, name="deal_forecast"),
    path("deals/pipelines/", deal_settings.pipeline_settings, name="pipeline_settings"),
    path("deals/<int:pk>/", deals.deal_detail, name="deal_detail"),
    path("deals/<int:pk>/edit/", deals.deal_edit, name="deal_edit"),
    path("deals/<int:pk>/move/", deals.deal_move, name="deal_move"),
    path("deals/<int:pk>/records/new/", deals.deal_record_new, name="deal_record_new"),
    path(
        "deals/<int:pk>/records/<int:record_pk>/status/",
        deals.deal_record_status,
        name="deal_record_status",
    ),
]
