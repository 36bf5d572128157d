"""Working time: business hours, holidays and make-up days, and the math of SLA clocks.

`WorkingTime` is pure: it answers "when have N working minutes passed after this
moment?" and "how many working minutes lie between these two moments?" in a
calendar's own time zone, so lunch breaks, evenings, weekends, public holidays,
make-up working days (调休) and daylight-saving changes all count right. Minutes
are real elapsed minutes: a working day that loses an hour to DST is an hour
shorter.

`working_time_for_team` and `calendar_for_team` find the calendar a team's clocks
run on: its own, else the nearest parent team's, else the organisation default,
else the built-in Monday-Friday 09:00-12:00, 13:30-18:00.

The text the web form and the CLI show (periods, days, holiday lines) is read and
written by `keyou.automation.hours_text`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any, Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.utils.translation import gettext_noop

from keyou.errors import UserFixableError

if TYPE_CHECKING:
    from keyou.automation.models import BusinessCalendar

DEFAULT_WORKDAYS: Final = (0, 1, 2, 3, 4)  # Monday..Friday
DEFAULT_PERIODS: Final = (("09:00", "12:00"), ("13:30", "18:00"))
# add() gives up when this many days hold too few working minutes (a calendar whose
# only working days are a few make-up dates runs out of them).
SEARCH_DAYS: Final = 3 * 366
_DAY = timedelta(days=1)
_CACHE_DAYS = 2048


class InvalidHours(UserFixableError):
    """Business hours, working days or holidays the user can fix; the message says how."""


# --- Parsing single values --------------------------------------------------------------


_CLOCK = re.compile(r"^(\d{1,2}):(\d{2})$")


def clock_minutes(text: str, *, end: bool = False) -> int:
    """Return "HH:MM" as minutes after midnight; "24:00" is allowed as the END of a period."""
    match = _CLOCK.match(str(text).strip())
    if match:
        hours, minutes = int(match.group(1)), int(match.group(2))
        if minutes < 60 and (hours < 24 or (end and hours == 24 and minutes == 0)):
            return hours * 60 + minutes
    raise InvalidHours(gettext_noop("%(time)s is not a time of day (HH:MM)"), time=repr(text))


def _clock_text(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def zone_get(name: str) -> ZoneInfo:
    """Return the time zone NAME (e.g. Asia/Shanghai), or raise InvalidHours."""
    try:
        if not name or not str(name).strip():
            raise ValueError(name)
        return ZoneInfo(str(name).strip())
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidHours(gettext_noop("unknown time zone %(tz)s"), tz=repr(name)) from None


def _as_date(value: date | str) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise InvalidHours(
            gettext_noop("%(day)s is not a date (YYYY-MM-DD)"), day=repr(value)
        ) from None


def periods_clean(periods: Iterable[Sequence[str]]) -> list[list[str]]:
    """Return PERIODS (["09:00", "12:00"] pairs) checked, sorted and written as HH:MM.

    Raise InvalidHours when a time is malformed, a period ends before it starts,
    periods overlap, or there are none.
    """
    spans: list[tuple[int, int]] = []
    for period in periods:
        if isinstance(period, str) or len(period) != 2:
            raise InvalidHours(
                gettext_noop("%(period)s is not a period: give a start and an end"),
                period=repr(period),
            )
        start, end = clock_minutes(period[0]), clock_minutes(period[1], end=True)
        if end <= start:
            raise InvalidHours(
                gettext_noop("the period %(start)s-%(end)s ends before it starts"),
                start=_clock_text(start),
                end=_clock_text(end),
            )
        spans.append((start, end))
    if not spans:
        raise InvalidHours(gettext_noop("give at least one period of working hours"))
    spans.sort()
    for (s1, e1), (s2, e2) in zip(spans, spans[1:], strict=False):
        if s2 < e1:
            raise InvalidHours(
                gettext_noop("the periods %(first)s and %(second)s overlap"),
                first=f"{_clock_text(s1)}-{_clock_text(e1)}",
                second=f"{_clock_text(s2)}-{_clock_text(e2)}",
            )
    return [[_clock_text(s), _clock_text(e)] for s, e in spans]


def workdays_clean(days: Iterable[int | str]) -> list[int]:
    """Return DAYS (0 = Monday .. 6 = Sunday) checked, sorted and without repeats."""
    out: set[int] = set()
    for day in days:
        try:
            number = int(day)
        except (TypeError, ValueError):
            number = -1
        if not 0 <= number <= 6:
            raise InvalidHours(
                gettext_noop("%(day)s is not a day of the week (0 = Monday .. 6 = Sunday)"),
                day=repr(day),
            )
        out.add(number)
    return sorted(out)


# --- Holidays as stored: {"2026": {"off": [...], "work": [...]}} ---------------


def holidays_group(kinds: Mapping[date, str]) -> dict[str, dict[str, list[str]]]:
    """Return {day: "off" | "work"} as the stored shape, one sorted list per year and kind."""
    out: dict[str, dict[str, list[str]]] = {}
    for day in sorted(kinds):
        year = out.setdefault(str(day.year), {"off": [], "work": []})
        year[kinds[day]].append(day.isoformat())
    return out


def holiday_dates(holidays: Mapping[str, Any]) -> tuple[set[date], set[date]]:
    """Return the off dates and the make-up working dates of stored HOLIDAYS (any year)."""
    off: set[date] = set()
    work: set[date] = set()
    if not isinstance(holidays, Mapping):
        raise InvalidHours(gettext_noop("holidays must be a list per year"))
    for year, lists in holidays.items():
        if not isinstance(lists, Mapping):
            raise InvalidHours(
                gettext_noop("the holidays of %(year)s must hold off and work lists"),
                year=repr(year),
            )
        for kind, into in (("off", off), ("work", work)):
            days = lists.get(kind) or []
            if isinstance(days, str) or not isinstance(days, Sequence):
                raise InvalidHours(
                    gettext_noop("the %(kind)s days of %(year)s must be a list of dates"),
                    kind=kind,
                    year=repr(year),
                )
            into.update(_as_date(d) for d in days)
    return off, work


def holidays_clean(holidays: Mapping[str, Any]) -> dict[str, dict[str, list[str]]]:
    """Return stored-shape HOLIDAYS checked, regrouped by the dates' own years and sorted."""
    off, work = holiday_dates(holidays or {})
    both = sorted(off & work)
    if both:
        raise InvalidHours(
            gettext_noop("%(day)s cannot be both a day off and a make-up working day"),
            day=both[0].isoformat(),
        )
    return holidays_group({**{d: "off" for d in off}, **{d: "work" for d in work}})


def holidays_merge(
    holidays: Mapping[str, Any], added: Mapping[str, Any]
) -> dict[str, dict[str, list[str]]]:
    """Return HOLIDAYS with the days of ADDED put in; a day listed in ADDED takes its new kind."""
    off, work = holiday_dates(holidays or {})
    new_off, new_work = holiday_dates(added or {})
    kinds = {d: "off" for d in off - new_work}
    kinds.update({d: "work" for d in work - new_off})
    kinds.update({d: "off" for d in new_off})
    kinds.update({d: "work" for d in new_work})
    return holidays_group(kinds)


# --- The calculator -----------------------------------------------------------------------


class WorkingTime:
    """The working time of one calendar, and the arithmetic of working minutes.

    Immutable. Every method takes aware datetimes and returns aware UTC ones. A
    date in OFF is never a working day; a date in WORK (a make-up working day) is
    one whatever its weekday, with the usual PERIODS; OFF wins if a date is in
    both. Raise InvalidHours (a ValueError) on a calendar without any working
    time, an unknown zone or malformed periods.
    """

    __slots__ = ("time_zone", "zone", "workdays", "periods", "off", "work", "_days")

    time_zone: str
    zone: ZoneInfo
    workdays: frozenset[int]
    periods: tuple[tuple[int, int], ...]  # minutes after local midnight, sorted
    off: frozenset[date]
    work: frozenset[date]

    def __init__(
        self,
        time_zone: str = "Asia/Shanghai",
        workdays: Iterable[int] = DEFAULT_WORKDAYS,
        periods: Iterable[Sequence[str]] = DEFAULT_PERIODS,
        *,
        off: Iterable[date | str] = (),
        work: Iterable[date | str] = (),
    ) -> None:
        cleaned = periods_clean(periods)
        days = frozenset(workdays_clean(workdays))
        work_days = frozenset(_as_date(d) for d in work)
        if not days and not work_days:
            raise InvalidHours(gettext_noop("choose at least one working day"))
        values = {
            "time_zone": str(time_zone).strip(),
            "zone": zone_get(time_zone),
            "workdays": days,
            "periods": tuple((clock_minutes(s), clock_minutes(e, end=True)) for s, e in cleaned),
            "off": frozenset(_as_date(d) for d in off),
            "work": work_days,
            "_days": {},
        }
        for name, value in values.items():
            object.__setattr__(self, name, value)

    @classmethod
    def from_calendar(cls, calendar: BusinessCalendar) -> WorkingTime:
        """Return the working time of CALENDAR (a BusinessCalendar row, saved or not)."""
        off, work = holiday_dates(calendar.holidays or {})
        return cls(
            calendar.time_zone,
            calendar.workdays or [],
            calendar.periods or [],
            off=off,
            work=work,
        )

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("WorkingTime is immutable")

    def _key(self) -> tuple:
        return (self.time_zone, self.workdays, self.periods, self.off, self.work)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, WorkingTime) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        periods = ", ".join(f"{_clock_text(s)}-{_clock_text(e)}" for s, e in self.periods)
        return (
            f"WorkingTime({self.time_zone!r}, days {sorted(self.workdays)}, {periods}, "
            f"{len(self.off)} off, {len(self.work)} make-up)"
        )

    # --- Days --------------------------------------------------------------------

    def is_working_day(self, day: date) -> bool:
        """Return True when DAY (a date in the calendar's zone) has working hours."""
        if day in self.off:
            return False
        return day in self.work or day.weekday() in self.workdays

    def day_intervals(self, day: date) -> tuple[tuple[datetime, datetime], ...]:
        """Return DAY's working periods as (start, end) UTC datetimes, end exclusive."""
        cached = self._days.get(day)
        if cached is not None:
            return cached
        spans: list[tuple[datetime, datetime]] = []
        if self.is_working_day(day):
            for start, end in self.periods:
                s, e = self._local(day, start), self._local(day, end)
                if e > s:  # a period lost entirely in a DST gap
                    spans.append((s, e))
        if len(self._days) >= _CACHE_DAYS:
            self._days.clear()
        self._days[day] = result = tuple(spans)
        return result

    def _local(self, day: date, minutes: int) -> datetime:
        day, minutes = day + timedelta(days=minutes // 1440), minutes % 1440
        # Wall-clock times in the zone; a time in a DST gap takes the earlier offset.
        local = datetime(
            day.year, day.month, day.day, minutes // 60, minutes % 60, tzinfo=self.zone
        )
        return local.astimezone(UTC)

    def _local_date(self, moment: datetime) -> date:
        return moment.astimezone(self.zone).date()

    # --- Moments and durations -------------------------------------------------------

    def is_working(self, at: datetime) -> bool:
        """Return True when AT falls inside working hours."""
        moment = _utc(at)
        return any(s <= moment < e for s, e in self.day_intervals(self._local_date(moment)))

    def next_working(self, at: datetime) -> datetime:
        """Return AT if it is working time, else the next moment that is (in UTC)."""
        return self.add(at, 0)

    def add(self, start: datetime, minutes: int) -> datetime:
        """Return the moment MINUTES working minutes after START (in UTC).

        Outside working time the count starts at the next working moment, so
        `add(x, 0)` is the next working moment at or after X. A count that ends
        exactly at the end of a period returns that end (12:00, not 13:30).
        Raise InvalidHours when ~3 years hold too little working time.
        """
        if minutes < 0:
            raise ValueError("minutes must not be negative")
        cursor = _utc(start)
        left = timedelta(minutes=minutes)
        day = self._local_date(cursor)
        for _ in range(SEARCH_DAYS):
            for s, e in self.day_intervals(day):
                if e <= cursor:
                    continue
                s = max(s, cursor)
                if left <= e - s:
                    return s + left
                left -= e - s
            day += _DAY
        raise InvalidHours(
            gettext_noop("these business hours have no working time left within %(years)d years"),
            years=SEARCH_DAYS // 366,
        )

    def minutes_between(self, start: datetime, end: datetime) -> int:
        """Return the whole working minutes in [START, END); 0 if END is not after START."""
        a, b = _utc(start), _utc(end)
        if b <= a:
            return 0
        total = timedelta()
        day, last = self._local_date(a), self._local_date(b)
        while day <= last:
            for s, e in self.day_intervals(day):
                lo, hi = max(s, a), min(e, b)
                if hi > lo:
                    total += hi - lo
            day += _DAY
        return int(total.total_seconds() // 60)


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("working time needs an aware datetime")
    return moment.astimezone(UTC)


# --- The calendar of a team ---------------------------------------------------------------


def calendar_inherited(
    by_team: Mapping[int | None, BusinessCalendar],
    parents: Mapping[int, int | None],
    team_id: int | None,
) -> BusinessCalendar | None:
    """Return TEAM_ID's calendar in BY_TEAM, else its nearest parent's, else the default.

    BY_TEAM maps team ids (None: the organisation default) to calendars, PARENTS team
    ids to their parent's. Return None when no calendar applies.
    """
    seen: set[int] = set()
    current = team_id
    while current is not None and current not in seen:
        if current in by_team:
            return by_team[current]
        seen.add(current)
        current = parents.get(current)
    return by_team.get(None)


def calendar_for_team(team_id: int | None) -> BusinessCalendar:
    """Return the calendar TEAM_ID's clocks run on (an unsaved default if none applies).

    The team's own, else the nearest parent team's, else the organisation default
    (the row without a team), else Monday-Friday 09:00-12:00, 13:30-18:00 in the
    organisation's time zone.
    """
    from keyou.automation.models import BusinessCalendar
    from keyou.people.models import Organization, Team

    by_team = {c.team_id: c for c in BusinessCalendar.objects.all()}
    parents: dict[int, int | None] = {}
    if team_id is not None and any(key is not None for key in by_team):
        parents = dict(Team.objects.values_list("pk", "parent_id"))
    found = calendar_inherited(by_team, parents, team_id)
    if found is not None:
        return found
    return BusinessCalendar(
        name="Default",
        time_zone=Organization.get().time_zone,
        workdays=list(DEFAULT_WORKDAYS),
        periods=[list(p) for p in DEFAULT_PERIODS],
        holidays={},
    )


def working_time_for_team(team_id: int | None) -> WorkingTime:
    """Return the working time TEAM_ID's clocks run on (see `calendar_for_team`)."""
    return WorkingTime.from_calendar(calendar_for_team(team_id))
