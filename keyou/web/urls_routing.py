"""Web URLs: routing rules of shared mailboxes (who takes a new inquiry)."""

from django.urls import path

from keyou.web.views import routing

urlpatterns = [
    path("automation/routing/", routing.routing_list, name="routing_list"),
    path("automation/routing/new/", routing.routing_create, name="routing_create"),
    path("automation/routing/test/", routing.routing_test, name="routing_test"),
    path("automation/routing/<int:pk>/", routing.routing_edit, name="routing_edit"),
    path("automation/routing/<int:pk>/toggle/", routing.routing_toggle, name="routing_toggle"),
    path("automation/routing/<int:pk>/delete/", routing.routing_delete, name="routing_delete"),
]
