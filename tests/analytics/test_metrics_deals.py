"""Deal metrics against the hand-built company of conftest.py (admin sees everything)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from keyou.analytics.drill import drill_rows
from keyou.analytics.metrics_deals import forecast, lost_deals, sales_cycle, win_rate
from keyou.analytics.metrics_funnel import funnel, stage_times
from keyou.deals.models import LostReason, Stage
from tests.analytics.conftest import period

STAGES = ["Lead", "Contacted", "Qualified", "Quoted", "Negotiation", "Contract", "Delivery", "Paid"]


def _stage(name):
    return Stage.objects.get(name=name)


def test_funnel_by_cohort_counts_skipped_stages_as_passed(world):
    result = funnel(world.people.admin, period())
    assert [name for _pk, name in result.stages] == STAGES  # Lost is not a step
    reached = {}
    for row in result.rows:
        reached.setdefault(row.cohort, []).append(row.reached)
    # September: D1 went Lead → Contacted → Quoted (skipping Qualified) → Paid (skipping
    # Negotiation, Contract, Delivery): it passed every stage.
    assert reached[date(2026, 9, 1)] == [1, 1, 1, 1, 1, 1, 1, 1]
    # October: D2 furthest Negotiation (then lost), D3 Contacted, D4 created in Quoted and won.
    # Lead 3, Contacted 3 (D2 skipped it), Qualified 2 (D2, D4), Quoted 2, Negotiation 2
    # (D4 skipped it), Contract 1, Delivery 1, Paid 1.
    assert reached[date(2026, 10, 1)] == [3, 3, 2, 2, 2, 1, 1, 1]
    assert reached[None] == [4, 4, 3, 3, 3, 2, 2, 2]  # the whole period
    october = [r.conversion for r in result.rows if r.cohort == date(2026, 10, 1)]
    assert october == [None, 1.0, 2 / 3, 1.0, 1.0, 0.5, 1.0, 1.0]
    cohorts = {c.cohort: (c.created, c.won, c.lead_to_won) for c in result.cohorts}
    assert cohorts == {
        date(2026, 9, 1): (1, 1, 1.0),
        date(2026, 10, 1): (3, 1, 1 / 3),
        None: (4, 2, 0.5),
    }
    qualified = drill_rows(
        world.people.admin, "funnel", f"2026-10:{_stage('Qualified').pk}", period()
    )
    assert [d.title for d in qualified] == ["D2", "D4"]  # both skipped it
    assert [d.title for d in drill_rows(world.people.admin, "funnel", "2026-09", period())] == [
        "D1"
    ]


def test_median_days_per_stage_from_stage_changes(world):
    rows = {
        r.stage_name: (r.stays, r.median_days) for r in stage_times(world.people.admin, period())
    }
    assert rows == {
        "Lead": (3, 3.0),  # D1 29 Sep → 2 Oct: 3, D2 12 → 14 Oct: 2, D3 13 → 16 Oct: 3
        "Contacted": (1, 7.0),  # D1 2 → 9 Oct; D3 is still there (not counted)
        "Qualified": (0, None),
        "Quoted": (2, 7.0),  # D1 9 → 15 Oct: 6, D4 14 → 22 Oct: 8
        "Negotiation": (1, 6.0),  # D2 14 → 20 Oct
        "Contract": (0, None),
        "Delivery": (0, None),
    }
    stays = drill_rows(world.people.admin, "stage_times", str(_stage("Quoted").pk), period())
    assert [s.deal.title for s in stays] == ["D1", "D4"]


def test_lost_deals_by_reason_and_stage(world):
    price = LostReason.objects.get(name="Price")
    result = lost_deals(world.people.admin, period())
    # D2: 5000 USD at 7.1 = 35500.00 CNY, lost from Negotiation for Price.
    assert [(r.key, r.label, r.count, r.amount) for r in result.by_reason] == [
        (f"reason:{price.pk}", "Price", 1, Decimal("35500.00"))
    ]
    negotiation = _stage("Negotiation")
    assert [(r.key, r.label, r.count, r.amount) for r in result.by_stage] == [
        (f"stage:{negotiation.pk}", "Negotiation", 1, Decimal("35500.00"))
    ]
    listed = drill_rows(world.people.admin, "lost_deals", f"stage:{negotiation.pk}", period())
    assert [d.title for d in listed] == ["D2"]


def test_sales_cycle_from_first_inquiry_to_won(world):
    result = sales_cycle(world.people.admin, period())
    # D1: acme's first inbound email 30 Sep (T1), won 15 Oct: 15 days.
    # D4: dune's first inbound email 10 Oct (T3), won 22 Oct: 12 days. Median 13.5.
    assert (result.deals, result.without_inquiry, result.median_days) == (2, 0, 13.5)
    assert {b.key: b.count for b in result.buckets} == {
        "0-7": 0,
        "8-30": 2,
        "31-90": 0,
        "91-180": 0,
        "181+": 0,
    }
    listed = drill_rows(world.people.admin, "sales_cycle", "8-30", period())
    assert [d.title for d in listed] == ["D1", "D4"]


def test_win_rate_of_deals_closed_in_the_period(world):
    p = world.people
    rows = {r.key: (r.won, r.lost, r.rate) for r in win_rate(p.admin, period())}
    assert rows == {
        f"user:{p.alice.pk}": (2, 0, 1.0),  # D1, D4
        f"user:{p.bob.pk}": (0, 1, 0.0),  # D2
        "all": (2, 1, 2 / 3),
    }
    assert [d.title for d in drill_rows(p.admin, "win_rate", "all:lost", period())] == ["D2"]


def test_weighted_forecast_reuses_the_deal_forecast(world):
    result = forecast(world.people.admin, period())
    assert result.months[0] == date(2026, 9, 1)
    # Open: D3 8000 CNY closing in November, Contacted at 20%: 1600 weighted.
    # Won: D1 10000 CNY + D4 2000 EUR at 7.8 = 15600: 25600 in October.
    grand = result.grand
    assert (grand.count, grand.weighted, grand.won, grand.won_count) == (
        1,
        Decimal("1600.00"),
        Decimal("25600.00"),
        2,
    )
    europe = forecast(world.people.admin, period(team_id=world.europe.pk))
    assert [r.owner.username for r in europe.rows] == ["alice"]
    assert (europe.grand.count, europe.grand.won) == (0, Decimal("25600.00"))
    november = drill_rows(world.people.admin, "forecast", "2026-11", period())
    assert [d.title for d in november] == ["D3"]
