"""What the dashboard's filter bar offers a viewer, and the words for a chosen filter.

The team and person lists hold only the people whose numbers the viewer may see
(`filters.people_q`) and their teams; the sources only those of visible accounts.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _

from keyou.analytics.filters import AnalyticsFilters, people_q
from keyou.crm.models import Account
from keyou.people.access import Actor, scope_q
from keyou.people.models import Team, User

MAX_SOURCES = 100


@dataclass
class FilterOptions:
    teams: list[Team]
    people: list[User]
    sources: list[str]


def filter_options(actor: Actor) -> FilterOptions:
    """Return the teams, people and account sources ACTOR may filter the dashboard by."""
    people = list(User.objects.filter(people_q(actor), is_active=True).order_by("username"))
    team_ids = {u.team_id for u in people if u.team_id}
    teams = list(Team.objects.filter(pk__in=team_ids).order_by("name"))
    sources = list(
        Account.objects.filter(scope_q(actor))
        .exclude(source="")
        .values_list("source", flat=True)
        .order_by("source")
        .distinct()[:MAX_SOURCES]
    )
    return FilterOptions(teams=teams, people=people, sources=sources)


def filter_summary(filters: AnalyticsFilters, options: FilterOptions) -> list[tuple[str, str]]:
    """Return FILTERS as (label, value) pairs for a heading, names taken from OPTIONS."""
    out = [(_("Period"), f"{filters.start.isoformat()} – {filters.end.isoformat()}")]
    teams = {t.pk: t.name for t in options.teams}
    people = {u.pk: str(u) for u in options.people}
    if filters.team_id:
        out.append((_("Team"), teams.get(filters.team_id, f"#{filters.team_id}")))
    if filters.user_id:
        out.append((_("Person"), people.get(filters.user_id, f"#{filters.user_id}")))
    if filters.country:
        out.append((_("Country or region"), filters.country))
    if filters.source:
        out.append((_("Source"), filters.source))
    return out
