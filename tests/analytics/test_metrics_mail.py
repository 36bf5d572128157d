"""Mail metrics against the hand-built company of conftest.py (admin sees everything)."""

from __future__ import annotations

from datetime import date

from keyou.analytics.drill import drill_rows
from keyou.analytics.metrics_mail import awaiting_by_owner, awaiting_reply, email_volume
from keyou.analytics.metrics_response import reply_rate, response_times
from keyou.analytics.metrics_subjects import subject_effectiveness
from tests.analytics.conftest import NOW, period, sh


def _volume(actor, **narrowing):
    rows = email_volume(actor, period(**narrowing))
    return {r.day: (r.inbound, r.outbound) for r in rows if r.inbound or r.outbound}, rows


def test_email_volume_per_company_day(world):
    busy, rows = _volume(world.people.admin)
    assert len(rows) == 28  # every day of 28 Sep - 25 Oct, zeros too
    assert busy == {
        date(2026, 9, 30): (1, 0),  # T1 in
        date(2026, 10, 8): (0, 1),  # T1 answered
        date(2026, 10, 10): (1, 1),  # T3 in and answered (make-up Saturday)
        # T4 in, Anna's reply to S1 in; S1 out (once, though filed on acme and dune), T4 answered.
        date(2026, 10, 12): (2, 2),
        date(2026, 10, 13): (1, 0),  # Chen again
        date(2026, 10, 14): (0, 1),  # S3
        date(2026, 10, 16): (1, 0),  # T2 in
        date(2026, 10, 19): (0, 1),  # T2 answered
        date(2026, 10, 20): (0, 1),  # S2 at 07:30 Shanghai, 19 Oct in UTC
        date(2026, 10, 21): (1, 0),  # T5
    }


def test_email_volume_narrowed_by_team_country_and_source(world):
    asia, _rows = _volume(world.people.admin, team_id=world.asia.pk)
    # Only chen (team Asia): T4 in and out on the 12th, Chen again, S3.
    assert asia == {
        date(2026, 10, 12): (1, 1),
        date(2026, 10, 13): (1, 0),
        date(2026, 10, 14): (0, 1),
    }
    assert _volume(world.people.admin, country="CN")[0] == asia
    website, _rows = _volume(world.people.admin, source="website")  # bolt and chen
    assert sum(i for i, _o in website.values()) == 4  # T4, Chen again, T2, T5
    assert sum(o for _i, o in website.values()) == 4  # T4 answered, S3, T2 answered, S2


def test_awaiting_now_and_sla_breaches_in_the_period(world):
    rows = {r.key: r.count for r in awaiting_reply(world.people.admin, period(), now=NOW)}
    assert rows == {
        # Waiting now: S1 (Anna's reply), T4 (Chen again), T5 (to sales@).
        "awaiting": 3,
        # All past due: S1 11:00 + 240 wm = 16:30 on 12 Oct; T4 09:00 + 240 = 14:30 on 13 Oct
        # (09-12 is 180, then 13:30 + 60); T5 10:00 + 240 = 15:30 on 21 Oct.
        "overdue": 3,
        # Answered past the 240-minute allowance: only T2 (300 wm).
        "breached_answered": 1,
        # Still waiting and their due time fell in the period: the same three.
        "breached_open": 3,
    }
    threads = drill_rows(world.people.admin, "awaiting_reply", "breached_answered", period())
    assert [t.subject for t in threads] == ["RFQ 2000 units"]
    waiting = drill_rows(world.people.admin, "awaiting_reply", "awaiting", period(), now=NOW)
    assert {t.subject for t in waiting} == {
        "Catalogue 2026 - LED panels",
        "Inquiry: LED panels",
        "Samples request",
    }


def test_awaiting_per_account_owner(world):
    p = world.people
    rows = [(r.label, r.awaiting, r.overdue) for r in awaiting_by_owner(p.admin, period(), now=NOW)]
    # bob: T5 (bolt); alice: S1 (acme); carol: T4 (chen). All overdue by Monday 26 Oct.
    assert rows == [("alice", 1, 1), ("bob", 1, 1), ("carol", 1, 1)]
    # At 12:00 on 13 Oct only S1 was past due (16:30 on the 12th); T4 was due at 14:30.
    early = {r.label: r.overdue for r in awaiting_by_owner(p.admin, period(), now=sh(10, 13, 12))}
    assert early == {"alice": 1, "bob": 0, "carol": 0}
    listed = drill_rows(p.admin, "awaiting_by_owner", f"user:{p.bob.pk}:overdue", period(), now=NOW)
    assert [t.subject for t in listed] == ["Samples request"]


def test_first_response_working_minutes_per_person_and_team(world):
    p = world.people
    rows = {
        r.key: (r.count, r.median_minutes, r.p90_minutes) for r in response_times(p.admin, period())
    }
    assert rows == {
        # alice: T1 Wed 30 Sep 17:00 → Thu 8 Oct 10:00: 60 (to 18:00) + National Day 1-7 Oct
        # and the weekend off + 60 (09:00-10:00) = 120; T3 on the make-up Saturday
        # 11:00 → 14:00: 60 + 30 (13:30-14:00) = 90. Median (90 + 120) / 2 = 105, p90 rank 2 = 120.
        f"user:{p.alice.pk}": (2, 105.0, 120.0),
        # bob: T2 Fri 16 Oct 17:30 → Mon 19 Oct 15:00: 30 + 180 + 90 = 300.
        f"user:{p.bob.pk}": (1, 300.0, 300.0),
        # carol: T4 10:00 → 10:20.
        f"user:{p.carol.pk}": (1, 20.0, 20.0),
        # Europe: 90, 120, 300 → median 120, p90 rank ceil(2.7) = 3 → 300.
        f"team:{world.europe.pk}": (3, 120.0, 300.0),
        f"team:{world.asia.pk}": (1, 20.0, 20.0),
        # All: 20, 90, 120, 300 → median 105, p90 rank ceil(3.6) = 4 → 300.
        "all": (4, 105.0, 300.0),
    }
    listed = drill_rows(p.admin, "response_times", f"team:{world.europe.pk}", period())
    assert sorted(r.working_minutes for r in listed) == [90, 120, 300]


def test_reply_rate_within_one_and_twenty_four_working_hours(world):
    p = world.people
    rows = {
        r.key: (r.threads, r.within_60, r.within_1440, r.rate_60, r.rate_1440)
        for r in reply_rate(p.admin, period())
    }
    assert rows == {
        f"user:{p.alice.pk}": (2, 0, 2, 0.0, 1.0),  # T1 120, T3 90
        f"user:{p.bob.pk}": (2, 0, 1, 0.0, 0.5),  # T2 300, T5 unanswered
        f"user:{p.carol.pk}": (1, 1, 1, 1.0, 1.0),  # T4 20
        f"team:{world.europe.pk}": (4, 0, 3, 0.0, 0.75),  # alice's and bob's
        f"team:{world.asia.pk}": (1, 1, 1, 1.0, 1.0),
        "all": (5, 1, 4, 0.2, 0.8),  # S1, S2, S3 began with our message: not counted
    }
    fast = drill_rows(p.admin, "reply_rate", "all:60", period())
    assert [t.subject for t in fast] == ["Inquiry: LED panels"]
    late = drill_rows(p.admin, "reply_rate", f"user:{p.bob.pk}:late", period())
    assert [t.subject for t in late] == ["Samples request"]
    europe = drill_rows(p.admin, "reply_rate", f"team:{world.europe.pk}:1440", period())
    assert [t.subject for t in europe] == [
        "Quotation request 500 pcs",
        "Need LED panels",
        "RFQ 2000 units",
    ]


def test_subject_line_effectiveness(world):
    admin = world.people.admin
    rows = subject_effectiveness(admin, period(), min_sends=2)
    # S1 "Catalogue 2026 - LED panels" (Anna replied) and S2 "Catalogue 2027 - ..." (no reply)
    # share a pattern: 2 sends, 1 reply. S3 (one send) is under min_sends.
    assert [(r.pattern, r.sends, r.replies, r.rate) for r in rows] == [
        ("catalogue # - led panels", 2, 1, 0.5)
    ]
    assert rows[0].example == "Catalogue 2026 - LED panels"
    every = subject_effectiveness(admin, period(), min_sends=1)
    assert [(r.pattern, r.sends, r.replies) for r in every] == [
        ("catalogue # - led panels", 2, 1),
        ("follow-up on order #", 1, 0),
    ]
    assert subject_effectiveness(admin, period(), min_sends=1, top=1) == every[:1]
    sends = drill_rows(admin, "subject_effectiveness", "catalogue # - led panels", period())
    assert [t.subject for t in sends] == [
        "Catalogue 2026 - LED panels",
        "Catalogue 2027 - LED panels",
    ]


def test_volume_drill_lists_each_message_once(world):
    admin = world.people.admin
    out = drill_rows(admin, "email_volume", "2026-10-12:outbound", period())
    assert [m.subject for m in out] == ["Catalogue 2026 - LED panels", "回复: Inquiry: LED panels"]
    assert len(drill_rows(admin, "email_volume", "2026-10-12", period())) == 4
    assert [m.subject for m in drill_rows(admin, "email_volume", "2026-10-20", period())] == [
        "Catalogue 2027 - LED panels"
    ]
