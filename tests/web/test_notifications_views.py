"""Notifications: the bell counts what is unread; the page lists them and marks them read."""

from __future__ import annotations

from django.urls import reverse

from keyou.people.models import Notification
from keyou.people.services import notify


def test_bell_page_and_mark_read(people, login):
    notify(people.alice, "Syncing alice@demo-trading.com stopped", url="/mailboxes/1/")
    notify(people.bob, "for bob only")
    client = login(people.alice)
    home = client.get(reverse("account_list")).content.decode()
    assert 'class="bell has-unread"' in home
    page = client.get(reverse("notification_list")).content.decode()
    assert "Syncing alice@demo-trading.com stopped" in page and "for bob only" not in page
    assert client.post(reverse("notifications_read")).status_code == 302
    assert not Notification.objects.filter(recipient=people.alice, read_at__isnull=True).exists()
    assert Notification.objects.filter(recipient=people.bob, read_at__isnull=True).exists()
    assert "has-unread" not in client.get(reverse("account_list")).content.decode()
