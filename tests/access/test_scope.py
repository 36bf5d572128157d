"""Data scopes: own, team and sub-teams, all, region-narrowed; grants widen, then expire."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from keyou.crm.selectors import accounts_visible_to
from keyou.people.access import forget_reach
from keyou.people.models import AccessGrant


def names(user) -> set[str]:
    forget_reach(user)
    return set(accounts_visible_to(user).values_list("name", flat=True))


def test_each_role_sees_what_its_scope_allows(people, crm, staff):
    every = {"Acme Trading Ltd", "Initech GmbH", "Globex Shanghai"}
    assert names(people.admin) == every
    assert names(staff.dora) == every  # director: all
    assert names(staff.sam) == every  # support: all
    assert names(staff.fiona) == every  # finance: all (but no email bodies)
    assert names(people.alice) == {"Acme Trading Ltd", "Initech GmbH"}  # team lead: Europe
    assert names(people.carol) == {"Globex Shanghai"}  # salesperson: own
    assert names(staff.sid) == set()  # salesperson in Europe owning nothing


def test_a_team_lead_of_a_parent_team_sees_the_sub_teams(people, crm, staff):
    from keyou.people.services import user_add

    lead = user_add(username="sally", email="sally@demo-trading.com", team="Sales",
                    role="team_lead")  # fmt: skip
    assert names(lead) == {"Acme Trading Ltd", "Initech GmbH", "Globex Shanghai"}


def test_a_regional_manager_sees_only_her_regions(people, crm, staff):
    # rita: regions EU → Initech (DE); Acme is GB (not EU), Globex CN.
    assert names(staff.rita) == {"Initech GmbH"}
    staff.rita.regions = ["EU", "CN"]
    staff.rita.save()
    assert names(staff.rita) == {"Initech GmbH", "Globex Shanghai"}


def test_a_grant_widens_until_it_expires(people, crm, staff):
    grant = AccessGrant.objects.create(
        user=people.carol, granted_by=people.alice, expires_at=timezone.now() + timedelta(hours=1)
    )
    grant.accounts.add(crm.acme)
    assert names(people.carol) == {"Globex Shanghai", "Acme Trading Ltd"}
    grant.expires_at = timezone.now() - timedelta(seconds=1)
    grant.save()
    assert names(people.carol) == {"Globex Shanghai"}


def test_a_director_with_a_grant_still_sees_everything(people, crm, staff):
    grant = AccessGrant.objects.create(
        user=staff.dora, granted_by=people.admin, expires_at=timezone.now() + timedelta(hours=1)
    )
    grant.accounts.add(crm.acme)
    assert len(names(staff.dora)) == 3
