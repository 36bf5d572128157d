"""Working-time math (pure), the holiday and hours text, and which calendar a team runs on."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

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
    InvalidHours,
    WorkingTime,
    calendar_for_team,
    holidays_clean,
    holidays_merge,
    working_time_for_team,
)
from keyou.people.models import Organization, Team

SHANGHAI = ZoneInfo("Asia/Shanghai")
BERLIN = ZoneInfo("Europe/Berlin")

# National Day 2026: 1-7 October off, Saturday 10 October a make-up working day.
NATIONAL_DAY = holidays_parse(
    """
    2026-10-01..2026-10-07 off   # National Day
    2026-10-10 work              # make-up working Saturday
    """
)


def shanghai(*args: int) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


def berlin(*args: int) -> datetime:
    return datetime(*args, tzinfo=BERLIN)


@pytest.fixture
def hours() -> WorkingTime:
    """Monday-Friday 09:00-12:00 and 13:30-18:00 in Shanghai, with National Day 2026."""
    off, work = NATIONAL_DAY["2026"]["off"], NATIONAL_DAY["2026"]["work"]
    return WorkingTime("Asia/Shanghai", off=off, work=work)


# --- Due times -------------------------------------------------------------------------


def test_due_time_skips_the_lunch_break(hours):
    # 10 minutes before lunch, 20 after it.
    due = hours.add(shanghai(2026, 3, 2, 11, 50), 30)
    assert due == shanghai(2026, 3, 2, 13, 50)
    assert due.tzinfo == UTC


def test_due_time_carries_over_the_evening(hours):
    assert hours.add(shanghai(2026, 3, 2, 17, 50), 30) == shanghai(2026, 3, 3, 9, 20)


def test_due_time_carries_over_the_weekend(hours):
    assert hours.add(shanghai(2026, 3, 6, 17, 45), 30) == shanghai(2026, 3, 9, 9, 15)


def test_counting_starts_at_the_next_working_moment(hours):
    saturday = shanghai(2026, 3, 7, 10, 0)
    assert hours.add(saturday, 30) == shanghai(2026, 3, 9, 9, 30)
    assert hours.add(shanghai(2026, 3, 2, 12, 30), 30) == shanghai(2026, 3, 2, 14, 0)
    assert hours.add(shanghai(2026, 3, 2, 6, 0), 240) == shanghai(2026, 3, 2, 14, 30)


def test_a_count_ending_with_a_period_ends_there_not_after_the_break(hours):
    assert hours.add(shanghai(2026, 3, 2, 11, 30), 30) == shanghai(2026, 3, 2, 12, 0)
    assert hours.add(shanghai(2026, 3, 2, 9, 0), 450) == shanghai(2026, 3, 2, 18, 0)


def test_add_zero_is_the_next_working_moment(hours):
    assert hours.add(shanghai(2026, 3, 2, 11, 59), 0) == shanghai(2026, 3, 2, 11, 59)
    assert hours.add(shanghai(2026, 3, 2, 12, 0), 0) == shanghai(2026, 3, 2, 13, 30)
    assert hours.next_working(shanghai(2026, 3, 6, 18, 0)) == shanghai(2026, 3, 9, 9, 0)


def test_a_chinese_holiday_is_not_working_time(hours):
    # Wednesday 30 September, late: National Day (Thursday 1 - Wednesday 7) is skipped.
    assert hours.add(shanghai(2026, 9, 30, 17, 50), 30) == shanghai(2026, 10, 8, 9, 20)
    assert not hours.is_working(shanghai(2026, 10, 5, 10, 0))  # a Monday, but a holiday


def test_a_make_up_saturday_is_a_working_day(hours):
    # Friday 9 October, late: Saturday the 10th is a make-up working day (调休).
    assert hours.add(shanghai(2026, 10, 9, 17, 50), 30) == shanghai(2026, 10, 10, 9, 20)
    assert hours.is_working(shanghai(2026, 10, 10, 14, 0))
    assert not hours.is_working(shanghai(2026, 10, 10, 12, 30))  # the usual lunch break
    assert not hours.is_working(shanghai(2026, 10, 17, 10, 0))  # an ordinary Saturday


def test_an_off_date_wins_over_a_working_weekday_and_a_make_up_date():
    both = WorkingTime(off=["2026-03-02"], work=["2026-03-02"])
    assert not both.is_working(shanghai(2026, 3, 2, 10, 0))


def test_dst_spring_forward_in_berlin():
    hours = WorkingTime("Europe/Berlin")
    # Friday 27 March 17:30 CET; the clocks go forward on Sunday the 29th.
    due = hours.add(berlin(2026, 3, 27, 17, 30), 60)
    assert due == berlin(2026, 3, 30, 9, 30)
    assert due == datetime(2026, 3, 30, 7, 30, tzinfo=UTC)  # CEST, not CET


def test_dst_fall_back_in_berlin():
    hours = WorkingTime("Europe/Berlin")
    due = hours.add(berlin(2026, 10, 23, 17, 30), 60)
    assert due == datetime(2026, 10, 26, 8, 30, tzinfo=UTC)  # Monday 09:30 CET


def test_a_dst_day_has_its_real_length():
    always = WorkingTime("Europe/Berlin", range(7), [["00:00", "24:00"]])
    spring = always.minutes_between(berlin(2026, 3, 29), berlin(2026, 3, 30))
    autumn = always.minutes_between(berlin(2026, 10, 25), berlin(2026, 10, 26))
    assert (spring, autumn) == (23 * 60, 25 * 60)


# --- Working minutes between two moments -----------------------------------------------------


def test_minutes_between_across_a_weekend(hours):
    # Friday 17:00-18:00 and Monday 09:00-10:00.
    assert hours.minutes_between(shanghai(2026, 3, 6, 17, 0), shanghai(2026, 3, 9, 10, 0)) == 120


def test_minutes_between_across_lunch_and_in_another_zone(hours):
    start, end = shanghai(2026, 3, 2, 11, 0), shanghai(2026, 3, 2, 14, 0)
    assert hours.minutes_between(start, end) == 90
    assert hours.minutes_between(start.astimezone(UTC), end.astimezone(BERLIN)) == 90


def test_minutes_between_is_zero_backwards_and_outside_hours(hours):
    assert hours.minutes_between(shanghai(2026, 3, 3), shanghai(2026, 3, 2)) == 0
    assert hours.minutes_between(shanghai(2026, 3, 7, 9), shanghai(2026, 3, 8, 18)) == 0
    assert hours.minutes_between(shanghai(2026, 10, 1, 9), shanghai(2026, 10, 7, 18)) == 0


def test_minutes_between_over_sixty_days_is_quick(hours):
    start, end = shanghai(2026, 3, 2), shanghai(2026, 5, 1)
    weekdays = sum(1 for n in range(60) if (date(2026, 3, 2) + timedelta(days=n)).weekday() < 5)
    began = time.perf_counter()
    assert hours.minutes_between(start, end) == weekdays * 450
    assert time.perf_counter() - began < 0.5


@settings(max_examples=200, deadline=None)
@given(
    start=st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31)),
    minutes=st.integers(min_value=0, max_value=5000),
    zone=st.sampled_from(["Asia/Shanghai", "Europe/Berlin", "America/New_York"]),
)
def test_add_and_minutes_between_agree(start, minutes, zone):
    off, work = NATIONAL_DAY["2026"]["off"], NATIONAL_DAY["2026"]["work"]
    hours = WorkingTime(zone, off=off, work=work)
    begin = start.replace(tzinfo=UTC)
    due = hours.add(begin, minutes)
    assert due >= begin
    assert hours.minutes_between(begin, due) == minutes
    assert minutes == 0 or hours.is_working(due - timedelta(seconds=1))


# --- Calendars without working time, bad input ----------------------------------------------


def test_a_calendar_without_working_days_is_refused():
    with pytest.raises(ValueError, match="at least one working day"):
        WorkingTime(workdays=[])
    with pytest.raises(InvalidHours, match="at least one period"):
        WorkingTime(periods=[])


def test_add_gives_up_when_the_working_time_runs_out():
    only_one_day = WorkingTime(workdays=[], work=["2026-10-10"])
    assert only_one_day.add(shanghai(2026, 10, 1), 30) == shanghai(2026, 10, 10, 9, 30)
    began = time.perf_counter()
    with pytest.raises(ValueError, match="no working time left"):
        only_one_day.add(shanghai(2026, 10, 11), 30)
    assert time.perf_counter() - began < 2


def test_naive_datetimes_and_negative_minutes_are_refused(hours):
    with pytest.raises(ValueError, match="aware"):
        hours.add(datetime(2026, 3, 2, 10, 0), 30)
    with pytest.raises(ValueError, match="negative"):
        hours.add(shanghai(2026, 3, 2, 10, 0), -1)


@pytest.mark.parametrize(
    ("periods", "message"),
    [
        ([["09:00", "12:00"], ["11:00", "13:00"]], "overlap"),
        ([["12:00", "09:00"]], "ends before it starts"),
        ([["9am", "12:00"]], "not a time of day"),
        ([["24:00", "24:00"]], "not a time of day"),
    ],
)
def test_bad_periods_are_refused(periods, message):
    with pytest.raises(InvalidHours, match=message):
        WorkingTime(periods=periods)


def test_unknown_time_zone_is_refused():
    with pytest.raises(InvalidHours, match="unknown time zone"):
        WorkingTime("Mars/Olympus_Mons")


def test_from_calendar_reads_the_model_fields():
    calendar = BusinessCalendar(
        time_zone="Europe/Berlin",
        workdays=[0, 1, 2, 3],
        periods=[["08:00", "16:00"]],
        holidays={"2026": {"off": ["2026-12-24"], "work": ["2026-12-26"]}},
    )
    hours = WorkingTime.from_calendar(calendar)
    assert hours.zone == BERLIN
    assert not hours.is_working(berlin(2026, 3, 6, 10, 0))  # Friday is not a workday here
    assert not hours.is_working(berlin(2026, 12, 24, 10, 0))
    assert hours.is_working(berlin(2026, 12, 26, 10, 0))  # a Saturday, made a working day
    assert hours == WorkingTime(
        "Europe/Berlin", [0, 1, 2, 3], [["08:00", "16:00"]], off=["2026-12-24"], work=["2026-12-26"]
    )


# --- Text: hours, days, holiday lines ---------------------------------------------------


def test_periods_text_round_trips():
    periods = periods_parse("13:30-18:00，9:00 - 12:00")
    assert periods == [["09:00", "12:00"], ["13:30", "18:00"]]
    assert periods_format(periods) == "09:00-12:00, 13:30-18:00"
    with pytest.raises(InvalidHours, match="write it as 09:00-12:00"):
        periods_parse("9 to 5")


def test_workdays_text():
    assert workdays_parse("mon-fri") == [0, 1, 2, 3, 4]
    assert workdays_parse("1,2,3") == [0, 1, 2]
    assert workdays_parse("1-5, sat") == [0, 1, 2, 3, 4, 5]
    assert workdays_parse("sat-mon") == [0, 5, 6]
    assert workdays_format([0, 1, 2, 3, 4, 6]) == "mon-fri,sun"
    with pytest.raises(InvalidHours, match="1 = Monday"):
        workdays_parse("0-4")


def test_holiday_lines_group_per_year():
    parsed = holidays_parse(
        "# China 2026/2027\n"
        "2026-10-01..2026-10-03 off  # National Day\n"
        "2026-10-10 work\n"
        "\n"
        "2026-12-31..2027-01-01 休\n"
        "2027-01-04 班\n"
    )
    assert parsed == {
        "2026": {"off": ["2026-10-01", "2026-10-02", "2026-10-03", "2026-12-31"],
                 "work": ["2026-10-10"]},
        "2027": {"off": ["2027-01-01"], "work": ["2027-01-04"]},
    }  # fmt: skip
    assert holidays_format(parsed) == (
        "2026-10-01..2026-10-03 off\n2026-10-10 work\n2026-12-31..2027-01-01 off\n2027-01-04 work"
    )
    assert holidays_parse(holidays_format(parsed)) == parsed


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("2026-10-01 off\n2026-10-0x work", "line 2: '2026-10-0x work' is not a holiday line"),
        ("2026-10-01 off\n\n2026-02-30 off", "line 3: '2026-02-30' is not a date"),
        ("2026-10-07..2026-10-01 off", "line 1: the range ends before it starts"),
        ("2026-10-01..2027-10-07 off", "line 1: a range of more than a year"),
        ("2026-10-01 holiday\n2026-10-01 nap", "line 2: '2026-10-01 nap'"),
        (
            "2026-10-01..2026-10-07 off\n2026-10-03 work",
            "line 2: 2026-10-03 is already listed as off on line 1",
        ),
    ],
)
def test_holiday_line_errors_name_the_line(text, message):
    with pytest.raises(InvalidHours) as caught:
        holidays_parse(text)
    assert message in str(caught.value)


def test_stored_holidays_are_checked_and_merged():
    with pytest.raises(InvalidHours, match="both a day off and a make-up"):
        holidays_clean({"2026": {"off": ["2026-10-10"], "work": ["2026-10-10"]}})
    with pytest.raises(InvalidHours, match="must be a list of dates"):
        holidays_clean({"2026": {"off": "2026-10-10"}})
    merged = holidays_merge(NATIONAL_DAY, holidays_parse("2026-10-07 work\n2027-01-01 off"))
    assert "2026-10-07" in merged["2026"]["work"] and "2026-10-07" not in merged["2026"]["off"]
    assert merged["2027"] == {"off": ["2027-01-01"], "work": []}


# --- The calendar a team runs on -----------------------------------------------------------


def test_team_calendar_falls_back_to_parent_default_and_built_in(db):
    Organization.objects.update_or_create(pk=1, defaults={"time_zone": "Europe/Berlin"})
    sales = Team.objects.create(name="Sales")
    europe = Team.objects.create(name="Europe", parent=sales)
    berlin_office = Team.objects.create(name="Berlin", parent=europe)

    built_in = calendar_for_team(berlin_office.pk)
    assert built_in.pk is None and built_in.time_zone == "Europe/Berlin"
    assert built_in.reply_minutes == 240 and built_in.inquiry_reply_minutes == 30
    assert working_time_for_team(None).add(berlin(2026, 3, 2, 11, 50), 30) == berlin(
        2026, 3, 2, 13, 50
    )

    default = BusinessCalendar.objects.create(name="Company", time_zone="Asia/Shanghai")
    assert calendar_for_team(berlin_office.pk) == default
    own_sales = BusinessCalendar.objects.create(name="Sales", team=sales, reply_minutes=60)
    assert calendar_for_team(berlin_office.pk) == own_sales  # the grandparent's
    own = BusinessCalendar.objects.create(name="Berlin", team=berlin_office, workdays=[0])
    assert calendar_for_team(berlin_office.pk) == own
    assert calendar_for_team(europe.pk) == own_sales
    assert calendar_for_team(None) == default
    assert working_time_for_team(berlin_office.pk).workdays == frozenset({0})
