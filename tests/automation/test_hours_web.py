"""The business-hours pages: who may open them, saving, refusing bad hours, deleting."""

from __future__ import annotations

import pytest

from keyou.audit.models import AuditAction, AuditEntry
from keyou.automation.calendars import calendar_save
from keyou.automation.models import BusinessCalendar
from keyou.automation.sla import InvalidHours, calendar_for_team
from keyou.people.access import NotAllowed
from keyou.people.models import Team
from keyou.people.services import user_add
from tests.web.conftest import login, people  # noqa: F401

FORM = {
    "name": "Company",
    "team": "",
    "time_zone": "Asia/Shanghai",
    "workdays": ["0", "1", "2", "3", "4"],
    "periods": "09:00-12:00, 13:30-18:00",
    "holidays": "2026-10-01..2026-10-07 off  # National Day\n2026-10-10 work\n",
    "reply_minutes": "240",
    "inquiry_reply_minutes": "30",
}


@pytest.fixture
def europe_hours(people):  # noqa: F811
    return calendar_save(
        actor=people.admin,
        team="Europe",
        time_zone="Europe/Berlin",
        periods=[["08:00", "17:00"]],
        reply_minutes=120,
    )


def test_anonymous_users_are_sent_to_log_in(client, db):
    response = client.get("/automation/hours/")
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_a_salesperson_may_not_open_the_pages(people, login, europe_hours):  # noqa: F811
    carol = login(people.carol)
    assert carol.get("/automation/hours/").status_code == 403
    assert carol.get("/automation/hours/new/").status_code == 403
    assert carol.post("/automation/hours/new/", FORM).status_code == 403
    # The page of one calendar answers like a missing one.
    assert carol.get(f"/automation/hours/{europe_hours.pk}/").status_code == 404
    assert carol.post(f"/automation/hours/{europe_hours.pk}/", {"delete": "1"}).status_code == 404
    assert BusinessCalendar.objects.filter(pk=europe_hours.pk).exists()
    with pytest.raises(NotAllowed):
        calendar_save(actor=people.carol, name="Mine")


def test_the_list_shows_calendars_and_what_each_team_inherits(people, login, europe_hours):  # noqa: F811
    Team.objects.create(name="Berlin", parent=europe_hours.team)
    page = login(people.admin).get("/automation/hours/")
    assert page.status_code == 200
    body = page.content.decode()
    assert "Europe/Berlin" in body and "08:00-17:00" in body
    assert "inherited from Europe" in body
    assert "Built in" in body  # no company default yet: Asia runs on the built-in hours


def test_admin_saves_the_company_default_with_holidays(people, login):  # noqa: F811
    admin = login(people.admin)
    form = admin.get("/automation/hours/new/")
    assert form.status_code == 200 and "09:00-12:00, 13:30-18:00" in form.content.decode()
    response = admin.post("/automation/hours/new/", FORM)
    assert response.status_code == 302 and response["Location"] == "/automation/hours/"
    calendar = BusinessCalendar.objects.get(team__isnull=True)
    assert calendar.periods == [["09:00", "12:00"], ["13:30", "18:00"]]
    assert calendar.holidays["2026"]["work"] == ["2026-10-10"]
    assert len(calendar.holidays["2026"]["off"]) == 7
    entry = AuditEntry.objects.get(object_type="businesscalendar", object_id=str(calendar.pk))
    assert entry.action == AuditAction.CREATE and entry.actor == people.admin
    assert calendar_for_team(people.carol.team_id) == calendar  # Asia runs on it now

    page = admin.get(f"/automation/hours/{calendar.pk}/").content.decode()
    assert "2026-10-01..2026-10-07 off" in page and "2026-10-10 work" in page


def test_a_team_lead_with_manage_rules_changes_a_teams_hours(people, login, europe_hours):  # noqa: F811
    alice = login(people.alice)
    data = {
        **FORM,
        "name": "Europe office",
        "team": str(europe_hours.team_id),
        "time_zone": "Europe/London",
        "workdays": ["0", "1", "2", "3"],
        "periods": "08:30-16:30",
        "holidays": "",
        "reply_minutes": "90",
    }
    response = alice.post(f"/automation/hours/{europe_hours.pk}/", data)
    assert response.status_code == 302
    europe_hours.refresh_from_db()
    assert (europe_hours.name, europe_hours.time_zone) == ("Europe office", "Europe/London")
    assert europe_hours.workdays == [0, 1, 2, 3] and europe_hours.reply_minutes == 90
    change = AuditEntry.objects.get(action=AuditAction.CHANGE, object_id=str(europe_hours.pk))
    assert change.data["before"]["time_zone"] == "Europe/Berlin"
    assert "holidays" not in change.data["after"]  # unchanged fields are not logged


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        ("periods", "09:00-12:00, 11:00-13:00", "overlap"),
        ("periods", "9 to 5", "write it as 09:00-12:00"),
        ("holidays", "2026-10-01 off\n2026-10-32 off", "line 2"),
        ("workdays", [], "Choose at least one working day."),
        ("reply_minutes", "0", "greater than or equal to 1"),
    ],
)
def test_invalid_hours_show_an_error_and_save_nothing(people, login, field, value, error):  # noqa: F811
    response = login(people.admin).post("/automation/hours/new/", {**FORM, field: value})
    assert response.status_code == 200
    assert error in response.content.decode()
    assert 'class="field has-error' in response.content.decode() or "form-errors" in (
        response.content.decode()
    )
    assert not BusinessCalendar.objects.exists()


def test_a_team_has_one_calendar(people, login, europe_hours):  # noqa: F811
    data = {**FORM, "team": str(europe_hours.team_id)}
    response = login(people.admin).post("/automation/hours/new/", data)
    assert response.status_code == 200
    assert "already has business hours" in response.content.decode()
    assert BusinessCalendar.objects.count() == 1


def test_deleting_hours_falls_back_and_is_audited(people, login, europe_hours):  # noqa: F811
    admin = login(people.admin)
    response = admin.post(f"/automation/hours/{europe_hours.pk}/", {"delete": "1"})
    assert response.status_code == 302
    assert not BusinessCalendar.objects.exists()
    assert calendar_for_team(europe_hours.team_id).pk is None
    assert AuditEntry.objects.filter(
        action=AuditAction.DELETE, object_type="businesscalendar"
    ).exists()
    assert admin.get(f"/automation/hours/{europe_hours.pk}/").status_code == 404


def test_the_service_refuses_hours_without_a_working_weekday(people):  # noqa: F811
    with pytest.raises(InvalidHours, match="at least one working day"):
        calendar_save(actor=people.admin, workdays=[], holidays={"2026": {"work": ["2026-10-10"]}})
    with pytest.raises(InvalidHours, match="unknown time zone"):
        calendar_save(actor=people.admin, time_zone="Asia/Atlantis")
    assert not BusinessCalendar.objects.exists()


@pytest.mark.parametrize("role", ["salesperson", "regional_manager", "support", "finance"])
def test_roles_without_manage_rules_never_reach_a_calendar(people, login, europe_hours, role):  # noqa: F811
    outsider = login(user_add(username="x", email="x@demo-trading.com", team="Europe", role=role))
    for method in ("get", "post"):
        response = getattr(outsider, method)(f"/automation/hours/{europe_hours.pk}/")
        assert response.status_code == 404
        assert "Europe/Berlin" not in response.content.decode()
    assert login(people.alice).get(f"/automation/hours/{europe_hours.pk}/").status_code == 200
