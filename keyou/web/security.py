"""Security middleware: response headers, session expiry and the second login step.

SecurityHeadersMiddleware   Content-Security-Policy and Permissions-Policy on every response
                            (Django's SecurityMiddleware adds nosniff, Referrer-Policy, COOP
                            and, with KEYOU_HTTPS, HSTS).
SessionExpiryMiddleware     log out KEYOU_SESSION_HOURS after login, or after
                            KEYOU_SESSION_IDLE_MINUTES without a request.
TwoFactorMiddleware         a user with an authenticator enters a code before anything else;
                            with KEYOU_2FA=admins an admin without one sets it up first.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import SESSION_KEY, logout
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import ngettext
from django_htmx.http import HttpResponseClientRedirect

from keyou.people.two_factor import two_factor_enabled, two_factor_required

# Scripts only from our own files (no inline script, no eval: htmx runs without either);
# inline <style> blocks and style attributes are allowed, which CSS cannot turn into
# script. Frames: only our own pages may frame a page, and only pages that say so
# (X-Frame-Options SAMEORIGIN, e.g. a message's HTML body) — the rest are 'none'.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self'; connect-src 'self'; frame-src 'self'; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors {ancestors}"
)
PERMISSIONS_POLICY = (
    "camera=(), microphone=(), geolocation=(), payment=(), usb=(), "
    "display-capture=(), interest-cohort=()"
)

LOGIN_AT = "keyou_login_at"  # when the password was entered (absolute session age)
SEEN_AT = "keyou_seen_at"  # the last request, stored at most once a minute
SEEN_EVERY = 60  # seconds

_API_PREFIX = "/api/"  # token-authenticated: no session rules, JSON errors of its own


class SecurityHeadersMiddleware:
    """Add Content-Security-Policy and Permissions-Policy to responses that have none.

    A view that needs another policy (a message's HTML body allowing remote images, a
    download) sets its own header, and it is left as it is.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if "Content-Security-Policy" not in response:
            framing = response.get("X-Frame-Options", "").upper()
            response["Content-Security-Policy"] = CSP.format(
                ancestors="'self'" if framing == "SAMEORIGIN" else "'none'"
            )
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        return response


@receiver(user_logged_in, dispatch_uid="keyou.web.security.login_at")
def _stamp_login(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    if request is not None and hasattr(request, "session"):
        now = int(time.time())
        request.session[LOGIN_AT] = now
        request.session[SEEN_AT] = now


class SessionExpiryMiddleware:
    """End a logged-in session that is too old or has been idle too long.

    The last-seen time is written to the session at most once a minute, so a busy
    user's requests do not each save the session.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        session = getattr(request, "session", None)
        if session is None or request.path.startswith(_API_PREFIX) or SESSION_KEY not in session:
            return self.get_response(request)
        now = int(time.time())
        login_at = session.get(LOGIN_AT)
        seen_at = session.get(SEEN_AT)
        if login_at is None:
            # Logged in where the stamp could not be put (force_login before any
            # request was served): count from now.
            session[LOGIN_AT] = login_at = now
        idle_limit = settings.KEYOU_SESSION_IDLE_MINUTES * 60
        if now - login_at > settings.KEYOU_SESSION_HOURS * 3600:
            hours = settings.KEYOU_SESSION_HOURS
            text = ngettext(
                "You were logged out because you logged in more than %(hours)d hour ago.",
                "You were logged out because you logged in more than %(hours)d hours ago.",
                hours,
            ) % {"hours": hours}
            return _expired(request, text)
        if seen_at is not None and now - seen_at > idle_limit:
            minutes = settings.KEYOU_SESSION_IDLE_MINUTES
            text = ngettext(
                "You were logged out after %(minutes)d minute without activity.",
                "You were logged out after %(minutes)d minutes without activity.",
                minutes,
            ) % {"minutes": minutes}
            return _expired(request, text)
        if seen_at is None or now - seen_at >= SEEN_EVERY:
            session[SEEN_AT] = now
        return self.get_response(request)


def _expired(request: HttpRequest, text: str) -> HttpResponse:
    """Log the user out and send them to the login page, saying why."""
    logout(request)
    messages.info(request, text)
    target = request.get_full_path() if request.method == "GET" else ""
    url = reverse("login") + (f"?{urlencode({'next': target})}" if target else "")
    if getattr(request, "htmx", False):
        return HttpResponseClientRedirect(url)
    return redirect(url)


class TwoFactorMiddleware:
    """Hold a logged-in user at the second login step until it is done.

    A user with an authenticator whose session is not verified yet can reach only the
    code page, logout and login; with KEYOU_2FA=admins, an admin without an
    authenticator only the setup page, logout and login. The API (tokens) is outside.
    """

    OPEN_TO_UNVERIFIED = frozenset({"login", "logout", "login_code"})
    OPEN_TO_UNENROLLED = frozenset({"login", "logout", "two_factor"})

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view_func: Callable, view_args: tuple, view_kwargs: dict
    ) -> HttpResponse | None:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or request.path.startswith(_API_PREFIX):
            return None
        if user.is_verified():
            return None
        name = request.resolver_match.url_name if request.resolver_match else None
        if two_factor_enabled(user):
            if name in self.OPEN_TO_UNVERIFIED:
                return None
            return _hold(request, "login_code")
        if two_factor_required(user) and name not in self.OPEN_TO_UNENROLLED:
            return _hold(request, "two_factor")
        return None


def _hold(request: HttpRequest, url_name: str) -> HttpResponse:
    """Send the user to the page URL_NAME, keeping where they were going (for GETs)."""
    url = reverse(url_name)
    if request.method == "GET" and request.get_full_path() != "/":
        url += f"?{urlencode({'next': request.get_full_path()})}"
    if getattr(request, "htmx", False):
        return HttpResponseClientRedirect(url)
    return redirect(url)
