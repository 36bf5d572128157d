"""Changes to business hours: the organisation default and each team's own calendar.

Saving needs the manage_rules capability (the hours decide when reply SLAs fall
due) and is audited with the fields that changed. The checks live in
`keyou.automation.sla`; they raise `InvalidHours`, which the web form and the CLI
show as they are.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final

from django.db import transaction
from django.utils.translation import gettext_noop

from keyou.audit.models import AuditAction
from keyou.audit.services import audit
from keyou.automation.models import BusinessCalendar
from keyou.automation.sla import (
    InvalidHours,
    WorkingTime,
    calendar_for_team,
    calendar_inherited,
    holidays_clean,
    periods_clean,
    workdays_clean,
    zone_get,
)
from keyou.people.access import Actor, require
from keyou.people.models import Capability, Team
from keyou.people.services import team_find

# A reply target beyond this is a typo: 30 days of round-the-clock minutes.
MAX_REPLY_MINUTES: Final = 30 * 24 * 60
DEFAULT_NAME: Final = "Company"

__all__ = ["InvalidHours", "calendar_delete", "calendar_list", "calendar_save", "team_hours"]


def calendar_list() -> list[BusinessCalendar]:
    """Return every calendar: the organisation default first, then the teams' by team name."""
    rows = list(BusinessCalendar.objects.select_related("team"))
    return sorted(rows, key=lambda c: (c.team_id is not None, c.team.name if c.team else ""))


def team_hours() -> list[tuple[Team, BusinessCalendar | None]]:
    """Return every team with the calendar its clocks run on (None: the built-in hours).

    The same choice as `calendar_for_team`: the team's own, a parent team's, the default.
    """
    calendars = {c.team_id: c for c in BusinessCalendar.objects.select_related("team")}
    teams = list(Team.objects.all())
    parents = {t.pk: t.parent_id for t in teams}
    return [(team, calendar_inherited(calendars, parents, team.pk)) for team in teams]


def _snapshot(calendar: BusinessCalendar | None) -> dict | None:
    if calendar is None:
        return None
    return {
        "name": calendar.name,
        "team": calendar.team.name if calendar.team_id else None,
        "time_zone": calendar.time_zone,
        "workdays": list(calendar.workdays or []),
        "periods": [list(p) for p in calendar.periods or []],
        "holidays": calendar.holidays or {},
        "reply_minutes": calendar.reply_minutes,
        "inquiry_reply_minutes": calendar.inquiry_reply_minutes,
    }


def _minutes(value: Any, message: str) -> int:
    try:
        minutes = int(value)
    except (TypeError, ValueError):
        minutes = 0
    if not 1 <= minutes <= MAX_REPLY_MINUTES:
        raise InvalidHours(message, max=MAX_REPLY_MINUTES)
    return minutes


@transaction.atomic
def calendar_save(
    *,
    actor: Actor,
    calendar: BusinessCalendar | None = None,
    team: Team | str | None = None,
    name: str | None = None,
    time_zone: str | None = None,
    workdays: Iterable[int] | None = None,
    periods: Iterable[Sequence[str]] | None = None,
    holidays: Mapping[str, Any] | None = None,
    reply_minutes: int | None = None,
    inquiry_reply_minutes: int | None = None,
) -> BusinessCalendar:
    """Create business hours for TEAM (None: the organisation default) or change CALENDAR.

    A value left None keeps the calendar's own (for a new calendar: the hours the
    team runs on today, inherited or built in). A team has at most one calendar,
    and there is one organisation default. Raise InvalidHours on an unknown time
    zone, malformed or overlapping periods, no working day, or bad holidays.
    """
    require(actor, Capability.MANAGE_RULES)
    team_obj = team_find(team) if isinstance(team, str) else team
    team_id = team_obj.pk if team_obj is not None else None
    taken = BusinessCalendar.objects.select_for_update().filter(team_id=team_id)
    if calendar is not None:
        taken = taken.exclude(pk=calendar.pk)
    if taken.exists():
        if team_obj is not None:
            raise InvalidHours(
                gettext_noop("the team %(team)s already has business hours"),
                team=repr(team_obj.name),
            )
        raise InvalidHours(gettext_noop("the company already has default business hours"))
    before = _snapshot(calendar)
    if calendar is None:
        start = calendar_for_team(team_id)  # a new calendar starts from what applies today
        calendar = BusinessCalendar(
            time_zone=start.time_zone,
            workdays=list(start.workdays or []),
            periods=[list(p) for p in start.periods or []],
            holidays=dict(start.holidays or {}),
            reply_minutes=start.reply_minutes,
            inquiry_reply_minutes=start.inquiry_reply_minutes,
        )
    calendar.team = team_obj
    if name is not None or not calendar.name:
        fallback = team_obj.name if team_obj is not None else DEFAULT_NAME
        calendar.name = (" ".join((name or "").split()) or fallback)[:120]
    if time_zone is not None:
        zone_get(time_zone)
        calendar.time_zone = time_zone.strip()
    if workdays is not None:
        calendar.workdays = workdays_clean(workdays)
    if periods is not None:
        calendar.periods = periods_clean(periods)
    if holidays is not None:
        calendar.holidays = holidays_clean(holidays)
    if reply_minutes is not None:
        calendar.reply_minutes = _minutes(
            reply_minutes, gettext_noop("reply within 1 to %(max)d working minutes")
        )
    if inquiry_reply_minutes is not None:
        calendar.inquiry_reply_minutes = _minutes(
            inquiry_reply_minutes,
            gettext_noop("answer inquiries within 1 to %(max)d working minutes"),
        )
    if not calendar.workdays:  # make-up dates alone would run out: the clocks would stop
        raise InvalidHours(gettext_noop("choose at least one working day"))
    WorkingTime.from_calendar(calendar)  # the whole, as the clocks will read it
    calendar.save()
    after = _snapshot(calendar)
    if before is None:
        audit(actor, AuditAction.CREATE, obj=calendar, data={"before": None, "after": after})
    else:
        keys = [k for k in after if before.get(k) != after[k]]
        if keys:
            data = {
                "before": {k: before.get(k) for k in keys},
                "after": {k: after[k] for k in keys},
            }
            audit(actor, AuditAction.CHANGE, obj=calendar, data=data)
    return calendar


@transaction.atomic
def calendar_delete(*, actor: Actor, calendar: BusinessCalendar) -> None:
    """Delete CALENDAR: its team falls back to a parent team's hours or the default."""
    require(actor, Capability.MANAGE_RULES)
    pk, before = calendar.pk, _snapshot(calendar)
    calendar.delete()
    audit(
        actor,
        AuditAction.DELETE,
        object_type="businesscalendar",
        object_id=pk,
        data={"before": before, "after": None},
    )
