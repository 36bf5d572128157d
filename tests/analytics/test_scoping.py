"""Who sees which numbers: a salesperson their own, a team lead their team's, an admin all.

alice (salesperson, own): acme, dune. lena (team lead of Europe): acme, bolt, dune
(echo went to Asia). carol (salesperson, Asia): chen, echo.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
import time_machine

from keyou.analytics.drill import UnknownDrill, drill_rows
from keyou.analytics.metrics_accounts import account_distribution, account_sources
from keyou.analytics.metrics_deals import lost_deals, win_rate
from keyou.analytics.metrics_funnel import funnel
from keyou.analytics.metrics_mail import awaiting_reply, email_volume
from keyou.analytics.metrics_people import leaderboard, overdue_tasks, pool_flows
from keyou.analytics.metrics_response import reply_rate, response_times
from keyou.automation.outbox import events_process
from keyou.mail.ingest import mail_ingest
from keyou.mail.sources import RawItem
from tests.analytics.conftest import NOW, period, sh
from tests.mail.mailfactory import raw_message


def _totals(actor):
    rows = email_volume(actor, period())
    return sum(r.inbound for r in rows), sum(r.outbound for r in rows)


def test_email_volume_follows_the_scope(world):
    p = world.people
    assert _totals(p.admin) == (7, 7)
    # alice: T1 in/out, T3 in/out, S1 out (once, on acme and dune) and Anna's reply in.
    assert _totals(p.alice) == (3, 3)
    # lena: everything but chen's T4 in/out, Chen again and S3.
    assert _totals(p.lena) == (5, 5)
    assert _totals(p.carol) == (2, 2)


def test_a_message_to_two_customers_counts_once_for_whoever_sees_either(world):
    p = world.people
    raw = raw_message(
        sender="Alice <alice@demo-trading.com>",
        to="anna@acme.test",
        cc="chen@chen.test",
        subject="Joint offer",
        message_id="<joint@test>",
        date=sh(10, 23),
    )
    with time_machine.travel(sh(10, 23), tick=False):
        mail_ingest(mailbox=world.boxes.alice, items=[RawItem(source="joint", raw=raw)], workers=0)
        events_process()  # the outbox keeps the mail rollup current
    # Filed on acme (alice's) and chen (carol's): one more email out for each who sees
    # either account, and one, not two, for the admin who sees both.
    assert _totals(p.admin) == (7, 8)
    assert _totals(p.alice) == (3, 4)
    assert _totals(p.carol) == (2, 3)
    assert _totals(p.lena) == (5, 6)
    day = drill_rows(p.carol, "email_volume", "2026-10-23", period())
    assert [m.subject for m in day] == ["Joint offer"]


def test_response_times_and_reply_rate_follow_the_scope(world):
    p = world.people
    alice = {r.key: (r.count, r.median_minutes) for r in response_times(p.alice, period())}
    assert alice == {
        f"user:{p.alice.pk}": (2, 105.0),
        f"team:{world.europe.pk}": (2, 105.0),
        "all": (2, 105.0),
    }
    lena = {r.key: (r.count, r.median_minutes) for r in response_times(p.lena, period())}
    assert lena == {
        f"user:{p.alice.pk}": (2, 105.0),
        f"user:{p.bob.pk}": (1, 300.0),
        f"team:{world.europe.pk}": (3, 120.0),
        "all": (3, 120.0),
    }
    assert [(r.key, r.threads) for r in reply_rate(p.alice, period())] == [
        (f"user:{p.alice.pk}", 2),
        (f"team:{world.europe.pk}", 2),
        ("all", 2),
    ]
    awaiting = {r.key: r.count for r in awaiting_reply(p.lena, period(), now=NOW)}
    assert awaiting == {"awaiting": 2, "overdue": 2, "breached_answered": 1, "breached_open": 2}


def test_deal_metrics_follow_the_scope(world):
    p = world.people
    assert [(r.key, r.won, r.lost) for r in win_rate(p.alice, period())] == [
        (f"user:{p.alice.pk}", 2, 0),
        ("all", 2, 0),
    ]
    assert {c.cohort: c.created for c in funnel(p.alice, period()).cohorts}[None] == 2  # D1, D4
    assert {c.cohort: c.created for c in funnel(p.lena, period()).cohorts}[None] == 3  # no D3
    assert lost_deals(p.alice, period()).by_reason == []
    assert [r.amount for r in lost_deals(p.lena, period()).by_reason] == [Decimal("35500.00")]
    lead = world.deals.d1.pipeline.stages.get(name="Lead").pk
    assert [d.title for d in drill_rows(p.alice, "funnel", f"all:{lead}", period())] == [
        "D1",
        "D4",
    ]


def test_account_metrics_follow_the_scope(world):
    p = world.people
    assert [(r.key, r.count) for r in account_sources(p.alice, period())] == [("fair", 1)]
    assert [(r.key, r.count) for r in account_sources(p.lena, period())] == [
        ("fair", 1),
        ("website", 1),
    ]
    lifecycles = {r.key: r.count for r in account_distribution(p.carol, period()).lifecycle}
    assert lifecycles == {"lifecycle:prospect": 1, "lifecycle:dormant": 1}  # chen, echo


def test_per_person_rows_are_only_the_people_one_may_see(world):
    p = world.people
    assert [r.label for r in leaderboard(p.alice, period())] == ["alice"]
    assert sorted(r.label for r in leaderboard(p.lena, period())) == ["alice", "bob", "lena"]
    flows = {
        r.label: (r.claimed, r.released, r.reclaimed_from) for r in pool_flows(p.lena, period())
    }
    # Echo has gone to Asia, but what lena's people did with it still counts for them.
    assert flows == {"alice": (1, 0, 1), "bob": (0, 1, 0), "lena": (0, 0, 0)}
    assert [r.label for r in pool_flows(p.alice, period())] == ["alice"]
    assert [(r.label, r.overdue) for r in overdue_tasks(p.lena, period(), now=NOW)] == [
        ("alice", 2)
    ]
    assert [(r.label, r.overdue) for r in overdue_tasks(p.carol, period(), now=NOW)] == [
        ("carol", 1)
    ]
    # Someone else's row is not reachable by drilling either.
    assert drill_rows(p.alice, "leaderboard", f"user:{p.bob.pk}:won", period()) == []
    assert drill_rows(p.alice, "overdue_tasks", f"user:{p.carol.pk}", period(), now=NOW) == []


def test_unknown_metrics_and_bad_keys_are_refused(world):
    with pytest.raises(UnknownDrill):
        drill_rows(world.people.admin, "nonsense", "all", period())
    with pytest.raises(UnknownDrill):
        drill_rows(world.people.admin, "email_volume", "yesterday", period())
