"""The analytics benchmark's data generator (bench/analytics_data.py) at a tiny size.

It writes straight into the database, so these tests check that what it writes is what
Keyou itself would have written: every message filed once on its account, response
times that the SLA clock would have recorded, stage histories that end where the deal is.
"""

from __future__ import annotations

import importlib.util
import sys
from collections import defaultdict
from datetime import UTC, datetime

import pytest
from django.db import connection

from keyou.automation.models import ResponseTime
from keyou.automation.sla import working_time_for_team
from keyou.crm.models import Account, Activity, ActivityKind, Contact, Task
from keyou.deals.models import Deal, DealStatus, StageChange, StageKind
from keyou.mail.models import Direction, MailboxCopy, Message, Thread
from keyou.people.models import Team, User
from keyou.pool.models import PoolMove
from tests.conftest import REPO_ROOT

NOW = datetime(2026, 6, 1, tzinfo=UTC)


def _bench_module():
    spec = importlib.util.spec_from_file_location(
        "analytics_data", REPO_ROOT / "bench" / "analytics_data.py"
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules["analytics_data"] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def generated(db, settings, tmp_path):
    settings.KEYOU_BLOB_DIR = tmp_path / "blobs"
    return _bench_module().generate(messages=300, accounts=40, users=8, seed=3, now=NOW)


def test_counts(generated):
    assert generated["database"] == connection.vendor
    assert Message.objects.count() == generated["rows"]["mail_message"] == 300
    assert Account.objects.count() == 40
    assert User.objects.count() == 8
    assert Team.objects.count() == 1 + 3 + 3  # company, departments, one team each
    assert Deal.objects.count() == round(40 * 0.16)
    assert Task.objects.count() == round(40 * 0.6)
    assert Contact.objects.count() >= 40
    assert Thread.objects.count() == generated["rows"]["mail_thread"]
    assert MailboxCopy.objects.count() >= 300
    assert PoolMove.objects.exists()
    assert not Message.objects.filter(sent_at__gte=NOW).exists()


def test_every_message_is_filed_once_on_its_thread_account(generated):
    emails = Activity.objects.filter(kind=ActivityKind.EMAIL)
    assert emails.count() == 300
    assert not Message.objects.filter(activities__isnull=True).exists()
    for entry in emails.select_related("message", "account", "thread"):
        message = entry.message
        assert entry.thread_id == message.thread_id
        assert entry.account_id == entry.thread.account_id
        assert entry.occurred_at == message.sent_at
        assert entry.data == {
            "direction": message.direction,
            "subject": message.subject[:300],
            "automated": message.is_automated,
        }
        # The timeline follows the account: its owner and team (none in the pool).
        assert (entry.owner_id, entry.team_id) == (entry.account.owner_id, entry.account.team_id)
    for thread in Thread.objects.all():
        assert thread.message_count == thread.messages.count()


def test_response_times_are_what_the_clock_records(generated):
    rows = list(ResponseTime.objects.select_related("message", "reply"))
    assert rows
    hours = working_time_for_team(None)
    for rt in rows:
        inbound, reply = rt.message, rt.reply
        assert inbound.direction == Direction.INBOUND and not inbound.is_automated
        assert reply.direction == Direction.OUTBOUND and not reply.is_automated
        assert inbound.thread_id == reply.thread_id == rt.thread_id
        assert reply.sent_at >= inbound.sent_at
        assert (rt.received_at, rt.responded_at) == (inbound.sent_at, reply.sent_at)
        assert rt.minutes == int((reply.sent_at - inbound.sent_at).total_seconds() // 60)
        assert rt.working_minutes == hours.minutes_between(inbound.sent_at, reply.sent_at)
        assert User.objects.filter(pk=rt.responder_id, email=reply.from_email).exists()
    # Each answered customer message has its row, answered by our first reply after it.
    by_thread = defaultdict(list)
    for m in Message.objects.filter(is_automated=False).order_by("sent_at", "id"):
        by_thread[m.thread_id].append(m)
    expected = {}
    for messages in by_thread.values():
        for i, m in enumerate(messages):
            if m.direction == Direction.INBOUND:
                reply = next((r for r in messages[i + 1 :] if r.direction == "outbound"), None)
                if reply is not None:
                    expected[m.pk] = reply.pk
    assert {rt.message_id: rt.reply_id for rt in rows} == expected


def test_awaiting_threads_owe_a_reply(generated):
    for thread in Thread.objects.all():
        last = thread.messages.filter(is_automated=False).order_by("-sent_at", "-id").first()
        owes = last is not None and last.direction == Direction.INBOUND
        assert (thread.awaiting_since is not None) == owes
        assert (thread.reply_due_at is not None) == owes
        if owes:
            assert thread.reply_due_at > thread.awaiting_since


def test_stage_history_is_ordered_and_ends_in_the_deal_stage(generated):
    deals = list(Deal.objects.select_related("stage"))
    assert deals
    for deal in deals:
        changes = list(StageChange.objects.filter(deal=deal).order_by("at", "id"))
        assert changes and changes[0].from_stage_id is None
        assert [c.at for c in changes] == sorted(c.at for c in changes)
        for before, after in zip(changes, changes[1:], strict=False):
            assert after.from_stage_id == before.to_stage_id
        assert changes[-1].to_stage_id == deal.stage_id
        assert changes[-1].at == deal.stage_entered_at
        kind = {DealStatus.OPEN: StageKind.OPEN, DealStatus.WON: StageKind.WON}
        assert deal.stage.kind == kind.get(deal.status, StageKind.LOST)
        assert (deal.closed_at is not None) == (deal.status != DealStatus.OPEN)
        assert (deal.lost_reason_id is not None) == (deal.status == DealStatus.LOST)


def test_pool_accounts_have_no_owner_and_a_reclaim_or_release(generated):
    pooled = Account.objects.filter(pooled_at__isnull=False)
    for account in pooled:
        assert account.owner_id is None
        kinds = set(PoolMove.objects.filter(account=account).values_list("kind", flat=True))
        assert kinds & {"reclaimed", "released"}
    assert not Account.objects.filter(owner__isnull=True, pooled_at__isnull=True).exists()
