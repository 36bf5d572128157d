"""Re-authentication before sensitive actions (exports, role changes, grants, handover).

A login stamps the session with the time; `recent_auth_required` sends a user whose
stamp is older than KEYOU_REAUTH_MINUTES to re-enter their password first.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode

SESSION_KEY = "keyou_auth_at"


@receiver(user_logged_in, dispatch_uid="keyou.web.reauth.stamp")
def _stamp(sender, request, user, **kwargs) -> None:
    if request is not None and hasattr(request, "session"):
        request.session[SESSION_KEY] = int(time.time())


def mark_authenticated(request: HttpRequest) -> None:
    """Record that the user just proved who they are (password re-entered)."""
    request.session[SESSION_KEY] = int(time.time())


def auth_is_recent(request: HttpRequest) -> bool:
    """Return True when the user entered their password within KEYOU_REAUTH_MINUTES."""
    stamp = request.session.get(SESSION_KEY)
    if not stamp:
        return False
    return time.time() - int(stamp) < settings.KEYOU_REAUTH_MINUTES * 60


def recent_auth_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Decorate a view so it first asks for the password again when the login is old."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.user.is_authenticated and not auth_is_recent(request):
            target = request.get_full_path() if request.method == "GET" else request.path
            return redirect(f"{reverse('reauth')}?{urlencode({'next': target})}")
        return view(request, *args, **kwargs)

    return wrapped
