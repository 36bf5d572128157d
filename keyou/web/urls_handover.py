"""Web URLs: handover (交接) of a departing user's customers."""

from django.urls import path

from keyou.web.views import handover

urlpatterns: list = [
    path("people/handover/", handover.handover_start, name="handover"),
    path("people/handover/preview/", handover.handover_preview_view, name="handover_preview"),
    path("people/handover/confirm/", handover.handover_confirm, name="handover_confirm"),
    path("people/handover/done/", handover.handover_done, name="handover_done"),
]
