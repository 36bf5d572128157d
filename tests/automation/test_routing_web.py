"""The routing pages: who may use them, editing rules, and a test that changes nothing."""
# ruff: noqa: F811 (the web fixtures are imported; test arguments of the same name use them)

from __future__ import annotations

import pytest

from keyou.audit.models import AuditAction, AuditEntry
from keyou.automation.models import RoutingCursor, RoutingRule
from keyou.crm.models import Account
from keyou.mail.services import mailbox_add
from keyou.people.models import Notification, Team
from tests.web.conftest import login, people  # noqa: F401


@pytest.fixture
def sales(people):
    """sales@, a shared mailbox whose fallback team is Europe (alice, bob)."""
    box = mailbox_add(address="sales@demo-trading.com", kind="shared")
    box.team = people.alice.team
    box.save(update_fields=["team"])
    return box


def _rule(people, **fields) -> RoutingRule:
    defaults = {"name": "Europe", "team": people.alice.team, "countries": ["EU"], "position": 10}
    return RoutingRule.objects.create(**{**defaults, **fields})


def _form(people, **fields) -> dict:
    data = {
        "name": "LED to Asia",
        "position": "",
        "enabled": "on",
        "mailbox": "",
        "keywords": "LED, 灯具，lamp",
        "countries": "",
        "languages": "",
        "team": people.carol.team_id,
        "strategy": "round_robin",
        "user": "",
    }
    return {**data, **fields}


def test_pages_need_the_manage_rules_capability(people, sales, login):
    rule = _rule(people)
    carol = login(people.carol)  # a salesperson
    assert carol.get("/automation/routing/").status_code == 403
    assert carol.get("/automation/routing/new/").status_code == 403
    assert carol.post("/automation/routing/new/", _form(people)).status_code == 403
    assert carol.post("/automation/routing/test/", {"sender": "a@b.de"}).status_code == 403
    # A page naming a rule answers as if there were none.
    assert carol.get(f"/automation/routing/{rule.pk}/").status_code == 404
    assert carol.post(f"/automation/routing/{rule.pk}/toggle/").status_code == 404
    assert carol.post(f"/automation/routing/{rule.pk}/delete/").status_code == 404
    assert RoutingRule.objects.filter(pk=rule.pk, enabled=True).exists()
    assert RoutingRule.objects.count() == 1
    from django.test import Client

    anonymous = Client().get("/automation/routing/")
    assert anonymous.status_code == 302 and "/login/" in anonymous["Location"]
    # A team lead and the admin may.
    assert login(people.alice).get("/automation/routing/").status_code == 200
    assert login(people.admin).get(f"/automation/routing/{rule.pk}/").status_code == 200


def test_create_a_rule(people, sales, login):
    alice = login(people.alice)
    _rule(people, position=10)
    response = alice.post(
        "/automation/routing/new/",
        _form(people, countries="cn, eu", languages="ZH,en", mailbox=sales.pk),
    )
    assert response.status_code == 302
    rule = RoutingRule.objects.get(name="LED to Asia")
    assert rule.keywords == ["LED", "灯具", "lamp"]
    assert rule.countries == ["CN", "EU"]
    assert rule.languages == ["zh", "en"]
    assert (rule.mailbox, rule.team.name, rule.strategy, rule.enabled) == (
        sales,
        "Asia",
        "round_robin",
        True,
    )
    assert rule.position == 20  # after the existing rule
    assert AuditEntry.objects.filter(action=AuditAction.CREATE, object_type="routingrule").exists()
    page = alice.get("/automation/routing/").content.decode()
    assert "LED to Asia" in page and "LED, 灯具, lamp" in page
    assert page.index(">Europe<") < page.index("LED to Asia")  # in order


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"countries": "DE, XX"}, "neither a country code"),
        ({"countries": "Europe"}, "neither a country code"),
        ({"languages": "nl"}, "not a language Keyou recognises"),
        ({"strategy": "fixed"}, "Choose the person"),
        ({"name": ""}, "This field is required"),
    ],
)
def test_bad_input_is_a_form_error(people, sales, login, fields, error):
    response = login(people.alice).post("/automation/routing/new/", _form(people, **fields))
    assert response.status_code == 200
    assert error in response.content.decode()
    assert not RoutingRule.objects.exists()


def test_a_fixed_person_must_be_in_the_team(people, sales, login):
    alice = login(people.alice)
    outside = _form(people, strategy="fixed", user=people.alice.pk)  # team Asia, alice in Europe
    response = alice.post("/automation/routing/new/", outside)
    assert "must be a member of the team" in response.content.decode()
    inside = _form(people, strategy="fixed", user=people.carol.pk)
    assert alice.post("/automation/routing/new/", inside).status_code == 302
    assert RoutingRule.objects.get().user == people.carol


def test_edit_toggle_and_delete(people, sales, login):
    alice = login(people.alice)
    rule = _rule(people)
    page = alice.get(f"/automation/routing/{rule.pk}/").content.decode()
    assert 'value="EU"' in page
    response = alice.post(
        f"/automation/routing/{rule.pk}/",
        _form(people, name="Europe and LATAM", countries="EU, LATAM", keywords="", position=5),
    )
    assert response.status_code == 302
    rule.refresh_from_db()
    assert (rule.name, rule.countries, rule.keywords, rule.position) == (
        "Europe and LATAM",
        ["EU", "LATAM"],
        [],
        5,
    )
    alice.post(f"/automation/routing/{rule.pk}/toggle/")
    assert RoutingRule.objects.get(pk=rule.pk).enabled is False
    alice.post(f"/automation/routing/{rule.pk}/toggle/")
    assert RoutingRule.objects.get(pk=rule.pk).enabled is True
    assert alice.get(f"/automation/routing/{rule.pk}/delete/").status_code == 405
    assert alice.post(f"/automation/routing/{rule.pk}/delete/").status_code == 302
    assert not RoutingRule.objects.exists()
    assert alice.get(f"/automation/routing/{rule.pk}/").status_code == 404


def test_the_test_form_shows_the_route_and_changes_nothing(people, sales, login):
    asia = Team.objects.get(name="Asia")
    _rule(people, name="LED", team=asia, keywords=["LED"], countries=[], position=5)
    _rule(people, name="Europe", position=10)
    alice = login(people.alice)
    inquiry = {
        "mailbox": sales.pk,
        "sender": "Hans Müller <hans@firma.de>",
        "subject": "Angebot",
        "text": "Sehr geehrte Damen und Herren, wir bitten um ein Angebot. Mit freundlichen Grüßen",
    }
    accounts = Account.objects.count()
    for _ in range(3):  # the same answer each time: the turn does not move
        response = alice.post("/automation/routing/test/", inquiry)
        assert response.status_code == 200
        page = response.content.decode()
        assert "country DE (domain) → team Europe" in page
        assert "from the sender's domain" in page
        assert "<strong>Alice</strong>" in page
        assert ">de<" in page  # the language
    assert not RoutingCursor.objects.exists()
    assert Account.objects.count() == accounts
    assert not Notification.objects.exists()
    # The keyword rule comes first; an htmx request gets the result alone.
    response = alice.post(
        "/automation/routing/test/", {**inquiry, "subject": "LED panels"}, HTTP_HX_REQUEST="true"
    )
    page = response.content.decode()
    assert page.startswith('<div id="routing-test-result">')
    assert "keyword &#x27;LED&#x27; → team Asia" in page
    assert "carol" in page
    assert not RoutingCursor.objects.exists()


def test_the_test_form_without_a_rule_uses_the_mailbox_team(people, sales, login):
    response = login(people.bob).post(
        "/automation/routing/test/",
        {"mailbox": sales.pk, "sender": "buyer@example.com", "subject": "Hi", "text": ""},
    )
    page = response.content.decode()
    assert "none matched" in page
    assert "no rule matched → team Europe; round robin" in page
