"""Fixtures for access control: the web fixtures plus one user of every built-in role.

people, crm, acme_mail, login   as in tests/web/conftest.py (alice and bob lead Europe,
                                carol is a salesperson in Asia, admin is an admin)
staff   dora (sales director), rita (regional manager for EU), sam (support),
        fiona (finance), mark (marketing), sid (salesperson in Europe, owns nothing)
        under the company tree Demo Trading → Sales → Europe / Asia
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from keyou.people.services import team_ensure, user_add
from tests.web.conftest import acme_mail, crm, login, people  # noqa: F401


@pytest.fixture
def staff(people):  # noqa: F811
    team_ensure(name="Demo Trading")
    team_ensure(name="Sales", parent="Demo Trading")
    team_ensure(name="Europe", parent="Sales")
    team_ensure(name="Asia", parent="Sales")

    def add(username: str, role: str, team: str = "Sales", **kw):
        return user_add(
            username=username, email=f"{username}@demo-trading.com", team=team, role=role, **kw
        )

    return SimpleNamespace(
        dora=add("dora", "director"),
        rita=add("rita", "regional_manager", regions=["EU"]),
        sam=add("sam", "support"),
        fiona=add("fiona", "finance"),
        mark=add("mark", "marketing"),
        sid=add("sid", "salesperson", team="Europe"),
    )
