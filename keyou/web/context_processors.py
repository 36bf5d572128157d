"""Values every page's header needs."""

from __future__ import annotations

from django.http import HttpRequest

from keyou.people.selectors import unread_notifications


def header(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    return {"unread_notifications": unread_notifications(user) if user is not None else 0}
