"""Sensitive actions ask for the password again when the login is old."""

from __future__ import annotations

import time

from django.test import Client

from keyou.people.services import user_add
from keyou.web.reauth import SESSION_KEY


def test_an_old_login_must_enter_the_password_before_exporting(people, crm):
    user_add(username="dora", email="dora@demo-trading.com", role="director", password="pw-12345")
    client = Client()
    assert client.login(username="dora", password="pw-12345")
    session = client.session
    session[SESSION_KEY] = int(time.time()) - 3600  # logged in an hour ago
    session.save()

    response = client.get("/exports/accounts.csv")
    assert response.status_code == 302 and response["Location"].startswith("/reauth/")

    wrong = client.post("/reauth/", {"password": "nope", "next": "/exports/accounts.csv"})
    assert wrong.status_code == 200 and b"That is not your password" in wrong.content
    right = client.post("/reauth/", {"password": "pw-12345", "next": "/exports/accounts.csv"})
    assert right.status_code == 302 and right["Location"] == "/exports/accounts.csv"
    export = client.get("/exports/accounts.csv")
    assert export.status_code == 200 and b"Acme Trading" in export.content


def test_reauth_never_redirects_off_site(people):
    user_add(username="dora", email="dora@demo-trading.com", role="director", password="pw-12345")
    client = Client()
    client.login(username="dora", password="pw-12345")
    response = client.post("/reauth/", {"password": "pw-12345", "next": "https://evil.example/"})
    assert response["Location"] == "/"
