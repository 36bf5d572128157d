"""Web URLs: chat channels (group robots that get copies of notifications)."""

from django.urls import path

from keyou.web.views import channels

urlpatterns = [
    path("automation/channels/", channels.channel_list, name="channel_list"),
    path("automation/channels/new/", channels.channel_create, name="channel_create"),
    path("automation/channels/<int:pk>/", channels.channel_edit, name="channel_edit"),
    path("automation/channels/<int:pk>/delete/", channels.channel_delete, name="channel_delete"),
    path("automation/channels/<int:pk>/test/", channels.channel_test, name="channel_test"),
]
