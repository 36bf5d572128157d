"""Top-level URL map."""

from django.contrib import admin
from django.urls import include, path

from keyou.api.api import api

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("", include("keyou.web.urls")),
]

handler404 = "keyou.web.views.grants.not_found"
