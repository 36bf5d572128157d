"""Per-request settings taken from the logged-in user: language and time zone."""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable
from functools import lru_cache

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import timezone, translation

from keyou.people.models import Organization


@lru_cache(maxsize=64)
def _zone(name: str) -> zoneinfo.ZoneInfo | None:
    try:
        return zoneinfo.ZoneInfo(name) if name else None
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return None


def user_language(user) -> str | None:
    """Return USER's chosen language if it is one we offer, else None (keep the negotiated one)."""
    code = (getattr(user, "language", "") or "").lower()
    return code if code in dict(settings.LANGUAGES) else None


def user_zone(user) -> zoneinfo.ZoneInfo | None:
    """Return USER's time zone, else the organisation's, else None (settings.TIME_ZONE)."""
    zone = _zone(getattr(user, "time_zone", "") or "")
    if zone is None:
        zone = _zone(Organization.get().time_zone)
    return zone


class UserPreferencesMiddleware:
    """Activate the logged-in user's language and time zone for the request.

    Must sit after AuthenticationMiddleware (it reads request.user) and after
    LocaleMiddleware (it overrides the language that one negotiated).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            language = user_language(user)
            if language:
                translation.activate(language)
                request.LANGUAGE_CODE = language
            zone = user_zone(user)
            if zone is not None:
                timezone.activate(zone)
            else:
                timezone.deactivate()
        else:
            # Time zones are thread-local: never leak the previous request's.
            timezone.deactivate()
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
