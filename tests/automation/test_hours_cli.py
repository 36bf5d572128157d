"""keyou hours list|set|holidays|delete|due."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime

import pytest
import time_machine
from django.core.management import CommandError, call_command

from keyou.automation.models import BusinessCalendar
from keyou.people.models import Team


def hours(*args: str) -> dict:
    out = io.StringIO()
    call_command("hours", *args, "--json", stdout=out)
    return json.loads(out.getvalue())


def test_set_and_list(db):
    Team.objects.create(name="Europe")
    created = hours("set", "--reply-minutes", "180")
    assert created["team"] is None and created["reply_minutes"] == 180
    assert created["periods"] == "09:00-12:00, 13:30-18:00"  # the built-in hours to start from
    team = hours(
        "set", "--team", "Europe", "--tz", "Europe/Berlin", "--days", "1-4",
        "--periods", "08:00-12:00,13:00-17:00", "--inquiry-minutes", "60",
    )  # fmt: skip
    assert team["team"] == "Europe" and team["workdays"] == "mon-thu"
    assert team["reply_minutes"] == 180  # started from the company default
    assert team["inquiry_reply_minutes"] == 60

    listed = hours("list")["calendars"]
    assert [c["team"] for c in listed] == [None, "Europe"]
    assert listed[1]["time_zone"] == "Europe/Berlin"
    out = io.StringIO()
    call_command("hours", "list", stdout=out)
    assert "Europe (team Europe) · Europe/Berlin · mon-thu · 08:00-12:00, 13:00-17:00" in (
        out.getvalue()
    )

    changed = hours("set", "--team", "Europe", "--days", "mon-fri")
    assert changed["workdays"] == "mon-fri" and changed["time_zone"] == "Europe/Berlin"
    assert BusinessCalendar.objects.count() == 2


def test_list_names_the_built_in_default_when_none_is_saved(db):
    assert hours("list")["builtin_default"]["periods"] == "09:00-12:00, 13:30-18:00"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--tz", "Nowhere/City"], "unknown time zone"),
        (["--days", "0-4"], "1 = Monday"),
        (["--periods", "09:00-12:00,11:00-14:00"], "overlap"),
        (["--team", "Nobody"], "no team 'Nobody'"),
        (["--reply-minutes", "0"], "1 to"),
    ],
)
def test_set_refuses_bad_input(db, args, message):
    with pytest.raises(CommandError, match=message):
        call_command("hours", "set", *args)


def test_holidays_add_file_and_clear(db, tmp_path):
    added = hours("holidays", "--add", "2026-10-01..2026-10-07 off", "--add", "2026-10-10 work")
    assert added["holidays"]["2026"]["work"] == ["2026-10-10"]
    file = tmp_path / "cn-2027.txt"
    file.write_text("# 2027\n2027-01-01 off\n2027-01-04 work\n", encoding="utf-8")
    loaded = hours("holidays", "--file", str(file))
    assert set(loaded["holidays"]) == {"2026", "2027"}  # the file replaced 2027 only
    file.write_text("2027-01-02 off\n", encoding="utf-8")
    assert hours("holidays", "--file", str(file))["holidays"]["2027"] == {
        "off": ["2027-01-02"],
        "work": [],
    }
    assert set(hours("holidays", "--clear-year", "2026")["holidays"]) == {"2027"}

    file.write_text("2027-01-01 off\n2027-01-0 work\n", encoding="utf-8")
    with pytest.raises(CommandError, match="line 2"):
        call_command("hours", "holidays", "--file", str(file))


@time_machine.travel(datetime(2026, 10, 9, 9, 50, tzinfo=UTC), tick=False)  # Friday 17:50 CST
def test_due_counts_working_minutes_from_now(db):
    hours("holidays", "--add", "2026-10-10 work")
    due = hours("due", "30")
    assert due["due"] == "2026-10-10T01:20:00+00:00"  # Saturday 09:20, a make-up working day
    later = hours("due", "30", "--at", "2026-10-10T17:50")
    assert later["due_local"] == "2026-10-12T09:20:00+08:00"


def test_delete(db):
    hours("set", "--name", "HQ")
    assert hours("delete")["deleted"]["name"] == "HQ"
    with pytest.raises(CommandError, match="no business hours of its own"):
        call_command("hours", "delete")
