"""Preferences, the per-user language and time zone, login and logout, the layout."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from keyou.people.services import organization_set


def test_home_redirects_to_customers(login, people):
    response = login(people.alice).get("/")
    assert response.status_code == 302 and response["Location"] == reverse("account_list")


def test_preferences_page(login, people):
    response = login(people.alice).get(reverse("preferences"))
    body = response.content.decode()
    assert response.status_code == 200
    assert 'value="Europe/Berlin"' in body and 'value="en"' in body


def test_language_switch(login, people, crm):
    client = login(people.alice)
    response = client.post(reverse("preferences"), {"language": "en", "time_zone": ""})
    assert response.status_code == 302
    people.alice.refresh_from_db()
    assert people.alice.language == "en"
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"

    page = client.get(reverse("account_list"))
    assert '<html lang="en">' in page.content.decode()
    assert page.wsgi_request.LANGUAGE_CODE == "en"

    client.post(reverse("preferences"), {"language": "zh-hans", "time_zone": ""})
    page = client.get(reverse("account_list"))
    assert '<html lang="zh-hans">' in page.content.decode()


def test_language_follows_the_user_not_the_browser(login, people):
    people.alice.language = "en"
    people.alice.save()
    page = login(people.alice).get(reverse("account_list"), headers={"Accept-Language": "zh-CN"})
    assert '<html lang="en">' in page.content.decode()


def test_without_a_choice_the_browser_language_applies(login, people):
    page = login(people.bob).get(reverse("account_list"), headers={"Accept-Language": "en"})
    assert '<html lang="en">' in page.content.decode()


def test_time_zone_preference_and_fallback(login, people, crm):
    client = login(people.alice)
    # No preference: the organisation's zone (Asia/Shanghai); acme last inbound 08:30 UTC.
    assert "2026-03-02 16:30" in client.get(reverse("account_list")).content.decode()

    organization_set(time_zone="America/New_York")
    assert "2026-03-02 03:30" in client.get(reverse("account_list")).content.decode()

    client.post(reverse("preferences"), {"language": "", "time_zone": "Asia/Kolkata"})
    people.alice.refresh_from_db()
    assert people.alice.time_zone == "Asia/Kolkata"
    page = client.get(reverse("account_list")).content.decode()
    assert "2026-03-02 14:00" in page and "Asia/Kolkata" in page


def test_time_zone_does_not_leak_to_the_next_request(login, people, client):
    people.alice.time_zone = "Pacific/Auckland"
    people.alice.save()
    login(people.alice).get(reverse("preferences"))
    client.get(reverse("login"))
    assert timezone.get_current_timezone_name() == settings.TIME_ZONE


def test_bad_preferences_are_form_errors(login, people):
    client = login(people.alice)
    for data in (
        {"language": "klingon", "time_zone": ""},
        {"language": "en", "time_zone": "Mars/Olympus_Mons"},
    ):
        response = client.post(reverse("preferences"), data)
        assert response.status_code == 200 and response.context["form"].errors
    people.alice.refresh_from_db()
    assert (people.alice.language, people.alice.time_zone) == ("", "")


def test_unknown_stored_zone_falls_back(login, people, crm):
    people.alice.time_zone = "Nowhere/Special"
    people.alice.language = "xx"
    people.alice.save()
    response = login(people.alice).get(reverse("account_list"))
    assert response.status_code == 200
    assert "2026-03-02 16:30" in response.content.decode()


def test_login_and_logout(client, people):
    people.alice.set_password("s3cret-pass")
    people.alice.save()
    page = client.get(reverse("login"))
    assert page.status_code == 200 and 'name="password"' in page.content.decode()

    bad = client.post(reverse("login"), {"username": "alice", "password": "wrong"})
    assert bad.status_code == 200 and "form-errors" in bad.content.decode()

    ok = client.post(reverse("login"), {"username": "alice", "password": "s3cret-pass"})
    assert ok.status_code == 302
    assert client.get(reverse("account_list")).status_code == 200

    out = client.post(reverse("logout"))
    assert out.status_code == 302
    assert client.get(reverse("account_list")).status_code == 302


def test_header_search_box_menu_and_admin_link(login, people):
    body = login(people.alice).get(reverse("account_list")).content.decode()
    assert f'action="{reverse("search")}"' in body and 'name="q"' in body
    assert reverse("preferences") in body and f'action="{reverse("logout")}"' in body
    assert reverse("problem_list") not in body
    assert "django_htmx/htmx-2.min.js" in body and "web/keyou.css" in body
    assert (
        reverse("problem_list") in login(people.admin).get(reverse("account_list")).content.decode()
    )
