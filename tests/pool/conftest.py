"""Fixtures for the public pool: the web fixtures plus a Europe sales team with a manager.

pool_team  dave and erin (salespeople, Europe), mia (team lead and manager of Europe);
           the company's cooldown is 10 days
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from keyou.people.models import Organization, Team
from keyou.people.services import user_add
from tests.web.conftest import acme_mail, crm, login, people  # noqa: F401


@pytest.fixture
def pool_team(people):  # noqa: F811
    dave = user_add(
        username="dave", email="dave@demo-trading.com", team="Europe", role="salesperson"
    )
    erin = user_add(
        username="erin", email="erin@demo-trading.com", team="Europe", role="salesperson"
    )
    mia = user_add(username="mia", email="mia@demo-trading.com", team="Europe", role="team_lead")
    Team.objects.filter(name="Europe").update(manager=mia)
    Organization.objects.filter(pk=1).update(pool_cooldown_days=10)
    return SimpleNamespace(
        dave=dave, erin=erin, mia=mia, europe=Team.objects.get(name="Europe"), **vars(people)
    )
