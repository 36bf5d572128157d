"""The filter object and its GET parser, subject patterns, and the statistics helpers (pure)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from keyou.analytics.filters import AnalyticsFilters, filters_from_params
from keyou.analytics.metrics_subjects import subject_pattern
from keyou.analytics.scope import median, percentile
from keyou.people.models import RegionGroup
from keyou.people.services import organization_set


@pytest.fixture
def shanghai_org(db):
    organization_set(name="Demo", time_zone="Asia/Shanghai")


def test_default_period_is_the_last_thirty_company_days(shanghai_org):
    f = filters_from_params({}, today=date(2026, 10, 25))
    assert (f.start, f.end) == (date(2026, 9, 26), date(2026, 10, 25))  # 30 days, both ends in
    assert (f.team_id, f.user_id, f.country, f.source) == (None, None, None, None)
    # Days are Shanghai days: the period starts at 16:00 UTC the day before.
    assert f.start_at.astimezone(UTC) == datetime(2026, 9, 25, 16, 0, tzinfo=UTC)
    assert f.end_at.astimezone(UTC) == datetime(2026, 10, 25, 16, 0, tzinfo=UTC)
    assert len(f.days()) == 30


def test_today_defaults_to_the_company_day(shanghai_org):
    import time_machine

    # 20:00 UTC on the 25th is already the 26th in Shanghai.
    with time_machine.travel(datetime(2026, 10, 25, 20, 0, tzinfo=UTC), tick=False):
        assert filters_from_params({}).end == date(2026, 10, 26)


def test_params_are_parsed_and_bad_ones_fall_back(shanghai_org):
    f = filters_from_params(
        {"start": "2026-10-31", "end": "2026-10-01", "team": "3", "user": "x", "source": " fair "}
    )
    assert (f.start, f.end) == (date(2026, 10, 1), date(2026, 10, 31))  # swapped
    assert (f.team_id, f.user_id, f.source) == (3, None, "fair")
    f = filters_from_params({"start": "nonsense", "end": "2026-10-31", "region": "CN"})
    assert f.start == date(2026, 10, 2) and f.country == "CN"
    assert filters_from_params(f.as_params()) == f
    long = filters_from_params({"start": "2000-01-01", "end": "2026-10-31"})
    assert (long.end - long.start).days == 3 * 366 - 1


def test_a_region_group_covers_its_countries(shanghai_org):
    RegionGroup.objects.create(code="NORDIC", name="Nordic", countries=["SE", "NO"])
    zone = ZoneInfo("Asia/Shanghai")
    day = date(2026, 10, 1)
    f = AnalyticsFilters(start=day, end=day, country="nordic", zone=zone)
    assert f.countries == ["NO", "SE"]


@pytest.mark.parametrize(
    ("subject", "pattern"),
    [
        ("Re: 回复: Quote #1234 for 500 pcs", "quote ## for # pcs"),
        ("FWD: Fw: Catalogue 2026 - LED Panels", "catalogue # - led panels"),
        ("转发：  New   price list", "new price list"),
        ("RE[2]: Samples", "samples"),
        ("Regarding samples", "regarding samples"),  # "Re" only as a prefix with a colon
        ("", ""),
    ],
)
def test_subject_patterns(subject, pattern):
    assert subject_pattern(subject) == pattern


def test_median_and_nearest_rank_percentile():
    assert median([]) is None and percentile([], 0.9) is None
    assert median([300, 20, 90, 120]) == 105  # (90 + 120) / 2
    assert median([3, 1, 2]) == 2
    # p90 of four values: rank ceil(0.9 * 4) = 4, the largest.
    assert percentile([300, 20, 90, 120], 0.9) == 300
    # p90 of ten values: rank 9.
    assert percentile(list(range(1, 11)), 0.9) == 9
