"""The security baseline: login lockout, session expiry, headers, HTTPS cookies, two-factor."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.contrib.auth import SESSION_KEY
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django_otp.oath import TOTP, totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from keyou.api.services import token_create
from keyou.audit.models import AuditAction, AuditEntry
from keyou.web.security import LOGIN_AT, SEEN_AT

PASSWORD = "correct horse battery"
TEMPLATES = Path(__file__).resolve().parents[2] / "keyou" / "web" / "templates"


@pytest.fixture
def alice(people):
    people.alice.set_password(PASSWORD)
    people.alice.save()
    return people.alice


@pytest.fixture
def admin(people):
    people.admin.set_password(PASSWORD)
    people.admin.save()
    return people.admin


def _login(client: Client, username: str, password: str, **extra):
    return client.post(reverse("login"), {"username": username, "password": password}, **extra)


def _logged_in(client: Client) -> bool:
    return SESSION_KEY in client.session


# -- lockout ----------------------------------------------------------------------------


def test_repeated_failures_lock_the_account_in_plain_words(alice):
    limit = django_settings.KEYOU_LOGIN_FAILURE_LIMIT
    client = Client()

    for _ in range(limit - 1):
        response = _login(client, "alice", "wrong")
        assert response.status_code == 200
        assert "didn't match" in response.content.decode()
    response = _login(client, "alice", "wrong")

    assert response.status_code == 429
    page = response.content.decode()
    assert "Too many failed logins for this account." in page
    assert "Try again in 15 minutes, or ask an admin to unlock it." in page
    assert "didn't match" not in page
    entry = AuditEntry.objects.get(action=AuditAction.LOCKED_OUT)
    assert entry.object_id == str(alice.pk)
    assert entry.data["username"] == "alice"


def test_the_right_password_is_refused_while_locked_until_the_cli_unlocks(alice):
    client = Client()
    for _ in range(django_settings.KEYOU_LOGIN_FAILURE_LIMIT):
        _login(client, "alice", "wrong")

    response = _login(client, "alice", PASSWORD)
    assert response.status_code == 429
    assert not _logged_in(client)
    # Attempts on a locked account are failures, but the lockout is audited once.
    assert AuditEntry.objects.filter(action=AuditAction.LOCKED_OUT).count() == 1

    out = io.StringIO()
    call_command("unlock", "alice", "--json", stdout=out)
    assert json.loads(out.getvalue())["attempts_cleared"] >= 1

    response = _login(client, "alice", PASSWORD)
    assert response.status_code == 302
    assert _logged_in(client)


def test_the_lockout_follows_the_account_not_the_address(alice):
    for n in range(django_settings.KEYOU_LOGIN_FAILURE_LIMIT):
        _login(Client(REMOTE_ADDR=f"198.51.100.{n + 1}"), "alice", "wrong")

    fresh = Client(REMOTE_ADDR="203.0.113.9")
    assert _login(fresh, "alice", PASSWORD).status_code == 429
    # Someone else's account is not affected.
    people_bob = type(alice).objects.get(username="bob")
    people_bob.set_password(PASSWORD)
    people_bob.save()
    assert _login(fresh, "bob", PASSWORD).status_code == 302


def test_api_tokens_do_not_go_through_the_login_lockout(alice):
    for _ in range(django_settings.KEYOU_LOGIN_FAILURE_LIMIT):
        _login(Client(), "alice", "wrong")
    secret = token_create(user=alice, name="tests")[1]

    response = Client().get("/api/v1/accounts", headers={"Authorization": f"Bearer {secret}"})

    assert response.status_code == 200


# -- headers and cookies ------------------------------------------------------------------


def test_pages_carry_the_security_headers(people, login):
    response = login(people.alice).get(reverse("account_list"))

    csp = response["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert directives["default-src"] == "'self'"
    assert directives["script-src"] == "'self'"  # no inline script, no eval
    assert "'unsafe-inline'" in directives["style-src"]
    assert directives["img-src"] == "'self' data:"
    assert directives["frame-ancestors"] == "'none'"
    assert directives["object-src"] == "'none'"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert "camera=()" in response["Permissions-Policy"]


def test_the_login_page_and_the_api_docs_carry_a_policy(db):
    client = Client()
    assert "script-src 'self'" in client.get(reverse("login"))["Content-Security-Policy"]
    docs = client.get("/api/v1/docs")
    assert docs.status_code == 200
    assert "script-src 'self'" in docs["Content-Security-Policy"]


@pytest.mark.parametrize("template", sorted(TEMPLATES.rglob("*.html")), ids=lambda p: p.name)
def test_no_template_has_inline_script(template):
    text = template.read_text(encoding="utf-8")
    for tag in re.findall(r"<script\b[^>]*>", text, flags=re.I):
        assert "src=" in tag or 'type="application/json"' in tag, tag
    assert not re.search(r"<[a-z][^>]*\son[a-z]+\s*=", text, flags=re.I)
    assert "javascript:" not in text.lower()


def test_session_cookie_is_httponly_and_lax(alice):
    response = _login(Client(), "alice", PASSWORD)

    cookie = response.cookies[django_settings.SESSION_COOKIE_NAME]
    assert cookie["httponly"]
    assert cookie["samesite"] == "Lax"
    assert not cookie["secure"]


def _settings_with(env: dict) -> dict:
    code = (
        "import json, keyou.settings as s; print(json.dumps({k: getattr(s, k, None) for k in "
        "['SESSION_COOKIE_SECURE', 'CSRF_COOKIE_SECURE', 'SECURE_HSTS_SECONDS', "
        "'SECURE_PROXY_SSL_HEADER', 'SECURE_SSL_REDIRECT', 'SESSION_COOKIE_HTTPONLY', "
        "'SESSION_COOKIE_SAMESITE', 'SESSION_COOKIE_AGE']}))"
    )
    run = subprocess.run(
        [sys.executable, "-c", code],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    return json.loads(run.stdout.strip().splitlines()[-1])


def test_keyou_https_makes_cookies_secure_and_turns_on_hsts(tmp_path):
    on = _settings_with({"KEYOU_HTTPS": "1", "KEYOU_DATA_DIR": str(tmp_path)})
    assert on["SESSION_COOKIE_SECURE"] is True
    assert on["CSRF_COOKIE_SECURE"] is True
    assert on["SECURE_HSTS_SECONDS"] == 365 * 24 * 3600
    assert on["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert on["SECURE_SSL_REDIRECT"] is True
    assert on["SESSION_COOKIE_HTTPONLY"] is True
    assert on["SESSION_COOKIE_SAMESITE"] == "Lax"

    off = _settings_with(
        {"KEYOU_HTTPS": "0", "KEYOU_DATA_DIR": str(tmp_path), "KEYOU_SESSION_HOURS": "8"}
    )
    assert off["SESSION_COOKIE_SECURE"] is None or off["SESSION_COOKIE_SECURE"] is False
    assert off["SECURE_SSL_REDIRECT"] is None
    assert off["SESSION_COOKIE_AGE"] == 8 * 3600


def test_https_behind_a_proxy_redirects_and_sends_hsts(db, settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    client = Client()

    plain = client.get(reverse("login"))
    assert plain.status_code == 301
    assert plain["Location"].startswith("https://")
    secure = client.get(reverse("login"), headers={"X-Forwarded-Proto": "https"})
    assert secure.status_code == 200
    assert secure["Strict-Transport-Security"] == "max-age=31536000"


# -- session expiry -------------------------------------------------------------------------


def _set_session(client: Client, **values) -> None:
    session = client.session
    session.update(values)
    session.save()


def test_an_idle_session_is_logged_out(people, login):
    client = login(people.alice)
    assert client.get(reverse("account_list")).status_code == 200
    idle = django_settings.KEYOU_SESSION_IDLE_MINUTES * 60
    _set_session(client, **{SEEN_AT: int(time.time()) - idle - 5})

    response = client.get(reverse("account_list"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert "next=" in response["Location"]
    assert not _logged_in(client)
    page = client.get(response["Location"]).content.decode()
    assert "without activity" in page


def test_an_old_login_is_logged_out_however_busy(people, login):
    client = login(people.alice)
    client.get(reverse("account_list"))
    hours = django_settings.KEYOU_SESSION_HOURS
    _set_session(client, **{LOGIN_AT: int(time.time()) - hours * 3600 - 5})

    response = client.get(reverse("account_list"))

    assert response.status_code == 302
    assert not _logged_in(client)


def test_last_seen_is_written_at_most_once_a_minute(people, login):
    client = login(people.alice)
    client.get(reverse("account_list"))
    recent = int(time.time()) - 30
    _set_session(client, **{SEEN_AT: recent})

    client.get(reverse("account_list"))
    assert client.session[SEEN_AT] == recent

    _set_session(client, **{SEEN_AT: int(time.time()) - 90})
    client.get(reverse("account_list"))
    assert client.session[SEEN_AT] >= int(time.time()) - 5


def test_an_htmx_request_on_an_expired_session_redirects_the_page(people, login):
    client = login(people.alice)
    client.get(reverse("account_list"))
    _set_session(client, **{SEEN_AT: 1})

    response = client.get(reverse("account_list"), headers={"HX-Request": "true"})

    assert response["HX-Redirect"].startswith(reverse("login"))


# -- two-factor login ----------------------------------------------------------------------


def _code(device: TOTPDevice, steps_ahead: int = 0) -> str:
    """Return DEVICE's code STEPS_AHEAD time steps from now (a code works only once)."""
    device.refresh_from_db()
    if not steps_ahead:
        return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"
    generator = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    generator.time = time.time() + steps_ahead * device.step
    return f"{generator.token():06d}"


def _set_up_two_factor(client: Client, user) -> TOTPDevice:
    page = client.get(reverse("two_factor"))
    assert page.status_code == 200
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    response = client.post(reverse("two_factor"), {"code": _code(device)})
    assert response.status_code == 302
    device.refresh_from_db()
    assert device.confirmed
    return device


def test_setup_shows_a_qr_code_and_the_secret_and_confirms_with_a_code(people, login, alice):
    client = login(alice)

    page = client.get(reverse("two_factor")).content.decode()
    device = TOTPDevice.objects.get(user=alice, confirmed=False)
    assert "<svg" in page
    secret = re.search(r"<code>([A-Z2-7 ]+)</code>", page).group(1)
    assert len(secret.replace(" ", "")) == 32
    wrong = client.post(reverse("two_factor"), {"code": "000000"})
    assert wrong.status_code == 200
    assert "That code is not right." in wrong.content.decode()
    device.refresh_from_db()
    assert not device.confirmed
    device.throttle_reset()

    client.post(reverse("two_factor"), {"code": _code(device)})

    device.refresh_from_db()
    assert device.confirmed
    assert client.get(reverse("account_list")).status_code == 200  # this session is verified
    assert AuditEntry.objects.filter(
        action=AuditAction.USER_CHANGE, object_id=str(alice.pk), data__two_factor="on"
    ).exists()


def test_login_asks_for_the_code_and_refuses_a_wrong_one(people, login, alice):
    device = _set_up_two_factor(login(alice), alice)
    client = Client()

    response = _login(client, "alice", PASSWORD)
    assert response.status_code == 302
    held = client.get(reverse("account_list"))
    assert held.status_code == 302
    assert held["Location"].startswith(reverse("login_code"))
    assert client.get(reverse("preferences"))["Location"].startswith(reverse("login_code"))
    assert client.get(reverse("two_factor"))["Location"].startswith(reverse("login_code"))

    wrong = client.post(reverse("login_code"), {"code": "123456", "next": "/accounts/"})
    assert wrong.status_code == 200
    assert "That code is not right." in wrong.content.decode()
    assert client.get(reverse("account_list")).status_code == 302
    assert AuditEntry.objects.filter(
        action=AuditAction.LOGIN_FAILED, data__second_factor=True
    ).exists()

    device.refresh_from_db()
    device.throttle_reset()
    right = client.post(
        reverse("login_code"), {"code": _code(device, steps_ahead=1), "next": "/accounts/"}
    )
    assert right.status_code == 302
    assert right["Location"] == "/accounts/"
    assert client.get(reverse("account_list")).status_code == 200


def test_wrong_codes_are_throttled(people, login, alice):
    device = _set_up_two_factor(login(alice), alice)
    client = Client()
    _login(client, "alice", PASSWORD)
    client.post(reverse("login_code"), {"code": "111111"})

    # Even the right code waits until the throttle delay has passed.
    response = client.post(reverse("login_code"), {"code": _code(device, steps_ahead=1)})

    assert "Too many wrong codes." in response.content.decode()
    assert client.get(reverse("account_list")).status_code == 302


def test_unverified_user_may_log_out(people, login, alice):
    _set_up_two_factor(login(alice), alice)
    client = Client()
    _login(client, "alice", PASSWORD)

    response = client.post(reverse("logout"))

    assert response.status_code == 302
    assert not _logged_in(client)


def test_turning_two_factor_off_needs_the_password(people, login, alice):
    client = login(alice)
    _set_up_two_factor(client, alice)

    refused = client.post(reverse("two_factor"), {"password": "not it"})
    assert "That is not your password." in refused.content.decode()
    assert TOTPDevice.objects.filter(user=alice).exists()

    client.post(reverse("two_factor"), {"password": PASSWORD})
    assert not TOTPDevice.objects.filter(user=alice).exists()
    assert _login(Client(), "alice", PASSWORD).status_code == 302


def test_admins_must_set_up_two_factor_first(people, login, admin, settings):
    settings.KEYOU_2FA = "admins"
    client = login(admin)

    held = client.get(reverse("account_list"))
    assert held.status_code == 302
    assert held["Location"].startswith(reverse("two_factor"))
    assert client.post(reverse("notifications_read")).status_code == 302
    page = client.get(reverse("two_factor")).content.decode()
    assert "Admins must turn on two-factor login" in page
    # Others are not held.
    assert login(people.alice).get(reverse("account_list")).status_code == 200

    _set_up_two_factor(client, admin)
    assert client.get(reverse("account_list")).status_code == 200
    # ... and cannot turn it off again.
    refused = client.post(reverse("two_factor"), {"password": PASSWORD})
    assert "Admins must keep two-factor login on." in refused.content.decode()
    assert TOTPDevice.objects.filter(user=admin, confirmed=True).exists()


def test_two_factor_off_ignores_devices(people, login, alice, settings):
    _set_up_two_factor(login(alice), alice)
    settings.KEYOU_2FA = "off"
    client = Client()

    _login(client, "alice", PASSWORD)

    assert client.get(reverse("account_list")).status_code == 200
    assert "turned off" in client.get(reverse("two_factor")).content.decode()


def test_the_api_is_not_held_by_two_factor(people, login, alice):
    _set_up_two_factor(login(alice), alice)
    secret = token_create(user=alice, name="tests")[1]
    client = Client()
    _login(client, "alice", PASSWORD)  # an unverified browser session alongside

    response = client.get("/api/v1/accounts", headers={"Authorization": f"Bearer {secret}"})

    assert response.status_code == 200


def test_cli_unlock_can_remove_a_lost_authenticator(people, login, alice):
    _set_up_two_factor(login(alice), alice)
    out = io.StringIO()

    call_command("unlock", "alice", "--two-factor", stdout=out)

    assert "1 authenticator(s) removed" in out.getvalue()
    assert not TOTPDevice.objects.filter(user=alice).exists()
    client = Client()
    _login(client, "alice", PASSWORD)
    assert client.get(reverse("account_list")).status_code == 200
