"""Business hours as text, for the web form and the CLI.

Periods are "09:00-12:00, 13:30-18:00"; working days "mon-fri" or "1-5" (1 =
Monday .. 7 = Sunday, as people count); holidays one line per day or range:

    2026-10-01..2026-10-07 off   # National Day
    2026-10-10 work              # make-up working Saturday (调休)

Every parser raises `InvalidHours` saying what to write instead (and, for
holiday lines, on which line).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, timedelta
from typing import Any, Final

from django.utils.translation import gettext_noop

from keyou.automation.sla import (
    InvalidHours,
    holiday_dates,
    holidays_group,
    periods_clean,
)

_DAY = timedelta(days=1)
_DAY_NAMES: Final = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# A holiday range longer than this is a typo (2026-10-01..2027-10-07), not a holiday.
MAX_RANGE_DAYS: Final = 366


_PERIOD = re.compile(r"^(\d{1,2}:\d{2})\s*(?:-|–|—|~|to)\s*(\d{1,2}:\d{2})$")


def periods_parse(text: str) -> list[list[str]]:
    """Return "09:00-12:00, 13:30-18:00" as [["09:00", "12:00"], ["13:30", "18:00"]], checked."""
    pairs = []
    for part in re.split(r"[,;，；\n]+", text or ""):
        part = part.strip()
        if not part:
            continue
        match = _PERIOD.match(part.replace("：", ":"))
        if not match:
            raise InvalidHours(
                gettext_noop("%(period)s is not a period; write it as 09:00-12:00"),
                period=repr(part),
            )
        pairs.append([match.group(1), match.group(2)])
    return periods_clean(pairs)


def periods_format(periods: Iterable[Sequence[str]]) -> str:
    """Return PERIODS as the text `periods_parse` reads: "09:00-12:00, 13:30-18:00"."""
    return ", ".join(f"{start}-{end}" for start, end in periods)


def workdays_parse(text: str) -> list[int]:
    """Return "mon-fri", "mon,wed,sat" or "1-5" / "1,2,3" (1 = Monday .. 7 = Sunday) as 0..6."""
    days: set[int] = set()
    for part in re.split(r"[,;，\s]+", (text or "").strip().lower()):
        if not part:
            continue
        ends = part.split("-")
        if len(ends) > 2:
            ends = []
        numbers = [_day_number(end) for end in ends]
        if not numbers or None in numbers:
            raise InvalidHours(
                gettext_noop(
                    "%(days)s is not a day or range of days: use mon-fri, sat or 1-5 "
                    "(1 = Monday .. 7 = Sunday)"
                ),
                days=repr(part),
            )
        first, last = numbers[0], numbers[-1]
        span = range(first, last + 1) if first <= last else [*range(first, 7), *range(last + 1)]
        days.update(span)  # a range may wrap around the week: sat-mon
    if not days:
        raise InvalidHours(gettext_noop("choose at least one working day"))
    return sorted(days)


def _day_number(text: str) -> int | None:
    text = text.strip()
    if text[:3] in _DAY_NAMES and _is_day_name(text):
        return _DAY_NAMES.index(text[:3])
    if text.isdigit() and 1 <= int(text) <= 7:
        return int(text) - 1
    return None


def _is_day_name(text: str) -> bool:
    full = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
    return any(name.startswith(text) for name in full) and len(text) >= 3


def workdays_format(days: Iterable[int]) -> str:
    """Return DAYS (0..6) as short text: "mon-fri", "mon-fri,sun", "" for none."""
    wanted = sorted(set(days))
    runs: list[list[int]] = []
    for day in wanted:
        if runs and runs[-1][-1] == day - 1:
            runs[-1].append(day)
        else:
            runs.append([day])
    parts = []
    for run in runs:
        if len(run) >= 3:
            parts.append(f"{_DAY_NAMES[run[0]]}-{_DAY_NAMES[run[-1]]}")
        else:
            parts.extend(_DAY_NAMES[d] for d in run)
    return ",".join(parts)


_HOLIDAY_LINE = re.compile(
    r"^(?P<first>\d{4}-\d{1,2}-\d{1,2})"
    r"(?:\s*(?:\.\.|~|到|至)\s*(?P<last>\d{4}-\d{1,2}-\d{1,2}))?"
    r"\s+(?P<kind>\S+)$"
)
_KINDS: Final = {"off": "off", "休": "off", "holiday": "off", "work": "work", "班": "work"}


def holidays_parse(text: str) -> dict[str, dict[str, list[str]]]:
    """Return holiday lines as {"2026": {"off": [...], "work": [...]}}, grouped per year.

    One line per day or range: `2026-10-01..2026-10-07 off`, `2026-10-10 work` (a
    make-up working day); `休` and `班` work too; text after `#` is a comment.
    Raise InvalidHours naming the line number of the first line that is wrong.
    """
    kinds: dict[date, tuple[str, int]] = {}
    for number, raw in enumerate((text or "").splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        match = _HOLIDAY_LINE.match(line)
        kind = _KINDS.get(match.group("kind").lower()) if match else None
        if not match or kind is None:
            raise InvalidHours(
                gettext_noop(
                    "line %(line)d: %(text)s is not a holiday line; write "
                    "2026-10-01..2026-10-07 off or 2026-10-10 work"
                ),
                line=number,
                text=repr(raw.strip()),
            )
        first = _line_date(match.group("first"), number)
        last = _line_date(match.group("last"), number) if match.group("last") else first
        if last < first:
            raise InvalidHours(
                gettext_noop("line %(line)d: the range ends before it starts"), line=number
            )
        if (last - first).days >= MAX_RANGE_DAYS:
            raise InvalidHours(
                gettext_noop("line %(line)d: a range of more than a year is surely a typo"),
                line=number,
            )
        day = first
        while day <= last:
            seen = kinds.get(day)
            if seen is not None and seen[0] != kind:
                raise InvalidHours(
                    gettext_noop(
                        "line %(line)d: %(day)s is already listed as %(other)s on line %(first)d"
                    ),
                    line=number,
                    day=day.isoformat(),
                    other=seen[0],
                    first=seen[1],
                )
            kinds.setdefault(day, (kind, number))
            day += _DAY
    return holidays_group({day: kind for day, (kind, _line) in kinds.items()})


def _line_date(text: str, number: int) -> date:
    try:
        year, month, day = (int(part) for part in text.split("-"))
        return date(year, month, day)
    except ValueError:
        raise InvalidHours(
            gettext_noop("line %(line)d: %(day)s is not a date"), line=number, day=repr(text)
        ) from None


def holidays_format(holidays: Mapping[str, Any]) -> str:
    """Return stored HOLIDAYS as the lines `holidays_parse` reads, runs of days as ranges."""
    off, work = holiday_dates(holidays or {})
    kinds = {**{d: "off" for d in off}, **{d: "work" for d in work}}
    lines: list[str] = []
    days = sorted(kinds)
    i = 0
    while i < len(days):
        j = i
        while (
            j + 1 < len(days)
            and days[j + 1] - days[j] == _DAY
            and kinds[days[j + 1]] == kinds[days[i]]
        ):
            j += 1
        span = days[i].isoformat() if i == j else f"{days[i]}..{days[j]}"
        lines.append(f"{span} {kinds[days[i]]}")
        i = j + 1
    return "\n".join(lines)
