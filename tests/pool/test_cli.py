"""The `keyou pool` command: list, claim, release, sweep, policies, approvals."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from keyou.crm.models import Account
from keyou.pool.models import PoolPolicy, ReclaimTrigger


def _run(*args: str) -> str:
    out = StringIO()
    call_command("pool", *args, stdout=out)
    return out.getvalue()


def test_claim_release_and_list(pool_team):
    account = Account.objects.create(name="Pooled Co", team=pool_team.europe, country="DE")
    Account.objects.create(name="Asia Co", team=pool_team.carol.team)
    listed = json.loads(_run("list", "--user", "dave", "--json"))
    assert [r["name"] for r in listed] == ["Pooled Co"]
    assert "Asia Co" in _run("list")
    assert "now belongs to dave" in _run("claim", str(account.pk), "--user", "dave")
    with pytest.raises(CommandError, match="You already own this account"):
        _run("claim", str(account.pk), "--user", "dave")
    assert "is in the pool" in _run("release", str(account.pk), "--user", "dave", "--reason", "x")
    with pytest.raises(CommandError, match="claim it again"):
        _run("claim", str(account.pk), "--user", "dave")
    with pytest.raises(CommandError, match="not found"):
        _run("claim", "999999", "--user", "dave")


def test_sweep_policies_and_approvals(pool_team):
    PoolPolicy.objects.create(
        name="Everything",
        trigger=ReclaimTrigger.NO_FOLLOW_UP,
        after_hours=24,
        requires_approval=True,
    )
    Account.objects.create(
        name="Quiet Co",
        owner=pool_team.dave,
        team=pool_team.europe,
        assigned_at=datetime(2026, 1, 1, tzinfo=UTC),
    )
    assert "Everything" in _run("policies")
    first = json.loads(_run("sweep", "--now", "2026-01-05T10:00+00:00", "--json"))
    assert first["warned"] == 1
    second = _run("sweep", "--now", (datetime(2026, 1, 6, 10, tzinfo=UTC)).isoformat())
    assert "approvals asked 1" in second
    (row,) = json.loads(_run("approvals", "--json"))
    assert row["account"] == "Quiet Co" and row["owner"] == "dave"
