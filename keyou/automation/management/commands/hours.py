"""keyou hours list|set|holidays|delete|due: business hours that reply deadlines count in.

keyou hours list
keyou hours set [--team NAME] [--name N] [--tz ZONE] [--days mon-fri|1-5|1,2,3]
                [--periods 09:00-12:00,13:30-18:00] [--reply-minutes N] [--inquiry-minutes N]
keyou hours holidays [--team NAME] (--file F | --add LINE ... | --clear-year YEAR)
keyou hours delete [--team NAME]
keyou hours due MINUTES [--team NAME] [--at 2026-10-09T17:00]

Without --team the command works on the company default. Days are numbered as
people count them: 1 = Monday .. 7 = Sunday. A holidays file holds lines such as
`2026-10-01..2026-10-07 off` and `2026-10-10 work` (or the stored JSON); it
replaces the years it names and keeps the others.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from django.utils import timezone

from keyou.automation.calendars import calendar_delete, calendar_list, calendar_save
from keyou.automation.hours_text import (
    holidays_format,
    holidays_parse,
    periods_format,
    periods_parse,
    workdays_format,
    workdays_parse,
)
from keyou.automation.models import BusinessCalendar
from keyou.automation.sla import (
    WorkingTime,
    calendar_for_team,
    holiday_dates,
    holidays_clean,
    holidays_merge,
)
from keyou.clikit import CommandError, JsonCommand
from keyou.clitime import parse_instant
from keyou.errors import UserFixableError
from keyou.people.access import SYSTEM
from keyou.people.models import Team
from keyou.people.services import team_find


def calendar_row(calendar: BusinessCalendar) -> dict:
    return {
        "id": calendar.pk,
        "name": calendar.name,
        "team": calendar.team.name if calendar.team_id else None,
        "time_zone": calendar.time_zone,
        "workdays": workdays_format(calendar.workdays or []),
        "periods": periods_format(calendar.periods or []),
        "holidays": calendar.holidays or {},
        "reply_minutes": calendar.reply_minutes,
        "inquiry_reply_minutes": calendar.inquiry_reply_minutes,
    }


def _line(calendar: BusinessCalendar) -> str:
    who = f"team {calendar.team.name}" if calendar.team_id else "company default"
    off, work = holiday_dates(calendar.holidays or {})
    years = ",".join(sorted(calendar.holidays or {})) or "none"
    return (
        f"{calendar.name} ({who}) · {calendar.time_zone} · "
        f"{workdays_format(calendar.workdays or []) or 'no weekdays'} · "
        f"{periods_format(calendar.periods or [])} · reply {calendar.reply_minutes} min, "
        f"inquiries {calendar.inquiry_reply_minutes} min · holidays {years}: "
        f"{len(off)} off, {len(work)} make-up"
    )


def _read_holidays(path: str) -> dict:
    try:
        text = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise CommandError(f"cannot read {path}: {exc.strerror}") from None
    if text.lstrip().startswith("{"):
        try:
            return holidays_clean(json.loads(text))
        except json.JSONDecodeError as exc:
            raise CommandError(f"{path} is not JSON: {exc}") from None
    return holidays_parse(text)


class Command(JsonCommand):
    help = "Show or change business hours, holidays and make-up working days."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        lst = sub.add_parser("list", help="every calendar, the company default first")
        sett = sub.add_parser("set", help="create or change the hours of the company or a team")
        sett.add_argument("--name", help="a name for the calendar")
        sett.add_argument("--tz", help="time zone, e.g. Asia/Shanghai")
        sett.add_argument("--days", help="working days: mon-fri, mon,wed,fri or 1-5 (1 = Monday)")
        sett.add_argument("--periods", help="working hours: 09:00-12:00,13:30-18:00")
        sett.add_argument("--reply-minutes", type=int, help="reply within N working minutes")
        sett.add_argument(
            "--inquiry-minutes", type=int, help="answer inquiries within N working minutes"
        )
        hol = sub.add_parser("holidays", help="days off and make-up working days, per year")
        what = hol.add_mutually_exclusive_group(required=True)
        what.add_argument("--file", help="holiday lines or JSON ('-' for stdin)")
        what.add_argument(
            "--add", action="append", help='a line, e.g. "2026-10-01..2026-10-07 off"'
        )
        what.add_argument("--clear-year", help="forget the holidays of one year")
        delete = sub.add_parser("delete", help="delete a team's hours (or the company default)")
        due = sub.add_parser("due", help="when MINUTES working minutes after --at have passed")
        due.add_argument("minutes", type=int)
        due.add_argument("--at", help="start (ISO 8601; default: now)")
        for p in (lst, sett, hol, delete, due):
            p.add_argument("--json", action="store_true")
        for p in (sett, hol, delete, due):
            p.add_argument("--team", help="the team (default: the company)")

    def handle(self, *args, **options):
        try:
            getattr(self, f"_{options['action']}")(options)
        except UserFixableError as exc:
            raise CommandError(str(exc)) from None

    def _team(self, options) -> Team | None:
        return team_find(options["team"]) if options.get("team") else None

    def _list(self, options):
        calendars = calendar_list()
        data = {"calendars": [calendar_row(c) for c in calendars]}
        lines = [_line(c) for c in calendars]
        if not any(c.team_id is None for c in calendars):
            builtin = calendar_for_team(None)
            data["builtin_default"] = calendar_row(builtin)
            lines.append("built-in default: " + _line(builtin))
        self.emit(options, data, "\n".join(lines))

    def _set(self, options):
        team = self._team(options)
        changes = {
            "name": options["name"],
            "time_zone": options["tz"],
            "workdays": workdays_parse(options["days"]) if options["days"] is not None else None,
            "periods": periods_parse(options["periods"])
            if options["periods"] is not None
            else None,
            "reply_minutes": options["reply_minutes"],
            "inquiry_reply_minutes": options["inquiry_minutes"],
        }
        existing = BusinessCalendar.objects.filter(team=team).first()
        if existing is not None and all(v is None for v in changes.values()):
            raise CommandError(
                "nothing to change: give --name, --tz, --days, --periods, --reply-minutes "
                "or --inquiry-minutes"
            )
        calendar = calendar_save(actor=SYSTEM, calendar=existing, team=team, **changes)
        verb = "changed" if existing is not None else "created"
        self.emit(options, calendar_row(calendar), f"{verb}: {_line(calendar)}")

    def _holidays(self, options):
        team = self._team(options)
        existing = BusinessCalendar.objects.filter(team=team).first()
        current = (existing or calendar_for_team(team.pk if team else None)).holidays or {}
        if options["file"]:
            loaded = _read_holidays(options["file"])
            if not loaded:
                raise CommandError(f"{options['file']} lists no holidays")
            holidays = {y: v for y, v in current.items() if y not in loaded} | loaded
        elif options["add"]:
            holidays = holidays_merge(current, holidays_parse("\n".join(options["add"])))
        else:
            year = options["clear_year"].strip()
            if year not in current:
                raise CommandError(f"no holidays are listed for {year}")
            holidays = {y: v for y, v in current.items() if y != year}
        calendar = calendar_save(actor=SYSTEM, calendar=existing, team=team, holidays=holidays)
        text = holidays_format(calendar.holidays) or "no holidays"
        self.emit(options, calendar_row(calendar), f"{calendar.name}:\n{text}")

    def _delete(self, options):
        team = self._team(options)
        calendar = BusinessCalendar.objects.filter(team=team).first()
        if calendar is None:
            where = f"team {team.name}" if team else "the company"
            raise CommandError(f"{where} has no business hours of its own")
        calendar_delete(actor=SYSTEM, calendar=calendar)
        self.emit(options, {"deleted": calendar_row(calendar)}, f"deleted {calendar.name}")

    def _due(self, options):
        team = self._team(options)
        calendar = calendar_for_team(team.pk if team else None)
        start = parse_instant(options["at"]) if options["at"] else timezone.now()
        hours = WorkingTime.from_calendar(calendar)
        due = hours.add(start, options["minutes"])
        local = timezone.localtime(due, hours.zone)
        data = {"calendar": calendar.name, "start": start, "due": due, "due_local": local}
        self.emit(options, data, f"due {local:%Y-%m-%d %H:%M %Z} ({calendar.name})")
