"""Reading dates and times typed on the command line (ISO 8601, in the company's zone)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.core.management.base import CommandError
from django.utils import timezone


def company_zone() -> ZoneInfo:
    """Return the organisation's time zone (UTC if it is unknown)."""
    from keyou.people.models import Organization

    try:
        return ZoneInfo(Organization.get().time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def parse_instant(text: str, *, end_of_day: bool = False) -> datetime:
    """Return TEXT (2026-03-05, 2026-03-05T18:00, 2026-03-05T10:00Z, ...) as an aware datetime.

    A time without an offset is read in the company's time zone. A bare date is
    its start, or with END_OF_DAY the start of the next day (so "until a date"
    includes that date). Raise CommandError when TEXT is neither.
    """
    value = (text or "").strip()
    try:
        if len(value) == 10:
            day = date.fromisoformat(value)
            if end_of_day:
                day += timedelta(days=1)
            return timezone.make_aware(datetime.combine(day, time.min), company_zone())
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise CommandError(
            f"{text!r} is not a date or time; use ISO 8601 (2026-03-05 or 2026-03-05T18:00)"
        ) from None
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment, company_zone())
    return moment
