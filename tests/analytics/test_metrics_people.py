"""Account and per-person metrics against the hand-built company of conftest.py."""

from __future__ import annotations

from decimal import Decimal

from keyou.analytics.drill import drill_rows
from keyou.analytics.metrics_accounts import (
    account_channels,
    account_distribution,
    account_sources,
)
from keyou.analytics.metrics_people import leaderboard, overdue_tasks, pool_flows
from keyou.people.services import user_add
from tests.analytics.conftest import NOW, period


def test_sources_and_channels_of_new_accounts(world):
    admin = world.people.admin
    # Created in the period: bolt (website), chen (website), dune (fair); acme and echo before.
    assert [(r.key, r.count) for r in account_sources(admin, period())] == [
        ("website", 2),
        ("fair", 1),
    ]
    # First email: bolt's T2 to bob and dune's T3 to alice (personal); chen's T4 to sales@.
    assert [(r.key, r.count) for r in account_channels(admin, period())] == [
        ("personal", 2),
        ("shared", 1),
    ]
    assert [a.name for a in drill_rows(admin, "account_channels", "shared", period())] == [
        "Chen Co"
    ]
    assert [a.name for a in drill_rows(admin, "account_sources", "fair", period())] == ["Dune"]


def test_distribution_by_lifecycle_tier_and_country(world):
    result = account_distribution(world.people.admin, period())
    assert [(r.key, r.count) for r in result.lifecycle] == [
        ("lifecycle:prospect", 1),  # chen
        ("lifecycle:new", 2),  # bolt, dune
        ("lifecycle:active", 1),  # acme
        ("lifecycle:dormant", 1),  # echo
    ]
    assert [(r.key, r.count) for r in result.tier] == [
        ("tier:B", 2),
        ("tier:", 1),
        ("tier:A", 1),
        ("tier:C", 1),
    ]
    assert sorted(r.key for r in result.country) == [
        "country:CN",
        "country:DE",
        "country:FR",
        "country:GB",
        "country:IT",
    ]
    new = drill_rows(world.people.admin, "account_distribution", "lifecycle:new", period())
    assert [a.name for a in new] == ["Bolt", "Dune"]


def test_pool_flows_per_person(world):
    p = world.people
    rows = {
        r.label: (r.claimed, r.released, r.reclaimed_from, r.redistributed_to, r.held_now)
        for r in pool_flows(p.admin, period())
    }
    assert rows == {
        # Echo: bob released it (5 Oct), alice claimed it (6 Oct), the policy took it back
        # from alice and gave it to carol (20 Oct). Held now: alice acme + dune, bob bolt,
        # carol chen + echo.
        "alice": (1, 0, 1, 0, 2),
        "bob": (0, 1, 0, 0, 1),
        "carol": (0, 0, 0, 1, 2),
        "lena": (0, 0, 0, 0, 0),
        "admin": (0, 0, 0, 0, 0),
    }
    moves = drill_rows(p.admin, "pool_flows", f"user:{p.alice.pk}:reclaimed", period())
    assert [(m.kind, m.account.name) for m in moves] == [("reclaimed", "Echo")]
    held = drill_rows(p.admin, "pool_flows", f"user:{p.carol.pk}:held", period())
    assert [a.name for a in held] == ["Chen Co", "Echo"]


def test_leaderboard(world):
    p = world.people
    rows = {r.label: r for r in leaderboard(p.admin, period())}
    alice, bob, carol = rows["alice"], rows["bob"], rows["carol"]
    # Won: D1 10000 CNY + D4 2000 EUR × 7.8 = 25600.00.
    assert (alice.won_count, alice.won_amount) == (2, Decimal("25600.00"))
    assert (bob.won_count, bob.won_amount) == (0, Decimal(0))
    # New accounts in the period they own: dune, bolt, chen.
    assert (alice.new_accounts, bob.new_accounts, carol.new_accounts) == (1, 1, 1)
    assert (alice.median_response_minutes, bob.median_response_minutes) == (105.0, 300.0)
    assert (carol.median_response_minutes, rows["lena"].median_response_minutes) == (20.0, None)
    # Logged: alice's call, bob's note; carol's meeting on 3 Nov is after the period.
    assert (alice.calls, bob.notes, carol.meetings) == (1, 1, 0)
    # Customer emails sent: alice T1 answer, T3 answer, S1; bob T2 answer, S2; carol T4
    # answer, S3.
    assert (alice.emails_sent, bob.emails_sent, carol.emails_sent) == (3, 2, 2)
    assert list(rows)[0] == "alice"  # the biggest won amount first
    emails = drill_rows(p.admin, "leaderboard", f"user:{p.bob.pk}:emails", period())
    assert [m.subject for m in emails] == ["Re: RFQ 2000 units", "Catalogue 2027 - LED panels"]
    won = drill_rows(p.admin, "leaderboard", f"user:{p.alice.pk}:won", period())
    assert [d.title for d in won] == ["D1", "D4"]


def test_leaderboard_hides_amounts_without_the_capability(world):
    sue = user_add(username="sue", email="sue@demo-trading.com", team="Europe", role="support")
    rows = leaderboard(sue, period())
    assert {r.label: r.won_count for r in rows}["alice"] == 2
    assert all(r.won_amount is None for r in rows)


def test_overdue_tasks_per_person(world):
    p = world.people
    rows = {r.label: r.overdue for r in overdue_tasks(p.admin, period(), now=NOW)}
    # alice: the "Send the quotation" tasks Quoted created, due one working day later: D1
    # (entered 9 Oct) on the make-up Saturday 10 Oct 18:00, D4 (14 Oct) on 15 Oct 18:00.
    # carol: "Call chen" due 20 Oct. bob: "Visit bolt" is due 30 Oct, "Send samples" is done.
    assert rows == {"alice": 2, "carol": 1}
    tasks = drill_rows(p.admin, "overdue_tasks", f"user:{p.alice.pk}", period(), now=NOW)
    assert [(t.title, t.account.name) for t in tasks] == [
        ("Send the quotation", "Acme"),
        ("Send the quotation", "Dune"),
    ]
