"""The mail-volume rollup equals a from-scratch recomputation after any sequence of events.

Hypothesis draws sequences of: ingesting a message (in or out, to one customer or
two, automated or not, at any hour of a few days, so company days and UTC days
differ), filing the same message again from a second mailbox, refiling and
deleting a message, and running the outbox (sometimes every handler twice, as
after a redelivery). After the sequence the rollup rows must equal those of
`mail_rollup_rebuild`, and `email_volume` must equal a direct count over the
messages, for an admin and for a salesperson who sees only her own account.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from keyou.analytics.filters import AnalyticsFilters
from keyou.analytics.metrics_mail import email_volume
from keyou.analytics.models import MailDay, MailShared, RollupState
from keyou.analytics.rollups import analytics_on_event, mail_rollup_rebuild, mail_rollup_zone
from keyou.automation.models import Event
from keyou.automation.outbox import events_process
from keyou.crm.models import Account, Activity, ActivityKind
from keyou.crm.services import contact_add, message_refile
from keyou.mail.ingest import mail_ingest
from keyou.mail.models import Message
from keyou.mail.services import mailbox_add, message_delete
from keyou.mail.sources import RawItem
from keyou.people.access import SYSTEM, scope_q
from keyou.people.services import organization_set, user_add
from tests.mail.mailfactory import raw_message

SHANGHAI = ZoneInfo("Asia/Shanghai")
BASE = datetime(2026, 10, 12, tzinfo=UTC)
PERIOD = AnalyticsFilters(start=date(2026, 10, 10), end=date(2026, 10, 20), zone=SHANGHAI)
CUSTOMERS = ("anna@acme.test", "bert@bolt.test", "chen@chen.test")


@pytest.fixture
def company(db):
    organization_set(name="Demo Trading", domains=["demo-trading.com"], time_zone="Asia/Shanghai")
    alice = user_add(username="alice", email="alice@demo-trading.com", team="Europe")
    bob = user_add(username="bob", email="bob@demo-trading.com", team="Europe")
    carol = user_add(username="carol", email="carol@demo-trading.com", team="Asia")
    admin = user_add(username="admin", email="admin@demo-trading.com", admin=True)
    accounts = []
    for name, owner, email in zip(
        ("Acme", "Bolt", "Chen"), (alice, bob, carol), CUSTOMERS, strict=True
    ):
        account = Account.objects.create(name=name, owner=owner, team=owner.team)
        contact_add(actor=SYSTEM, account=account, name=name, email=email)
        accounts.append(account)
    boxes = [
        mailbox_add(address="alice@demo-trading.com", owner="alice"),
        mailbox_add(address="sales@demo-trading.com", kind="shared"),
    ]
    return {"alice": alice, "admin": admin, "accounts": accounts, "boxes": boxes}


ingest = st.tuples(
    st.just("ingest"),
    st.sampled_from(["inbound", "outbound"]),
    st.lists(st.integers(0, 2), min_size=1, max_size=2, unique=True),  # customers
    st.integers(0, 3 * 24 - 1),  # hours after BASE (UTC): Shanghai days start at 16:00 UTC
    st.integers(0, 1),  # mailbox
    st.booleans(),  # automated
)
again = st.tuples(st.just("again"), st.integers(0, 20))  # the same message, other mailbox
refile = st.tuples(st.just("refile"), st.integers(0, 20), st.integers(0, 2))
delete = st.tuples(st.just("delete"), st.integers(0, 20))
process = st.tuples(st.just("process"), st.booleans())  # True: every handler twice
operations = st.lists(st.one_of(ingest, ingest, again, refile, delete, process), max_size=12)


def _ingest(box, raw: bytes, source: str, at: datetime) -> None:
    mail_ingest(mailbox=box, items=[RawItem(source=source, raw=raw)], workers=0)


def _apply(company: dict, ops: list[tuple]) -> None:
    sent: list[tuple[bytes, datetime, int]] = []  # raw, date, mailbox
    for n, op in enumerate(ops):
        kind = op[0]
        if kind == "ingest":
            _kind, direction, customers, hours, box, automated = op
            at = BASE + timedelta(hours=hours)
            them = [CUSTOMERS[i] for i in customers]
            me = "Alice <alice@demo-trading.com>" if box == 0 else "sales@demo-trading.com"
            sender, to = (them[0], me) if direction == "inbound" else (me, them[0])
            raw = raw_message(
                sender=sender,
                to=to,
                cc=", ".join(them[1:]),
                subject=f"Message {n}",
                message_id=f"<m{n}@test>",
                date=at,
                extra_headers="Auto-Submitted: auto-replied\n" if automated else "",
            )
            _ingest(company["boxes"][box], raw, f"prop#{n}", at)
            sent.append((raw, at, box))
        elif kind == "again" and sent:
            raw, at, box = sent[op[1] % len(sent)]
            _ingest(company["boxes"][1 - box], raw, f"prop-again#{n}", at)
        elif kind == "refile":
            entry = Activity.objects.filter(kind=ActivityKind.EMAIL).order_by("pk")
            entries = list(entry)
            if entries:
                chosen = entries[op[1] % len(entries)]
                target = company["accounts"][op[2]]
                if target.pk != chosen.account_id:
                    message_refile(
                        actor=SYSTEM,
                        message_id=chosen.message_id,
                        from_account=chosen.account,
                        to_account=target,
                    )
        elif kind == "delete":
            ids = list(Message.objects.order_by("pk").values_list("pk", flat=True))
            if ids:
                message_delete(message_id=ids[op[1] % len(ids)])
        elif kind == "process":
            events_process()
            if op[1]:
                for event in Event.objects.order_by("pk"):
                    analytics_on_event(event, timezone.now())
    events_process()


def _rollup() -> tuple[list, list]:
    days = sorted(MailDay.objects.values_list("account_id", "day", "inbound", "outbound"))
    shared = sorted(MailShared.objects.values_list("message_id", "account_id", "day", "direction"))
    return days, shared


def _direct_volume(actor) -> dict[date, tuple[int, int]]:
    """Count by hand: distinct non-automated messages on the accounts ACTOR sees, per day."""
    visible = set(Account.objects.filter(scope_q(actor)).values_list("pk", flat=True))
    seen = set()
    for entry in Activity.objects.filter(kind=ActivityKind.EMAIL).select_related("message"):
        message = entry.message
        if entry.account_id in visible and not message.is_automated:
            day = timezone.localdate(entry.occurred_at, SHANGHAI)
            if message.direction in ("inbound", "outbound"):
                seen.add((day, message.direction, message.pk))
    counts = Counter((day, direction) for day, direction, _pk in seen)
    return {
        day: (counts[(day, "inbound")], counts[(day, "outbound")])
        for day in PERIOD.days()
        if counts[(day, "inbound")] or counts[(day, "outbound")]
    }


def _volume(actor) -> dict[date, tuple[int, int]]:
    return {
        r.day: (r.inbound, r.outbound)
        for r in email_volume(actor, PERIOD)
        if r.inbound or r.outbound
    }


@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=operations, built_first=st.booleans())
def test_the_rollup_equals_a_recomputation_after_any_events(company, ops, built_first):
    with transaction.atomic():
        if built_first:
            mail_rollup_rebuild()  # else the first message event builds it
        _apply(company, ops)
        if Event.objects.exists():
            assert mail_rollup_zone() == SHANGHAI
        incremental = _rollup()
        mail_rollup_rebuild()
        assert _rollup() == incremental
        for actor in (company["admin"], company["alice"]):
            assert _volume(actor) == _direct_volume(actor)
        transaction.set_rollback(True)


def test_a_message_on_two_accounts_counts_once_and_follows_a_refile(company):
    anna, bert = CUSTOMERS[0], CUSTOMERS[1]
    acme, bolt, chen = company["accounts"]
    box = company["boxes"][0]
    raw = raw_message(sender=anna, to="alice@demo-trading.com", cc=bert, message_id="<j@test>")
    _ingest(box, raw, "joint", BASE)
    events_process()
    message = Message.objects.get()
    assert MailDay.objects.count() == 0
    assert sorted(MailShared.objects.values_list("account_id", flat=True)) == [acme.pk, bolt.pk]
    filters = AnalyticsFilters(start=date(2026, 3, 1), end=date(2026, 3, 3), zone=SHANGHAI)
    assert sum(r.inbound for r in email_volume(company["admin"], filters)) == 1
    # Refiled from bolt onto the account already holding it: now only on acme.
    message_refile(actor=SYSTEM, message_id=message.pk, from_account=bolt, to_account=acme)
    assert list(MailDay.objects.values_list("account_id", "inbound", "outbound")) == [
        (acme.pk, 1, 0)
    ]
    assert not MailShared.objects.exists()
    # Moved to chen, then deleted.
    message_refile(actor=SYSTEM, message_id=message.pk, from_account=acme, to_account=chen)
    assert list(MailDay.objects.values_list("account_id", "inbound")) == [(chen.pk, 1)]
    message_delete(message_id=message.pk)
    assert not MailDay.objects.exists()
    assert sum(r.inbound for r in email_volume(company["admin"], filters)) == 0


def test_without_a_rollup_in_the_filters_zone_the_metric_counts_live_rows(company):
    raw = raw_message(sender=CUSTOMERS[0], to="alice@demo-trading.com", message_id="<z@test>")
    _ingest(company["boxes"][0], raw, "z", BASE)
    assert mail_rollup_zone() is None  # no event processed yet
    filters = AnalyticsFilters(start=date(2026, 3, 1), end=date(2026, 3, 3), zone=SHANGHAI)
    assert sum(r.inbound for r in email_volume(company["admin"], filters)) == 1
    events_process()
    assert RollupState.objects.get().zone == "Asia/Shanghai"
    utc = AnalyticsFilters(start=date(2026, 3, 1), end=date(2026, 3, 3), zone=ZoneInfo("UTC"))
    assert sum(r.inbound for r in email_volume(company["admin"], utc)) == 1
    # The company moves to another zone: the next message event re-keys the rollup.
    organization_set(name="Demo Trading", domains=["demo-trading.com"], time_zone="UTC")
    raw = raw_message(sender=CUSTOMERS[1], to="alice@demo-trading.com", message_id="<y@test>")
    _ingest(company["boxes"][0], raw, "y", BASE)
    events_process()
    assert RollupState.objects.get().zone == "UTC"
    assert sum(r.inbound for r in email_volume(company["admin"], utc)) == 2


def test_rebuild_command_prints_counts_and_seconds(company, capsys):
    raw = raw_message(sender=CUSTOMERS[0], to="alice@demo-trading.com", message_id="<c@test>")
    _ingest(company["boxes"][0], raw, "c", BASE)
    call_command("analytics", "rebuild")
    out = capsys.readouterr().out
    assert "mail volume: 1 account-days" in out and " s" in out
    call_command("analytics", "--json", "rebuild", "--since", "2026-03-02")
    assert '"mail_days": 1' in capsys.readouterr().out
