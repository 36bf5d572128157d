"""Values every page's header needs."""

from __future__ import annotations

from django.http import HttpRequest

from keyou.people.access import reach
from keyou.people.selectors import unread_notifications


def header(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"unread_notifications": 0, "can": {}}
    # `can.export`, `can.manage_users`, ...: what the menu offers this user.
    return {
        "unread_notifications": unread_notifications(user),
        "can": {capability: True for capability in reach(user).capabilities},
        # Lazy: only pages that show the user menu's access requests link ask.
        "manages_team": lambda: user.managed_teams.exists(),
    }
