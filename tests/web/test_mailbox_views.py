"""Mailbox pages: who sees which mailbox, the status block, the connection form."""

from __future__ import annotations

from django.urls import reverse

from keyou.mail.models import FolderRole, MailFolder, SyncLog, SyncStatus
from keyou.mail.services import mailbox_add
from keyou.people.services import team_ensure


def _boxes(people):
    team_ensure(name="Europe")
    alice = mailbox_add(address="alice@demo-trading.com", owner="alice")
    sales = mailbox_add(address="sales@demo-trading.com", kind="shared")
    sales.team = people.alice.team
    sales.save()
    return alice, sales


def test_list_shows_own_and_team_shared_mailboxes(people, login):
    alice_box, sales = _boxes(people)
    carol_box = mailbox_add(address="carol@demo-trading.com", owner="carol")
    page = login(people.bob).get(reverse("mailbox_list")).content.decode()
    assert sales.address in page
    assert alice_box.address not in page and carol_box.address not in page
    admin_page = login(people.admin).get(reverse("mailbox_list")).content.decode()
    assert all(b.address in admin_page for b in (alice_box, sales, carol_box))


def test_detail_is_404_outside_scope_and_form_only_for_managers(people, login):
    alice_box, sales = _boxes(people)
    assert (
        login(people.carol).get(reverse("mailbox_detail", args=[alice_box.pk])).status_code == 404
    )
    owner_page = login(people.alice).get(reverse("mailbox_detail", args=[alice_box.pk]))
    assert owner_page.status_code == 200
    assert b'name="password"' in owner_page.content
    # A teammate sees the shared mailbox's status but not its connection form.
    teammate = login(people.bob).get(reverse("mailbox_detail", args=[sales.pk]))
    assert teammate.status_code == 200 and b'name="password"' not in teammate.content
    # ... and may not post to it, test it or sync it.
    bob = login(people.bob)
    assert bob.post(reverse("mailbox_detail", args=[sales.pk]), {}).status_code == 404
    assert bob.post(reverse("mailbox_test", args=[sales.pk])).status_code == 404
    assert bob.post(reverse("mailbox_sync_now", args=[sales.pk])).status_code == 404


def test_status_shows_folder_counts_and_says_synced_only_when_they_agree(people, login):
    alice_box, _ = _boxes(people)
    alice_box.sync_enabled = True
    alice_box.sync_status = SyncStatus.OK
    alice_box.save()
    inbox = MailFolder.objects.create(
        mailbox=alice_box,
        name="INBOX",
        display_name="INBOX",
        role=FolderRole.INBOX,
        enabled=True,
        initial_done=True,
        server_count=120,
        held_count=80,
    )
    MailFolder.objects.create(
        mailbox=alice_box, name="&XfJT0ZAB-", display_name="已发送", role=FolderRole.SENT
    )
    SyncLog.objects.create(mailbox=alice_box, message="fetched 80 messages from INBOX")
    people.alice.language = "en"
    people.alice.save()
    client = login(people.alice)
    status_url = reverse("mailbox_status", args=[alice_box.pk])
    page = client.get(status_url).content.decode()
    assert "120 / 80" in page and "已发送" in page and "fetched 80 messages" in page
    assert 'hx-trigger="every 3s"' in page  # keeps polling while the counts differ
    assert "Catching up" in page and "Synced" not in page
    inbox.held_count = 120
    inbox.save()
    page = client.get(status_url).content.decode()
    assert 'hx-trigger="every 3s"' not in page
    assert "120 / 120" in page


def test_folder_toggle(people, login):
    alice_box, _ = _boxes(people)
    junk = MailFolder.objects.create(mailbox=alice_box, name="Junk", role=FolderRole.JUNK)
    url = reverse("folder_toggle", args=[alice_box.pk, junk.pk])
    assert login(people.carol).post(url, {"enabled": "1"}).status_code == 404
    assert login(people.alice).post(url, {"enabled": "1"}).status_code == 302
    junk.refresh_from_db()
    assert junk.enabled
