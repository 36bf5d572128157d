"""Claiming and releasing pool accounts: who sees the pool, limits, cooldown, races."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from keyou.audit.models import AuditEntry
from keyou.automation.models import Event
from keyou.crm.models import Account, Activity, ActivityKind, Contact
from keyou.crm.selectors import NotFound
from keyou.people.access import NotAllowed
from keyou.people.models import User
from keyou.people.roles import role_get
from keyou.people.services import user_add
from keyou.pool.models import MoveKind, PoolMove
from keyou.pool.selectors import pool_accounts_visible_to, pool_limits_for
from keyou.pool.services import PoolRefused, account_claim, account_release

NOON = datetime(2026, 5, 4, 4, 0, tzinfo=UTC)  # 12:00 in Shanghai


def _pool(name: str, team=None, **fields) -> Account:
    return Account.objects.create(
        name=name, team=team, pooled_at=NOON - timedelta(days=3), **fields
    )


def test_who_sees_the_pool(pool_team, crm):
    europe = _pool("Euro Pool", pool_team.europe)
    asia = _pool("Asia Pool", crm.globex.team)
    loose = _pool("No Team Pool")
    # A salesperson (own scope) sees their own team's pool and the pool of no team.
    assert set(pool_accounts_visible_to(pool_team.dave)) == {europe, loose}
    assert set(pool_accounts_visible_to(pool_team.carol)) == {asia, loose}
    # Owned accounts are never in the pool.
    assert crm.acme not in pool_accounts_visible_to(pool_team.admin)
    assert set(pool_accounts_visible_to(pool_team.admin)) == {europe, asia, loose}
    # A role without the claim capability sees only what its ordinary scope shows.
    finance = user_add(username="fin", email="fin@demo-trading.com", team="Asia", role="finance")
    role = role_get("finance")
    role.scope = "own"
    role.save()
    finance = User.objects.get(pk=finance.pk)  # with the changed role
    assert list(pool_accounts_visible_to(finance)) == []


def test_claim_takes_the_account_with_its_rows(pool_team):
    account = _pool("Claimable", pool_team.europe, country="DE")
    contact = Contact.objects.create(account=account, name="Eve", team=pool_team.europe)
    claimed = account_claim(actor=pool_team.dave, account=account.pk, now=NOON)
    assert (claimed.owner, claimed.team, claimed.assigned_at) == (
        pool_team.dave,
        pool_team.europe,
        NOON,
    )
    assert claimed.pooled_at is None and claimed.protected_until is None
    contact.refresh_from_db()
    assert contact.owner == pool_team.dave
    move = PoolMove.objects.get(account=account)
    assert (move.kind, move.user, move.actor, move.at) == (
        "claimed",
        pool_team.dave,
        pool_team.dave,
        NOON,
    )
    entry = Activity.objects.get(account=account, kind=ActivityKind.POOL)
    assert entry.data["move"] == "claimed" and entry.owner == pool_team.dave
    assert AuditEntry.objects.filter(object_id=str(account.pk), data__pool="claimed").exists()
    event = Event.objects.get(kind="account.owner_changed", account_id=account.pk)
    assert event.data == {"from": None, "to": pool_team.dave.pk, "claim": True}


def test_claim_outside_my_pool_is_not_found(pool_team, crm):
    asia = _pool("Asia only", crm.globex.team)
    with pytest.raises(NotFound):
        account_claim(actor=pool_team.dave, account=asia, now=NOON)
    with pytest.raises(NotFound):
        account_claim(actor=pool_team.dave, account=999_999, now=NOON)
    # An owned account the user cannot see is "not found" too, never "taken".
    with pytest.raises(NotFound):
        account_claim(actor=pool_team.dave, account=crm.globex, now=NOON)


def test_claim_needs_the_capability(pool_team):
    role = role_get("salesperson")
    role.capabilities = [c for c in role.capabilities if c != "claim_pool"]
    role.scope = "team"
    role.save()
    dave = User.objects.get(pk=pool_team.dave.pk)
    account = _pool("Team pool", pool_team.europe)
    with pytest.raises(NotAllowed):
        account_claim(actor=dave, account=account, now=NOON)


def test_the_loser_is_told_who_won_only_if_they_may_see_it(pool_team):
    account = _pool("Contested", pool_team.europe)
    account_claim(actor=pool_team.erin, account=account, now=NOON)
    # Dave (own scope) cannot see erin's accounts: "someone else".
    with pytest.raises(PoolRefused, match="already claimed by someone else"):
        account_claim(actor=pool_team.dave, account=account, now=NOON)
    # Mia leads the team: she sees who took it.
    with pytest.raises(PoolRefused, match="already claimed by erin"):
        account_claim(actor=pool_team.mia, account=account, now=NOON)
    with pytest.raises(PoolRefused, match="You already own this account"):
        account_claim(actor=pool_team.erin, account=account, now=NOON)


def test_max_held_and_claims_per_day(pool_team):
    role = role_get("salesperson")
    role.pool_max_accounts, role.pool_claims_per_day = 3, 2
    role.save()
    pool_team.dave = User.objects.get(pk=pool_team.dave.pk)
    accounts = [_pool(f"Pool {i}", pool_team.europe) for i in range(5)]
    account_claim(actor=pool_team.dave, account=accounts[0], now=NOON)
    account_claim(actor=pool_team.dave, account=accounts[1], now=NOON + timedelta(minutes=1))
    with pytest.raises(PoolRefused, match="today's 2 claims"):
        account_claim(actor=pool_team.dave, account=accounts[2], now=NOON + timedelta(hours=2))
    limits = pool_limits_for(pool_team.dave, now=NOON + timedelta(hours=2))
    assert (limits.held, limits.max_held, limits.claimed_today, limits.claims_per_day) == (
        2,
        3,
        2,
        2,
    )
    # A new day starts at midnight Shanghai time (16:00 UTC).
    next_day = datetime(2026, 5, 4, 16, 0, tzinfo=UTC)
    with pytest.raises(PoolRefused):
        account_claim(
            actor=pool_team.dave, account=accounts[2], now=next_day - timedelta(minutes=1)
        )
    account_claim(actor=pool_team.dave, account=accounts[2], now=next_day)
    with pytest.raises(PoolRefused, match="hold 3 accounts, the most your role allows \\(3\\)"):
        account_claim(actor=pool_team.dave, account=accounts[3], now=next_day + timedelta(hours=1))
    # Releasing one makes room again.
    account_release(actor=pool_team.dave, account=accounts[0], now=next_day + timedelta(hours=2))
    account_claim(actor=pool_team.dave, account=accounts[3], now=next_day + timedelta(hours=3))


def test_release_and_cooldown(pool_team):
    account = _pool("Boomerang", pool_team.europe)
    account_claim(actor=pool_team.dave, account=account, now=NOON)
    released = account_release(
        actor=pool_team.dave, account=account, reason="not our market", now=NOON + timedelta(days=1)
    )
    assert released.owner is None and released.pooled_at == NOON + timedelta(days=1)
    move = PoolMove.objects.get(account=account, kind=MoveKind.RELEASED)
    assert move.user == pool_team.dave and move.data == {"reason": "not our market"}
    assert AuditEntry.objects.filter(
        object_id=str(account.pk), data__reason="not our market"
    ).exists()
    with pytest.raises(PoolRefused, match="in the public pool already"):
        account_release(actor=pool_team.mia, account=account, now=NOON + timedelta(days=1))
    # The cooldown (10 days here) keeps dave out, and says until when (his local time).
    with pytest.raises(PoolRefused, match="claim it again from 2026-05-15 12:00"):
        account_claim(actor=pool_team.dave, account=account, now=NOON + timedelta(days=10))
    # Someone else may take it meanwhile, and dave may claim it after the cooldown.
    account_claim(actor=pool_team.dave, account=account, now=NOON + timedelta(days=11))


def test_release_by_someone_else_needs_assign(pool_team):
    account = _pool("Held", pool_team.europe)
    account_claim(actor=pool_team.dave, account=account, now=NOON)
    with pytest.raises(NotFound):  # erin (own scope) cannot see dave's account
        account_release(actor=pool_team.erin, account=account, now=NOON)
    account_release(actor=pool_team.mia, account=account, reason="rebalance", now=NOON)
    move = PoolMove.objects.get(account=account, kind=MoveKind.RELEASED)
    assert (move.user, move.actor) == (pool_team.dave, pool_team.mia)
