"""Web URLs: business hours (the company default and each team's)."""

from django.urls import path

from keyou.web.views import hours

urlpatterns = [
    path("automation/hours/", hours.hours_list, name="hours_list"),
    path("automation/hours/new/", hours.hours_create, name="hours_new"),
    path("automation/hours/<int:pk>/", hours.hours_edit, name="hours_edit"),
]
