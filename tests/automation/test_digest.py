"""The email digest of unread notifications, through a real SMTP server on 127.0.0.1."""

# ruff: noqa: F811 (the web fixtures are imported; test arguments of the same name use them)

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.header import decode_header, make_header
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from keyou.automation.channel_tasks import digest_send_due
from keyou.automation.digest import MAX_ITEMS, digest_due, digests_send
from keyou.people.models import Notification
from keyou.people.services import notify
from tests.web.conftest import login, people  # noqa: F401

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def mail(settings, smtp_server):
    """Keyou's own SMTP settings pointed at the test server (pytest-django uses locmem)."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = smtp_server.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.DEFAULT_FROM_EMAIL = "keyou@demo-trading.com"
    settings.KEYOU_BASE_URL = "https://keyou.example.com"
    return smtp_server


def _subject(received) -> str:
    return str(make_header(decode_header(received.message["Subject"])))


def _body(received) -> str:
    return received.message.get_payload(decode=True).decode("utf-8")


def _at(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


# --- When a digest is due (pure) ------------------------------------------------------


def test_hourly_due():
    now = _at(2026, 3, 2, 11, 0)
    assert digest_due(frequency="hourly", last_sent=None, now=now, zone=SHANGHAI)
    assert digest_due(frequency="hourly", last_sent=now - timedelta(hours=1), now=now, zone=UTC)
    assert not digest_due(
        frequency="hourly", last_sent=now - timedelta(minutes=30), now=now, zone=UTC
    )


def test_daily_due_after_eight_local():
    # 07:59 and 08:00 in Shanghai are 23:59 and 00:00 UTC.
    before = _at(2026, 3, 1, 23, 59)
    at_eight = _at(2026, 3, 2, 0, 0)
    assert not digest_due(frequency="daily", last_sent=None, now=before, zone=SHANGHAI)
    assert digest_due(frequency="daily", last_sent=None, now=at_eight, zone=SHANGHAI)
    # Sent yesterday at 08:00: due again; sent today at 08:00: not until tomorrow.
    assert digest_due(
        frequency="daily", last_sent=at_eight - timedelta(days=1), now=at_eight, zone=SHANGHAI
    )
    assert not digest_due(
        frequency="daily", last_sent=at_eight, now=at_eight + timedelta(hours=15), zone=SHANGHAI
    )
    assert not digest_due(frequency="", last_sent=None, now=at_eight, zone=SHANGHAI)


# --- Sending -----------------------------------------------------------------------------


def test_hourly_digest_lists_unread_newest_first_and_marks_them(people, mail):
    alice = people.alice
    alice.digest = "hourly"
    alice.save()
    with time_machine.travel(_at(2026, 3, 2, 1, 0), tick=False) as traveller:
        notify(alice, "Acme waits for your reply", kind="sla", url="/threads/7/")
        traveller.shift(timedelta(minutes=5))
        notify(alice, "Ben mentioned you", kind="mention", url="/accounts/3/")
        read = notify(alice, "Already read")
        read.read_at = timezone.now()
        read.save()
        notify(people.bob, "For Bob, not Alice")

        traveller.move_to(_at(2026, 3, 2, 1, 15))
        digest_send_due()
        [received] = mail.wait_for(1)

    assert received.rcpt_tos == ["alice@demo-trading.com"]
    assert received.mail_from == "keyou@demo-trading.com"
    assert _subject(received) == "Keyou: 2 new notifications"
    body = _body(received)
    assert body.index("Ben mentioned you") < body.index("Acme waits for your reply")
    assert "https://keyou.example.com/threads/7/" in body
    assert "https://keyou.example.com/accounts/3/" in body
    assert "Already read" not in body and "For Bob" not in body
    # Times in the user's zone (the company's, Asia/Shanghai): 01:00 UTC is 09:00.
    assert "2026-03-02 09:00" in body
    emailed = Notification.objects.filter(recipient=alice, emailed_at__isnull=False)
    assert emailed.count() == 2


def test_hourly_waits_an_hour_between_digests(people, mail):
    alice = people.alice
    alice.digest = "hourly"
    alice.save()
    with time_machine.travel(_at(2026, 3, 2, 1, 0), tick=False) as traveller:
        notify(alice, "first")
        assert digests_send() == 1
        traveller.move_to(_at(2026, 3, 2, 1, 20))
        notify(alice, "second")
        for minute in (30, 45):
            traveller.move_to(_at(2026, 3, 2, 1, minute))
            assert digests_send() == 0
        traveller.move_to(_at(2026, 3, 2, 2, 0))
        assert digests_send() == 1
    first, second = mail.wait_for(2)
    assert "first" in _body(first) and "second" not in _body(first)
    assert "second" in _body(second) and "first" not in _body(second)
    assert _subject(second) == "Keyou: 1 new notification"


def test_daily_digest_once_a_day_after_eight_in_the_users_zone(people, mail):
    bob = people.bob
    bob.digest = "daily"
    bob.time_zone = "Europe/Berlin"  # UTC+1 in March
    bob.save()
    with time_machine.travel(_at(2026, 3, 2, 5, 0), tick=False) as traveller:
        notify(bob, "overnight notice")
        # 06:00 and 07:45 in Berlin: too early.
        assert digests_send() == 0
        traveller.move_to(_at(2026, 3, 2, 6, 45))
        assert digests_send() == 0
        # 08:00 Berlin.
        traveller.move_to(_at(2026, 3, 2, 7, 0))
        assert digests_send() == 1
        # Later the same day: a new notice waits for tomorrow.
        traveller.move_to(_at(2026, 3, 2, 12, 0))
        notify(bob, "noon notice")
        for hour in (13, 18, 23):
            traveller.move_to(_at(2026, 3, 2, hour, 0))
            assert digests_send() == 0
        traveller.move_to(_at(2026, 3, 3, 7, 0))
        assert digests_send() == 1
    first, second = mail.wait_for(2)
    assert "overnight notice" in _body(first)
    assert "noon notice" in _body(second) and "overnight" not in _body(second)
    assert "daily" in _body(second)


def test_nothing_sent_without_unread_notifications(people, mail):
    alice = people.alice
    alice.digest = "hourly"
    alice.save()
    assert digests_send() == 0
    notice = notify(alice, "seen already")
    notice.read_at = timezone.now()
    notice.save()
    assert digests_send() == 0
    assert mail.received == []


def test_nothing_sent_when_off_or_without_smtp(people, mail, settings):
    notify(people.alice, "digest is off for alice")
    assert digests_send() == 0
    people.alice.digest = "hourly"
    people.alice.save()
    settings.EMAIL_HOST = ""
    assert digests_send() == 0
    assert mail.received == []
    assert not Notification.objects.filter(emailed_at__isnull=False).exists()


def test_at_most_fifty_listed_the_rest_wait(people, mail):
    alice = people.alice
    alice.digest = "hourly"
    alice.save()
    for i in range(MAX_ITEMS + 5):
        notify(alice, f"notice number {i:02d}")
    assert digests_send() == 1
    body = _body(mail.wait_for(1)[0])
    assert "notice number 54" in body and "notice number 05" in body
    assert "notice number 04" not in body and "5 more" in body
    assert _subject(mail.received[0]) == "Keyou: 55 new notifications"
    assert Notification.objects.filter(emailed_at__isnull=True).count() == 5


def test_a_refused_digest_is_tried_again(people, mail):
    alice = people.alice
    alice.digest = "hourly"
    alice.save()
    notify(alice, "try me")
    mail.reject_with = "451 try again later"
    assert digests_send() == 0
    assert not Notification.objects.filter(emailed_at__isnull=False).exists()
    mail.reject_with = None
    assert digests_send() == 1
    assert "try me" in _body(mail.wait_for(1)[0])


def test_departed_and_addressless_users_get_none(people, mail):
    alice, bob = people.alice, people.bob
    alice.digest = bob.digest = "hourly"
    alice.departed_at = timezone.now()
    alice.save()
    bob.email = ""
    bob.save()
    notify(alice, "a")
    notify(bob, "b")
    assert digests_send() == 0 and mail.received == []


# --- The choice on the preferences page ----------------------------------------------------


def test_digest_choice_on_preferences_page(people, login):
    client = login(people.alice)
    html = client.get(reverse("preferences")).content.decode()
    assert 'name="digest"' in html and 'value="daily"' in html
    response = client.post(reverse("preferences"), {"form": "digest", "digest": "daily"})
    assert response.status_code == 302
    people.alice.refresh_from_db()
    assert people.alice.digest == "daily"
    # The other preferences are untouched.
    assert people.alice.language == ""
    response = client.post(reverse("preferences"), {"form": "digest", "digest": "weekly"})
    assert response.status_code == 200
    people.alice.refresh_from_db()
    assert people.alice.digest == "daily"
    client.post(reverse("preferences"), {"form": "digest", "digest": ""})
    people.alice.refresh_from_db()
    assert people.alice.digest == ""
