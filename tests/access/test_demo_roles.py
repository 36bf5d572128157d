"""The demo company: people of different roles see exactly what their role allows."""

from __future__ import annotations

import pytest

from keyou.crm.models import Account
from keyou.crm.selectors import accounts_visible_to
from keyou.demo.setup import demo_build
from keyou.mail.selectors import may_read_bodies
from keyou.people.access import can, region_countries
from keyou.people.models import User


@pytest.fixture
def demo(db, tmp_path):
    return demo_build(work_dir=tmp_path / "demo", messages=400, seed=3)


def _visible(user) -> set[int]:
    return set(accounts_visible_to(user).values_list("pk", flat=True))


def test_demo_roles_see_what_their_role_allows(demo):
    every = set(Account.objects.values_list("pk", flat=True))
    lead = User.objects.filter(role__slug="team_lead").order_by("pk").first()
    seller = User.objects.filter(role__slug="salesperson", team=lead.team).order_by("pk").first()
    director = User.objects.get(username="director")
    rita = User.objects.get(username="rita")
    finance = User.objects.get(username="finance")
    assert lead.team.manager_id == lead.pk

    assert _visible(director) == every
    assert _visible(finance) == every and not may_read_bodies(finance)
    team_rows = set(Account.objects.filter(team=lead.team).values_list("pk", flat=True))
    own_rows = set(Account.objects.filter(owner=lead).values_list("pk", flat=True))
    assert _visible(lead) == team_rows | own_rows
    assert _visible(seller) == set(
        Account.objects.filter(owner=seller).values_list("pk", flat=True)
    )
    assert _visible(seller) < _visible(lead) < every
    eu = region_countries(["EU"])
    assert _visible(rita) == set(
        Account.objects.filter(country__in=eu).values_list("pk", flat=True)
    )
    assert can(director, "export") and can(lead, "export") and not can(seller, "export")
