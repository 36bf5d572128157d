"""The public pool pages: the pool list and claims, release, policies, approvals, the ledger."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from keyou.crm.models import Account, Tier
from keyou.people.models import Organization, Team
from keyou.people.roles import role_get
from keyou.people.services import user_add
from keyou.pool.models import (
    ApprovalStatus,
    MoveKind,
    PoolMove,
    PoolPolicy,
    ReclaimApproval,
    ReclaimTrigger,
)
from keyou.pool.services import account_claim


@pytest.fixture
def team(people):
    dave = user_add(
        username="dave", email="dave@demo-trading.com", team="Europe", role="salesperson"
    )
    mia = user_add(username="mia", email="mia@demo-trading.com", team="Europe", role="team_lead")
    Team.objects.filter(name="Europe").update(manager=mia)
    role = role_get("salesperson")
    role.pool_max_accounts, role.pool_claims_per_day = 50, 10
    role.save()
    Organization.objects.filter(pk=1).update(pool_cooldown_days=10)
    europe = Team.objects.get(name="Europe")
    return dave, mia, europe


def _pool(name: str, team=None, **fields) -> Account:
    return Account.objects.create(
        name=name, team=team, pooled_at=timezone.now() - timedelta(days=2), **fields
    )


def test_the_pool_list_shows_my_pool_and_my_limits(team, people, login, crm):
    dave, _mia, europe = team
    _pool("Berlin Lamps", europe, country="DE", tier=Tier.A)
    _pool("Paris Bulbs", europe, country="FR")
    _pool("Shanghai Only", people.carol.team, country="CN")
    account_claim(actor=dave, account=_pool("Held One", europe))
    page = login(dave).get(reverse("pool_list"))
    assert page.status_code == 200
    text = page.content.decode()
    assert "Berlin Lamps" in text and "Paris Bulbs" in text
    assert "Shanghai Only" not in text and "Held One" not in text
    assert "Holding 1 of 50" in text and "1 of 10 claims today" in text
    filtered = (
        login(dave).get(reverse("pool_list"), {"country": "de", "tier": "A"}).content.decode()
    )
    assert "Berlin Lamps" in filtered and "Paris Bulbs" not in filtered
    assert "Paris" in login(dave).get(reverse("pool_list"), {"q": "paris"}).content.decode()


def test_claim_from_the_list(team, login, people):
    dave, _mia, europe = team
    account = _pool("Claim Me", europe)
    response = login(dave).post(reverse("pool_claim", kwargs={"pk": account.pk}))
    assert response.status_code == 302
    assert response["Location"] == reverse("account_detail", kwargs={"pk": account.pk})
    account.refresh_from_db()
    assert account.owner == dave
    # Too late for carol: the account is not in her pool (and was not): not found.
    assert (
        login(people.carol).post(reverse("pool_claim", kwargs={"pk": account.pk})).status_code
        == 404
    )
    # A claim refused for a reason comes back as a message on the pool page.
    response = login(dave).post(reverse("pool_claim", kwargs={"pk": account.pk}), follow=True)
    assert "You already own this account." in response.content.decode()


def test_release_from_the_account_page(team, login):
    dave, mia, europe = team
    account = _pool("Release Me", europe)
    account_claim(actor=dave, account=account)
    page = login(dave).get(reverse("account_detail", kwargs={"pk": account.pk})).content.decode()
    assert "Release to pool" in page
    response = login(dave).post(
        reverse("account_release", kwargs={"pk": account.pk}), {"reason": "wrong market"}
    )
    # Dave (own scope) no longer sees it: back to the pool list.
    assert response["Location"] == reverse("pool_list")
    account.refresh_from_db()
    assert account.owner is None
    assert (
        PoolMove.objects.get(account=account, kind=MoveKind.RELEASED).data["reason"]
        == "wrong market"
    )
    # Mia sees the team's pool account on its page, with a Claim button.
    page = login(mia).get(reverse("account_detail", kwargs={"pk": account.pk})).content.decode()
    assert (
        "In the public pool since" in page
        and reverse("pool_claim", kwargs={"pk": account.pk}) in page
    )


def test_release_of_someone_elses_account(team, login, people, crm):
    dave, _mia, _europe = team
    # Carol cannot see acme: not found. Dave cannot either.
    assert (
        login(people.carol).post(reverse("account_release", kwargs={"pk": crm.acme.pk})).status_code
        == 404
    )
    # Bob (team lead of Europe, may assign) can give alice's acme back.
    response = login(people.bob).post(reverse("account_release", kwargs={"pk": crm.acme.pk}))
    assert response.status_code == 302
    crm.acme.refresh_from_db()
    assert crm.acme.owner is None


def test_policies_need_manage_rules(team, login):
    dave, mia, europe = team
    assert login(dave).get(reverse("pool_policies")).status_code == 403
    assert login(dave).get(reverse("pool_policy_new")).status_code == 403
    response = login(mia).post(
        reverse("pool_policy_new"),
        {
            "name": "Key accounts",
            "trigger": ReclaimTrigger.NO_FOLLOW_UP,
            "after": "20",
            "after_unit": "days",
            "tiers": ["A"],
            "tags": "fair, vip",
            "warn_hours": "24",
            "protection_days": "7",
            "requires_approval": "on",
            "redistribute": "round_robin",
            "redistribute_team": str(europe.pk),
            "enabled": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()
    policy = PoolPolicy.objects.get(name="Key accounts")
    assert (policy.after_hours, policy.tiers, policy.tags, policy.requires_approval) == (
        480,
        ["A"],
        ["fair", "vip"],
        True,
    )
    listed = login(mia).get(reverse("pool_policies")).content.decode()
    assert "Key accounts" in listed and "20 days" in listed
    edit = reverse("pool_policy_edit", kwargs={"pk": policy.pk})
    assert login(dave).get(edit).status_code == 404
    assert login(mia).get(edit).status_code == 200
    response = login(mia).post(
        edit,
        {
            "name": "Key accounts",
            "trigger": ReclaimTrigger.NO_FIRST_CONTACT,
            "after": "72",
            "after_unit": "hours",
            "warn_hours": "12",
            "protection_days": "3",
            "redistribute": "stay",
        },
    )
    assert response.status_code == 302
    policy.refresh_from_db()
    assert (policy.trigger, policy.after_hours, policy.enabled) == ("no_first_contact", 72, False)


def test_approvals_are_decided_by_the_manager(team, login, people):
    dave, mia, europe = team
    policy = PoolPolicy.objects.create(name="Key", trigger=ReclaimTrigger.NO_FOLLOW_UP)
    account = Account.objects.create(name="Key Co", owner=dave, team=europe)
    approval = ReclaimApproval.objects.create(
        account=account, policy=policy, owner=dave, requested_at=timezone.now()
    )
    assert "Key Co" in login(mia).get(reverse("pool_approvals")).content.decode()
    assert "Key Co" not in login(people.carol).get(reverse("pool_approvals")).content.decode()
    decide = reverse("pool_approval_decide", kwargs={"pk": approval.pk, "decision": "reject"})
    assert login(people.carol).post(decide).status_code == 404
    assert login(mia).post(decide).status_code == 302
    approval.refresh_from_db()
    account.refresh_from_db()
    assert approval.status == ApprovalStatus.REJECTED and account.protected_until is not None
    # The account page says so.
    page = login(dave).get(reverse("account_detail", kwargs={"pk": account.pk})).content.decode()
    assert "Protected until" in page
    again = ReclaimApproval.objects.create(
        account=account, policy=policy, owner=dave, requested_at=timezone.now()
    )
    url = reverse("pool_approval_decide", kwargs={"pk": again.pk, "decision": "approve"})
    assert login(mia).post(url).status_code == 302
    account.refresh_from_db()
    assert account.owner is None
    bogus = reverse("pool_approval_decide", kwargs={"pk": again.pk, "decision": "maybe"})
    assert login(mia).post(bogus).status_code == 404


def test_the_ledger_is_scoped(team, login, people):
    dave, _mia, europe = team
    account = _pool("Ledger Co", europe)
    account_claim(actor=dave, account=account)
    assert "Ledger Co" in login(dave).get(reverse("pool_moves")).content.decode()
    assert "Ledger Co" not in login(people.carol).get(reverse("pool_moves")).content.decode()
    claimed = login(dave).get(reverse("pool_moves"), {"kind": "claimed"}).content.decode()
    assert "Ledger Co" in claimed
    assert (
        "Ledger Co"
        not in login(dave).get(reverse("pool_moves"), {"kind": "released"}).content.decode()
    )


def test_pages_in_chinese(team, login):
    dave, mia, _europe = team
    client = login(mia)
    for name in ("pool_list", "pool_moves", "pool_approvals", "pool_policies", "pool_policy_new"):
        response = client.get(reverse(name), HTTP_ACCEPT_LANGUAGE="zh-hans")
        assert response.status_code == 200, name
