"""The filter every metric takes: a period of company days and who/where/which source.

Days are company-time-zone days (`people.Organization.time_zone`): a period
START..END covers START 00:00 up to (not including) END+1 00:00 there.

How each filter narrows a metric:
- TEAM_ID: rows whose account belongs to that team or a team below it; for the
  per-person metrics (response times, pool flows, leaderboard, tasks), the
  people in those teams.
- USER_ID: rows whose account that person owns; for the per-person metrics, that
  person's own rows.
- COUNTRY: an ISO country code or a region group code (EU, LATAM), matched
  against the account's country.
- SOURCE: the account's source (`Account.source`), as typed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import cached_property
from zoneinfo import ZoneInfo

from django.db.models import Q
from django.utils import timezone

from keyou.people.access import Actor, reach, region_countries, team_subtree

DEFAULT_DAYS = 30
MAX_DAYS = 3 * 366


def company_zone() -> ZoneInfo:
    """Return the company time zone (analytics days are its days)."""
    from keyou.people.models import Organization

    try:
        return ZoneInfo(Organization.get().time_zone)
    except (KeyError, ValueError):
        return ZoneInfo("UTC")


@dataclass(frozen=True)
class AnalyticsFilters:
    """A period of company days (both ends included) and optional narrowing."""

    start: date
    end: date
    team_id: int | None = None
    user_id: int | None = None
    country: str | None = None  # a country code or a region group code
    source: str | None = None
    zone: ZoneInfo = field(default_factory=company_zone, compare=False)

    @property
    def start_at(self) -> datetime:
        """The first moment of the period (aware, in the company time zone)."""
        return datetime.combine(self.start, time(0), tzinfo=self.zone)

    @property
    def end_at(self) -> datetime:
        """The first moment after the period."""
        return datetime.combine(self.end + timedelta(days=1), time(0), tzinfo=self.zone)

    @cached_property
    def team_ids(self) -> list[int] | None:
        """The team and its sub-teams (None: no team filter)."""
        return team_subtree(self.team_id) if self.team_id else None

    @cached_property
    def countries(self) -> list[str] | None:
        """The country codes COUNTRY covers (None: no country filter)."""
        return sorted(region_countries([self.country])) if self.country else None

    def days(self) -> list[date]:
        """Return every day of the period, in order."""
        return [self.start + timedelta(days=n) for n in range((self.end - self.start).days + 1)]

    def account_q(self, prefix: str = "") -> Q:
        """Return the narrowing of accounts (reached via PREFIX) these filters ask for."""
        q = Q()
        if self.team_ids is not None:
            q &= Q(**{f"{prefix}team_id__in": self.team_ids})
        if self.user_id:
            q &= Q(**{f"{prefix}owner_id": self.user_id})
        if self.countries is not None:
            q &= Q(**{f"{prefix}country__in": self.countries})
        if self.source:
            q &= Q(**{f"{prefix}source": self.source})
        return q

    def account_q_without_people(self, prefix: str = "") -> Q:
        """Return `account_q` without the team and user parts (per-person metrics apply those
        to the person instead)."""
        q = Q()
        if self.countries is not None:
            q &= Q(**{f"{prefix}country__in": self.countries})
        if self.source:
            q &= Q(**{f"{prefix}source": self.source})
        return q

    def person_q(self, field_name: str) -> Q:
        """Return the narrowing of a person column FIELD_NAME (e.g. "responder") by team/user."""
        q = Q()
        if self.team_ids is not None:
            q &= Q(**{f"{field_name}__team_id__in": self.team_ids})
        if self.user_id:
            q &= Q(**{f"{field_name}_id": self.user_id})
        return q

    def as_params(self) -> dict[str, str]:
        """Return these filters as GET parameters (the inverse of `filters_from_params`)."""
        out = {"start": self.start.isoformat(), "end": self.end.isoformat()}
        for name in ("team_id", "user_id", "country", "source"):
            value = getattr(self, name)
            if value:
                out[name.removesuffix("_id") if name.endswith("_id") else name] = str(value)
        return out


# The GET parameter names: start, end (YYYY-MM-DD), team, user (ids), country, source.
Period = AnalyticsFilters


def _date(text: str | None) -> date | None:
    try:
        return date.fromisoformat((text or "").strip()) if text else None
    except ValueError:
        return None


def _int(text: str | None) -> int | None:
    text = (text or "").strip()
    return int(text) if text.isdigit() and int(text) > 0 else None


def filters_from_params(
    params: Mapping[str, str], *, today: date | None = None
) -> AnalyticsFilters:
    """Return the filters GET PARAMS ask for; bad or missing values fall back to defaults.

    Default period: the last 30 company days ending today. START after END is
    swapped; a period longer than three years is cut to its last three years.
    """
    zone = company_zone()
    today = today or timezone.localdate(timezone.now(), zone)
    end = _date(params.get("end")) or today
    start = _date(params.get("start")) or end - timedelta(days=DEFAULT_DAYS - 1)
    if start > end:
        start, end = end, start
    if (end - start).days >= MAX_DAYS:
        start = end - timedelta(days=MAX_DAYS - 1)
    country = (params.get("country") or params.get("region") or "").strip()[:20] or None
    source = (params.get("source") or "").strip()[:80] or None
    return AnalyticsFilters(
        start=start,
        end=end,
        team_id=_int(params.get("team")),
        user_id=_int(params.get("user")),
        country=country,
        source=source,
        zone=zone,
    )


def people_q(actor: Actor, prefix: str = "") -> Q:
    """Return the filter on users (via PREFIX, e.g. "responder__") whose numbers ACTOR may see.

    Per-person numbers follow the role's data scope: all people for a company-wide
    scope, the people of the actor's teams for a team scope, only the actor for
    an own scope. Temporary grants widen what accounts one sees, not whose
    numbers.
    """
    r = reach(actor)
    if r.everything or r.team_ids is None:
        return Q() if r.user_id is not None or r.everything else Q(**{f"{prefix}pk__in": []})
    pk = f"{prefix}pk" if prefix else "pk"
    if r.user_id is None:
        return Q(**{f"{pk}__in": []})
    mine = Q(**{pk: r.user_id})
    if r.team_ids:
        return mine | Q(**{f"{prefix}team_id__in": list(r.team_ids)})
    return mine
