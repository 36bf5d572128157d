"""Live sync against a real Dovecot: history, resume, renumbering, flags, IDLE, errors."""

from __future__ import annotations

import imaplib
import io
import json
import sys
import time
from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from imapclient import imap_utf7

from keyou.mail.imap import ProblemKind
from keyou.mail.models import FolderRole, MailboxCopy, MailFolder, Message, SyncStatus
from keyou.mail.services import folder_set_enabled, mailbox_add
from keyou.mail.sync import (
    IdleWatcher,
    lease_take,
    mailbox_connect,
    mailbox_sync,
    mailbox_test_connection,
    mailboxes_due,
)
from keyou.people.models import Notification
from keyou.people.services import organization_set, user_add
from tests.mail.mailfactory import raw_message

ADDRESS = "anna@demo-trading.com"
PASSWORD = "imap-secret-1"


def _raw(i: int, *, day: int = 0) -> bytes:
    return raw_message(
        sender=f"Buyer {i} <buyer{i % 7}@customer{i % 5}.com>",
        to=ADDRESS,
        subject=f"Inquiry {i}",
        body=f"Please quote item {i}.",
        message_id=f"<sync-{i}@customer{i % 5}.com>",
        date=datetime.now(UTC) - timedelta(days=day, minutes=i),
    )


def _crlf(raw: bytes) -> bytes:
    return raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


def _imap(dovecot) -> imaplib.IMAP4:
    conn = imaplib.IMAP4("127.0.0.1", dovecot.port)
    conn.login(ADDRESS, PASSWORD)
    return conn


def _append(dovecot, raws, folder: str = "INBOX") -> None:
    conn = _imap(dovecot)
    try:
        for raw in raws:
            conn.append(folder, None, None, _crlf(raw))
    finally:
        conn.logout()


@pytest.fixture
def box(db, dovecot):
    organization_set(name="Demo Trading", domains=["demo-trading.com"], time_zone="Asia/Shanghai")
    user_add(username="anna", email=ADDRESS, team="Europe")
    user_add(username="boss", email="boss@demo-trading.com", admin=True)
    mailbox_add(address=ADDRESS, owner="anna")
    dovecot.add_user(ADDRESS, PASSWORD)
    return mailbox_connect(
        ADDRESS,
        imap_host="127.0.0.1",
        imap_port=dovecot.port,
        imap_security="none",
        smtp_host="",
        password=PASSWORD,
    )


def test_initial_sync_of_5000_messages_changes_nothing_on_the_server(box, dovecot):
    _append(dovecot, [_raw(i) for i in range(5000)])
    started = time.monotonic()
    report = mailbox_sync(box)
    seconds = time.monotonic() - started
    assert report.ok, report.error
    inbox = next(f for f in report.folders if f.folder == "INBOX")
    assert (inbox.server, inbox.held, inbox.new) == (5000, 5000, 5000)
    assert inbox.reconciled
    assert Message.objects.count() == 5000
    assert (
        MailboxCopy.objects.filter(mailbox=box, folder="INBOX", uid__isnull=False).count() == 5000
    )
    box.refresh_from_db()
    assert box.sync_status == SyncStatus.OK and box.last_sync_at is not None
    # Nothing was marked read, moved or deleted on the server.
    conn = _imap(dovecot)
    conn.select("INBOX", readonly=True)
    assert len(conn.search(None, "UNSEEN")[1][0].split()) == 5000
    conn.logout()
    # A second pass fetches nothing.
    again = mailbox_sync(box)
    assert next(f for f in again.folders if f.folder == "INBOX").fetched == 0
    print(f"initial sync: {5000 / seconds:.0f} msg/s")


def test_history_window_and_newest_first(box, dovecot):
    box.sync_months = 1
    box.save()
    conn = _imap(dovecot)
    for i in range(6):
        date = imaplib.Time2Internaldate(time.time() - (i * 20 * 86400))
        conn.append("INBOX", None, date, _crlf(_raw(i)))
    conn.logout()
    report = mailbox_sync(box)
    inbox = next(f for f in report.folders if f.folder == "INBOX")
    assert inbox.server == 2 and inbox.held == 2  # 0 and 20 days old; 40+ are outside


def test_sync_resumes_after_the_server_goes_away(box, dovecot, monkeypatch):
    from keyou.mail import sync

    monkeypatch.setattr(sync, "FETCH_BATCH", 50)
    monkeypatch.setattr(sync, "mail_ingest", _small_batches(sync.mail_ingest))
    _append(dovecot, [_raw(i) for i in range(700)])
    stopped = []

    def stop_after_first_batch(report):
        if not stopped and report.fetched >= 50:
            stopped.append(report.fetched)
            dovecot.kill()

    first = mailbox_sync(box, progress=stop_after_first_batch)
    assert stopped and not first.ok
    assert first.error_kind in {ProblemKind.UNREACHABLE, ProblemKind.PROTOCOL, ProblemKind.TIMEOUT}
    held_before = MailboxCopy.objects.filter(mailbox=box).count()
    assert 0 < held_before < 700
    # The status page saw the history filling in before the pass broke off.
    inbox_folder = MailFolder.objects.get(mailbox=box, name="INBOX")
    assert inbox_folder.server_count == 700 and 0 < inbox_folder.held_count <= held_before
    box.refresh_from_db()
    assert box.failures == 1 and box.next_sync_at > timezone.now()
    dovecot.start()
    second = mailbox_sync(box)
    assert second.ok, second.error
    assert Message.objects.count() == 700
    assert MailboxCopy.objects.filter(mailbox=box).count() == 700
    inbox = next(f for f in second.folders if f.folder == "INBOX")
    assert inbox.fetched == 700 - held_before and inbox.reconciled
    box.refresh_from_db()
    assert box.failures == 0 and box.last_error == ""


def _small_batches(ingest):
    def wrapped(**kwargs):
        return ingest(**{**kwargs, "batch_size": 50})

    return wrapped


def test_uidvalidity_reset_brings_no_duplicates(box, dovecot):
    raws = [_raw(i) for i in range(30)]
    _append(dovecot, raws, "Sent")
    mailbox_sync(box)
    sent = MailFolder.objects.get(mailbox=box, role=FolderRole.SENT)
    old_validity = sent.uidvalidity
    assert MailboxCopy.objects.filter(mailbox=box, folder=sent.name).count() == 30
    conn = _imap(dovecot)
    conn.delete("Sent")
    conn.create("Sent")
    conn.logout()
    _append(dovecot, reversed(raws), "Sent")  # same mail, new UIDs
    report = mailbox_sync(box)
    sent_report = next(f for f in report.folders if f.folder == sent.name)
    assert sent_report.uidvalidity_reset
    sent.refresh_from_db()
    assert sent.uidvalidity != old_validity
    copies = MailboxCopy.objects.filter(mailbox=box, folder=sent.name)
    assert copies.count() == 30 and Message.objects.count() == 30
    assert set(copies.values_list("uidvalidity", flat=True)) == {sent.uidvalidity}
    assert sent_report.reconciled


def test_flags_changed_and_messages_deleted_on_the_server(box, dovecot):
    _append(dovecot, [_raw(i) for i in range(5)])
    mailbox_sync(box)
    conn = _imap(dovecot)
    conn.select("INBOX")
    conn.uid("STORE", "1", "+FLAGS", "(\\Flagged)")
    conn.uid("STORE", "2", "+FLAGS", "(\\Deleted)")
    conn.expunge()
    conn.logout()
    report = mailbox_sync(box)
    inbox = next(f for f in report.folders if f.folder == "INBOX")
    assert inbox.flags_changed >= 1 and inbox.deleted_on_server == 1
    assert "\\Flagged" in MailboxCopy.objects.get(mailbox=box, uid=1).flags
    gone = MailboxCopy.objects.get(mailbox=box, uid=2)
    assert gone.deleted_on_server and Message.objects.filter(pk=gone.message_id).exists()


def test_chinese_folder_is_discovered_and_synced_when_enabled(box, dovecot):
    conn = _imap(dovecot)
    wire = '"' + imap_utf7.encode("客户/询盘").decode() + '"'  # modified UTF-7 on the wire
    conn._simple_command("CREATE", wire)
    conn.logout()
    mailbox_sync(box)
    folder = MailFolder.objects.get(mailbox=box, name="客户/询盘")
    assert folder.display_name == "客户/询盘" and not folder.enabled
    conn = _imap(dovecot)
    conn.append(wire, None, None, _crlf(_raw(1)))
    conn.logout()
    folder_set_enabled(folder, enabled=True)
    report = mailbox_sync(box)
    assert next(f for f in report.folders if f.folder == "客户/询盘").new == 1


def test_wrong_password_backs_off_stops_and_tells_people(box, dovecot):
    dovecot.add_user(ADDRESS, "changed-on-the-server")
    for attempt in range(1, 4):
        report = mailbox_sync(box)
        assert report.error_kind == ProblemKind.AUTH
        assert "password" in report.error
        box.refresh_from_db()
        assert box.failures == attempt
    assert box.next_sync_at > timezone.now() + timedelta(minutes=3)
    assert box.sync_status == SyncStatus.AUTH_FAILED
    assert box.pk not in mailboxes_due(timezone.now() + timedelta(days=1))
    told = set(Notification.objects.values_list("recipient__username", flat=True))
    assert told == {"anna", "boss"}
    # A new password starts it again.
    box = mailbox_connect(
        ADDRESS,
        imap_host="127.0.0.1",
        imap_port=dovecot.port,
        imap_security="none",
        password="changed-on-the-server",
    )
    assert box.sync_status != SyncStatus.AUTH_FAILED and box.failures == 0
    assert mailbox_sync(box).ok


def test_the_password_is_stored_encrypted(box):
    box.refresh_from_db()
    assert box.password_encrypted and PASSWORD not in box.password_encrypted


def test_a_second_worker_is_turned_away(box, dovecot):
    assert lease_take(box.pk, "other-worker")
    report = mailbox_sync(box, worker="this-worker")
    assert report.skipped and not report.folders


def test_connection_test_reports_each_server(box, dovecot, smtp_server):
    box.smtp_host, box.smtp_port, box.smtp_security = "127.0.0.1", smtp_server.port, "none"
    box.save()
    result = mailbox_test_connection(box)
    assert result.ok and result.folders >= 4
    box.imap_port = smtp_server.port + 1  # nothing listens there
    box.save()
    result = mailbox_test_connection(box, timeout=3)
    assert result.imap.kind == ProblemKind.UNREACHABLE and result.smtp is None


@pytest.mark.django_db(transaction=True)
def test_new_mail_arrives_through_idle(box, dovecot):
    watcher = IdleWatcher(box.pk, idle_seconds=30)
    watcher.start()
    try:
        deadline = time.monotonic() + 10
        while watcher.syncs < 1 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert watcher.syncs >= 1
        _append(dovecot, [_raw(42)])
        deadline = time.monotonic() + 10
        while not Message.objects.filter(message_id="sync-42@customer2.com").exists():
            assert time.monotonic() < deadline, (
                f"not filed in 10 s: {watcher.syncs} syncs, {watcher.last_report}"
            )
            time.sleep(0.2)
    finally:
        watcher.stop()
        watcher.join(timeout=10)


def test_cli_connect_from_stdin_and_sync(db, dovecot, monkeypatch, capsys):
    organization_set(name="Demo Trading", domains=["demo-trading.com"], time_zone="UTC")
    mailbox_add(address=ADDRESS)
    dovecot.add_user(ADDRESS, PASSWORD)
    _append(dovecot, [_raw(i) for i in range(3)])
    monkeypatch.setattr(sys, "stdin", io.StringIO(PASSWORD + "\n"))
    call_command(
        "mailbox",
        "connect",
        ADDRESS,
        "--imap-host=127.0.0.1",
        f"--imap-port={dovecot.port}",
        "--imap-security=none",
        "--password-stdin",
        "--json",
    )
    out = capsys.readouterr().out
    assert PASSWORD not in out and json.loads(out)["sync_enabled"] is True
    call_command("sync", ADDRESS, "--json")
    report = json.loads(capsys.readouterr().out)
    inbox = next(f for f in report["folders"] if f["folder"] == "INBOX")
    assert report["ok"] and inbox["server"] == 3 and inbox["held"] == 3
