"""Live mailboxes: connect, test, discover folders, sync over IMAP, watch INBOX with IDLE.

A sync pass never changes the server: folders are opened read-only (EXAMINE), bodies
fetched with BODY.PEEK[], and nothing is stored, moved or expunged. What Keyou holds
is worked out from its own MailboxCopy rows, so an interrupted pass simply resumes:
the next pass fetches what is on the server and not yet held, newest first.
"""

from __future__ import annotations

import contextlib
import logging
import os
import queue
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import close_old_connections, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError

from keyou.mail.crypto import secret_encrypt
from keyou.mail.imap import ConnectionProblem, ProblemKind, classify, imap_connect, smtp_connect
from keyou.mail.ingest import mail_ingest
from keyou.mail.models import (
    FolderRole,
    Mailbox,
    MailboxCopy,
    MailFolder,
    Security,
    SyncLog,
    SyncStatus,
)
from keyou.mail.parse import normalize_email
from keyou.mail.presets import preset_get
from keyou.mail.sources import RawItem
from keyou.people.access import SYSTEM, Actor
from keyou.people.models import User
from keyou.people.services import InvalidInput, notify_translated

log = logging.getLogger(__name__)

FETCH_BATCH = 200
LEASE_SECONDS = 300
AUTH_FAILURES_BEFORE_STOP = 3
MAX_BACKOFF_MINUTES = 60
IDLE_SECONDS = 5 * 60

_SPECIAL_USE = {
    b"\\Sent": FolderRole.SENT,
    b"\\Junk": FolderRole.JUNK,
    b"\\Trash": FolderRole.TRASH,
    b"\\Drafts": FolderRole.DRAFTS,
    b"\\Archive": FolderRole.ARCHIVE,
}
_NAMES = {
    FolderRole.SENT: {"sent", "sent messages", "sent items", "sent mail", "已发送", "已发送邮件", "发件箱", "寄件備份"},
    FolderRole.JUNK: {"junk", "spam", "junk e-mail", "junk email", "垃圾邮件", "垃圾箱"},
    FolderRole.TRASH: {"trash", "deleted items", "deleted messages", "已删除", "已删除邮件"},
    FolderRole.DRAFTS: {"drafts", "草稿箱", "草稿"},
    FolderRole.ARCHIVE: {"archive", "归档"},
}  # fmt: skip
_SYNCED_BY_DEFAULT = {FolderRole.INBOX, FolderRole.SENT}


def sync_interval() -> timedelta:
    """How often a connected mailbox is polled when IDLE is not telling us first."""
    return timedelta(seconds=getattr(settings, "KEYOU_SYNC_INTERVAL", 120))


# --- Connection ------------------------------------------------------------------


def mailbox_connect(
    address: str,
    *,
    preset: str = "",
    imap_host: str = "",
    imap_port: int | None = None,
    imap_security: str = Security.SSL,
    smtp_host: str = "",
    smtp_port: int | None = None,
    smtp_security: str = Security.SSL,
    username: str = "",
    password: str | None = None,
    sync_months: int | None = None,
    actor: Actor = SYSTEM,
    request: Any = None,
) -> Mailbox:
    """Save MAILBOX's server settings (a preset fills what is not given) and turn sync on.

    A PASSWORD of None keeps the stored one. The password is stored encrypted. The
    change is audited (which servers, whether the password changed; never the password).
    """
    mailbox = Mailbox.objects.filter(address=normalize_email(address)).first()
    if mailbox is None:
        raise InvalidInput(_("No mailbox %(address)s; add it first.") % {"address": address})
    chosen = preset_get(preset) if preset else None
    if preset and chosen is None:
        raise InvalidInput(_("Unknown provider %(preset)s.") % {"preset": preset})
    for value, name in ((imap_security, "IMAP"), (smtp_security, "SMTP")):
        if value not in Security.values:
            raise InvalidInput(
                _("%(name)s security must be one of: %(choices)s")
                % {"name": name, "choices": ", ".join(Security.values)}
            )
    if chosen is not None:
        if not imap_host:
            imap_host, imap_port, imap_security = (
                chosen.imap_host,
                chosen.imap_port,
                chosen.imap_security,
            )
        if not smtp_host:
            smtp_host, smtp_port, smtp_security = (
                chosen.smtp_host,
                chosen.smtp_port,
                chosen.smtp_security,
            )
        mailbox.server_saves_sent = chosen.server_saves_sent
    if not imap_host:
        raise InvalidInput(_("Give the IMAP server, or choose a provider."))
    for port in (imap_port, smtp_port):
        if port is not None and not 0 < int(port) < 65536:
            raise InvalidInput(_("A port is a number from 1 to 65535."))
    if password is None and not mailbox.password_encrypted:
        raise InvalidInput(_("Give the mailbox password."))
    if sync_months is not None and not 1 <= sync_months <= 1200:
        raise InvalidInput(_("Months of history must be between 1 and 1200."))
    mailbox.preset = preset
    mailbox.imap_host, mailbox.imap_port, mailbox.imap_security = (
        imap_host,
        imap_port,
        imap_security,
    )
    mailbox.smtp_host, mailbox.smtp_port, mailbox.smtp_security = (
        smtp_host,
        smtp_port,
        smtp_security,
    )
    mailbox.username = username or mailbox.address
    if password is not None:
        mailbox.password_encrypted = secret_encrypt(password)
    if sync_months is not None:
        mailbox.sync_months = sync_months
    mailbox.sync_enabled = True
    mailbox.failures = 0
    mailbox.next_sync_at = None
    mailbox.last_error = ""
    if mailbox.sync_status in (SyncStatus.NOT_CONNECTED, SyncStatus.AUTH_FAILED, SyncStatus.ERROR):
        mailbox.sync_status = SyncStatus.SYNCING
    mailbox.save()
    from keyou.audit.models import AuditAction
    from keyou.audit.services import audit

    audit(
        actor,
        AuditAction.MAILBOX_CREDENTIALS,
        obj=mailbox,
        data={
            "imap": f"{imap_host}:{imap_port or ''}",
            "smtp": f"{smtp_host}:{smtp_port or ''}" if smtp_host else "",
            "username": mailbox.username,
            "password_changed": password is not None,
        },
        request=request,
    )
    return mailbox


@dataclass
class TestLine:
    ok: bool
    text: str


@dataclass
class ConnectionTest:
    imap: ConnectionProblem | None = None
    smtp: ConnectionProblem | None = None
    folders: int = 0
    smtp_checked: bool = True

    @property
    def ok(self) -> bool:
        return self.imap is None and self.smtp is None

    def lines(self) -> list[TestLine]:
        out = [
            TestLine(False, str(self.imap))
            if self.imap
            else TestLine(True, _("IMAP works: %(n)s folders found.") % {"n": self.folders})
        ]
        if self.smtp_checked:
            out.append(
                TestLine(False, str(self.smtp)) if self.smtp else TestLine(True, _("SMTP works."))
            )
        return out


def mailbox_test_connection(mailbox: Mailbox, *, timeout: float = 20.0) -> ConnectionTest:
    """Log in to MAILBOX's IMAP (and list folders) and SMTP servers; change nothing."""
    result = ConnectionTest(smtp_checked=bool(mailbox.smtp_host))
    try:
        client = imap_connect(mailbox, timeout=timeout)
        try:
            result.folders = len(client.list_folders())
        finally:
            _logout(client)
    except ConnectionProblem as problem:
        result.imap = problem
    except (IMAPClientError, OSError) as exc:
        result.imap = classify(exc, host=mailbox.imap_host, port=mailbox.imap_port, protocol="IMAP")
    if result.smtp_checked:
        try:
            smtp = smtp_connect(mailbox, timeout=timeout)
            smtp.quit()
        except ConnectionProblem as problem:
            result.smtp = problem
    return result


def _logout(client: IMAPClient) -> None:
    try:
        client.logout()
    except Exception:  # noqa: BLE001 - the server may already be gone
        with contextlib.suppress(Exception):
            client.shutdown()


# --- Folders ---------------------------------------------------------------------


def _role(flags: tuple[bytes, ...], name: str) -> str:
    if name.upper() == "INBOX":
        return FolderRole.INBOX
    for flag in flags:
        role = _SPECIAL_USE.get(flag if isinstance(flag, bytes) else str(flag).encode())
        if role:
            return role
    leaf = name.replace("\\", "/").split("/")[-1].split(".")[-1].strip().casefold()
    for role, names in _NAMES.items():
        if leaf in names:
            return role
    return FolderRole.OTHER


def folders_discover(mailbox: Mailbox, client: IMAPClient) -> list[MailFolder]:
    """Record MAILBOX's folders; new INBOX and Sent folders are synced by default."""
    known = {f.name: f for f in mailbox.folders.all()}
    seen = []
    for flags, _delimiter, name in client.list_folders():
        if b"\\Noselect" in flags or b"\\NonExistent" in flags:
            continue
        role = _role(tuple(flags), name)
        folder = known.get(name)
        if folder is None:
            # Only the first Sent-like folder is turned on by itself.
            on = role in _SYNCED_BY_DEFAULT and not any(
                f.role == role and f.enabled for f in known.values()
            )
            folder = MailFolder.objects.create(
                mailbox=mailbox, name=name, display_name=name, role=role, enabled=on
            )
            known[name] = folder
        elif folder.role != role:
            folder.role = role
            folder.save(update_fields=["role"])
        seen.append(folder)
    return seen


# --- Lease -----------------------------------------------------------------------


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"


def lease_take(mailbox_id: int, owner: str, seconds: int = LEASE_SECONDS) -> bool:
    """Take (or renew) the sync lease of a mailbox for OWNER; False if someone else has it."""
    now = timezone.now()
    taken = (
        Mailbox.objects.filter(pk=mailbox_id)
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now) | Q(lease_owner=owner))
        .update(lease_owner=owner, lease_until=now + timedelta(seconds=seconds))
    )
    return taken == 1


def lease_release(mailbox_id: int, owner: str) -> None:
    Mailbox.objects.filter(pk=mailbox_id, lease_owner=owner).update(
        lease_owner="", lease_until=None
    )


# --- Sync ------------------------------------------------------------------------


@dataclass
class FolderReport:
    folder: str
    server: int = 0
    held: int = 0
    fetched: int = 0
    new: int = 0
    duplicates: int = 0
    flagged: int = 0
    failed: int = 0
    flags_changed: int = 0
    deleted_on_server: int = 0
    uidvalidity_reset: bool = False

    @property
    def reconciled(self) -> bool:
        return self.held >= self.server


@dataclass
class SyncReport:
    mailbox: str
    folders: list[FolderReport] = field(default_factory=list)
    error: str = ""
    error_kind: str = ""
    skipped: str = ""  # why no sync ran (another worker holds the lease)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.error and not self.skipped

    def as_dict(self) -> dict:
        return {
            "mailbox": self.mailbox,
            "ok": self.ok,
            "error": self.error,
            "error_kind": self.error_kind,
            "skipped": self.skipped,
            "seconds": round(self.seconds, 3),
            "folders": [{**vars(f), "reconciled": f.reconciled} for f in self.folders],
        }


def _flags(raw: object) -> tuple[str, ...]:
    return tuple(
        (f.decode("utf-8", "replace") if isinstance(f, bytes) else str(f)) for f in raw or ()
    )


def _aware(value: object) -> datetime | None:
    if not isinstance(value, datetime):
        return None
    return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)


def _held(mailbox: Mailbox, folder: MailFolder) -> dict[int, tuple[int, list[str], bool]]:
    """UID → (copy id, flags, deleted_on_server) of the copies held for FOLDER's UIDVALIDITY."""
    rows = MailboxCopy.objects.filter(
        mailbox=mailbox, folder=folder.name, uidvalidity=folder.uidvalidity, uid__isnull=False
    ).values_list("uid", "pk", "flags", "deleted_on_server")
    return {uid: (pk, flags, gone) for uid, pk, flags, gone in rows}


def _prefetched(client: IMAPClient, uids: list[int]) -> Iterator[tuple[list[int], dict]]:
    """Yield (batch, FETCH response) for UIDS in batches; a thread fetches one batch ahead,
    so the server and the network work while the previous batch is being stored."""
    batches = [uids[i : i + FETCH_BATCH] for i in range(0, len(uids), FETCH_BATCH)]
    ready: queue.Queue = queue.Queue(maxsize=1)
    stop = threading.Event()

    def fetch_all() -> None:
        try:
            for batch in batches:
                if stop.is_set():
                    return
                ready.put((batch, client.fetch(batch, ["BODY.PEEK[]", "FLAGS", "INTERNALDATE"])))
        except BaseException as exc:  # noqa: BLE001 - handed to the consuming thread
            ready.put(exc)
            return
        ready.put(None)

    fetcher = threading.Thread(target=fetch_all, name="imap-fetch", daemon=True)
    fetcher.start()
    try:
        while (got := ready.get()) is not None:
            if isinstance(got, BaseException):
                raise got
            yield got
    finally:
        stop.set()
        while fetcher.is_alive():  # let it finish its FETCH before the connection is reused
            with contextlib.suppress(queue.Empty):
                ready.get(timeout=0.1)
        fetcher.join()


def _fetch(
    client: IMAPClient,
    mailbox: Mailbox,
    folder: MailFolder,
    uids: list[int],
    report: FolderReport,
    renew: Callable[[], None],
) -> Iterator[RawItem]:
    for batch, data in _prefetched(client, uids):
        renew()
        for uid in batch:
            item = data.get(uid)
            if not item or b"BODY[]" not in item:
                continue  # expunged between SEARCH and FETCH
            report.fetched += 1
            yield RawItem(
                source=f"imap:{mailbox.address}/{folder.display_name or folder.name}/{uid}",
                raw=item[b"BODY[]"],
                folder=folder.name,
                uid=uid,
                uidvalidity=folder.uidvalidity,
                flags=_flags(item.get(b"FLAGS")),
                arrived_at=_aware(item.get(b"INTERNALDATE")),
            )


def _sync_folder(
    client: IMAPClient,
    mailbox: Mailbox,
    folder: MailFolder,
    renew: Callable[[], None],
    progress: Callable[[FolderReport], None] | None,
) -> FolderReport:
    report = FolderReport(folder=folder.display_name or folder.name)
    selected = client.select_folder(folder.name, readonly=True)
    uidvalidity = int(selected.get(b"UIDVALIDITY", 0)) or None
    if folder.uidvalidity is not None and uidvalidity != folder.uidvalidity:
        # The server renumbered the folder: scan it again; the ingest's dedupe matches
        # every message already held and moves its copy to the new UID.
        report.uidvalidity_reset = True
        folder.initial_done = False
        folder.last_uid = 0
        folder.oldest_uid = None
        folder.highest_modseq = None
        SyncLog.objects.create(
            mailbox=mailbox,
            message=_(
                "%(folder)s was renumbered by the server (new UIDVALIDITY); scanning it again."
            )
            % {"folder": report.folder},
        )
    folder.uidvalidity = uidvalidity
    since = (timezone.now() - timedelta(days=30 * mailbox.sync_months)).date()
    window = set(client.search(["SINCE", since]))
    everything = set(client.search(["ALL"]))
    held = _held(mailbox, folder)
    todo = sorted(window - held.keys(), reverse=True)  # newest first
    folder.server_count = len(window)
    folder.save()

    held_at_start = len(window & held.keys())

    def batch_done(stats) -> None:
        renew()
        # The status page shows the history filling in while the pass runs.
        MailFolder.objects.filter(pk=folder.pk).update(
            held_count=min(len(window), held_at_start + stats.read)
        )
        report.new, report.duplicates = stats.new, stats.duplicates
        report.flagged, report.failed = stats.flagged, stats.failed
        if progress is not None:
            progress(report)

    if todo:
        stats = mail_ingest(
            mailbox=mailbox,
            items=_fetch(client, mailbox, folder, todo, report, renew),
            folder=folder.name,
            batch_size=FETCH_BATCH,
            progress=batch_done,
        )
        batch_done(stats)
    held = _held(mailbox, folder)
    report.flags_changed = _refresh_flags(client, folder, held, window, selected)
    gone = [
        pk for uid, (pk, _f, was_gone) in held.items() if uid not in everything and not was_gone
    ]
    back = [pk for uid, (pk, _f, was_gone) in held.items() if uid in everything and was_gone]
    if gone:
        MailboxCopy.objects.filter(pk__in=gone).update(deleted_on_server=True)
    if back:
        MailboxCopy.objects.filter(pk__in=back).update(deleted_on_server=False)
    report.deleted_on_server = len(gone)
    report.server = len(window)
    report.held = len(window & held.keys())
    folder.held_count = report.held
    folder.last_uid = max([folder.last_uid, *held.keys()]) if held else folder.last_uid
    folder.oldest_uid = min(held) if held else None
    folder.initial_done = True
    folder.last_synced_at = timezone.now()
    modseq = selected.get(b"HIGHESTMODSEQ")
    folder.highest_modseq = int(modseq) if modseq else None
    folder.save()
    return report


def _refresh_flags(
    client: IMAPClient,
    folder: MailFolder,
    held: dict[int, tuple[int, list[str], bool]],
    window: set[int],
    selected: dict,
) -> int:
    """Bring the flags of held copies up to date; CHANGEDSINCE when the server has CONDSTORE."""
    if not held:
        return 0
    if folder.highest_modseq and selected.get(b"HIGHESTMODSEQ"):
        if int(selected[b"HIGHESTMODSEQ"]) == folder.highest_modseq:
            return 0
        data = client.fetch("1:*", ["FLAGS"], modifiers=[f"CHANGEDSINCE {folder.highest_modseq}"])
    else:
        uids = sorted(window & held.keys())
        data = {}
        for start in range(0, len(uids), 1000):
            data.update(client.fetch(uids[start : start + 1000], ["FLAGS"]))
    changed = []
    for uid, item in data.items():
        if uid not in held:
            continue
        pk, current, _gone = held[uid]
        flags = sorted(_flags(item.get(b"FLAGS")))
        if flags != sorted(current):
            changed.append(MailboxCopy(pk=pk, flags=flags))
    if changed:
        MailboxCopy.objects.bulk_update(changed, ["flags"], batch_size=500)
    return len(changed)


def _record_failure(mailbox: Mailbox, problem: ConnectionProblem) -> None:
    mailbox.refresh_from_db()
    mailbox.failures += 1
    now = timezone.now()
    mailbox.last_error = str(problem)
    mailbox.last_error_at = now
    minutes = min(MAX_BACKOFF_MINUTES, 2 ** (mailbox.failures - 1))
    mailbox.next_sync_at = now + timedelta(minutes=minutes)
    stop = problem.kind == ProblemKind.AUTH and mailbox.failures >= AUTH_FAILURES_BEFORE_STOP
    mailbox.sync_status = SyncStatus.AUTH_FAILED if stop else SyncStatus.ERROR
    mailbox.save(
        update_fields=["failures", "last_error", "last_error_at", "next_sync_at", "sync_status"]
    )
    SyncLog.objects.create(
        mailbox=mailbox,
        level=SyncLog.Level.ERROR,
        message=str(problem),
        data={"kind": str(problem.kind), "failures": mailbox.failures},
    )
    log.warning("sync of %s failed (%s), try %d", mailbox.address, problem.kind, mailbox.failures)
    if stop:
        _tell_people(mailbox)


def _tell_people(mailbox: Mailbox) -> None:
    """Tell the mailbox's owners and the admins that its sync stopped on the password."""
    people = {u.pk: u for u in mailbox.owners.all()}
    people |= {u.pk: u for u in User.objects.filter(is_superuser=True, is_active=True)}
    for user in people.values():
        notify_translated(
            user,
            gettext_noop(
                "Syncing %(address)s stopped: the server refused the password %(n)s times. "
                "Enter the current password on the mailbox page."
            ),
            {"address": mailbox.address, "n": mailbox.failures},
            kind="mailbox.auth_failed",
            url=f"/mailboxes/{mailbox.pk}/",
        )


def mailbox_sync(
    mailbox: Mailbox,
    *,
    worker: str | None = None,
    folders: list[str] | None = None,
    progress: Callable[[FolderReport], None] | None = None,
) -> SyncReport:
    """Run one sync pass of MAILBOX (only FOLDERS, by role or name, if given).

    Returns per-folder counts. Another worker holding the mailbox's lease makes this
    a no-op (`skipped`); connection problems are recorded with backoff, never raised.
    """
    owner = worker or worker_name()
    report = SyncReport(mailbox=mailbox.address)
    started = time.monotonic()
    began = timezone.now()
    if not lease_take(mailbox.pk, owner):
        report.skipped = _("Another worker is syncing this mailbox.")
        return report
    try:
        client = imap_connect(mailbox)
    except ConnectionProblem as problem:
        lease_release(mailbox.pk, owner)
        _record_failure(mailbox, problem)
        report.error, report.error_kind = str(problem), str(problem.kind)
        report.seconds = time.monotonic() - started
        return report
    Mailbox.objects.filter(pk=mailbox.pk).update(sync_status=SyncStatus.SYNCING)

    def renew() -> None:
        if not lease_take(mailbox.pk, owner):
            raise ConnectionProblem(
                ProblemKind.PROTOCOL, _("Another worker took over this mailbox's sync.")
            )

    try:
        enabled = [f for f in folders_discover(mailbox, client) if f.enabled]
        if folders:
            wanted = {w.casefold() for w in folders}
            enabled = [f for f in enabled if f.name.casefold() in wanted or f.role in wanted]
        for folder in enabled:
            report.folders.append(_sync_folder(client, mailbox, folder, renew, progress))
    except ConnectionProblem as problem:
        _record_failure(mailbox, problem)
        report.error, report.error_kind = str(problem), str(problem.kind)
    except (IMAPClientError, OSError) as exc:
        problem = classify(exc, host=mailbox.imap_host, port=mailbox.imap_port, protocol="IMAP")
        _record_failure(mailbox, problem)
        report.error, report.error_kind = str(problem), str(problem.kind)
    else:
        now = timezone.now()
        with transaction.atomic():
            Mailbox.objects.filter(pk=mailbox.pk).update(
                sync_status=SyncStatus.OK,
                failures=0,
                last_error="",
                last_sync_at=now,
                next_sync_at=now + sync_interval(),
            )
            fetched = sum(f.fetched for f in report.folders)
            if fetched or any(f.uidvalidity_reset for f in report.folders):
                SyncLog.objects.create(
                    mailbox=mailbox,
                    message=_("Fetched %(n)s messages.") % {"n": fetched},
                    data={
                        "folders": [vars(f) for f in report.folders],
                        "worker": owner,
                        "started_at": began.isoformat(),
                        "finished_at": now.isoformat(),
                    },
                )
    finally:
        _logout(client)
        lease_release(mailbox.pk, owner)
        report.seconds = time.monotonic() - started
    return report


def mailboxes_due(now: datetime | None = None) -> list[int]:
    """Ids of the connected mailboxes whose next sync is due."""
    now = now or timezone.now()
    return list(
        Mailbox.objects.filter(sync_enabled=True, read_only=False)
        .exclude(sync_status=SyncStatus.AUTH_FAILED)
        .filter(Q(next_sync_at__isnull=True) | Q(next_sync_at__lte=now))
        .values_list("pk", flat=True)
    )


def mailbox_sync_soon(mailbox_id: int) -> None:
    """Queue a sync pass of the mailbox for the background worker."""
    from keyou.mail.tasks import mailbox_sync_task

    Mailbox.objects.filter(pk=mailbox_id).update(next_sync_at=None)
    mailbox_sync_task(mailbox_id)


# --- IDLE ------------------------------------------------------------------------


class IdleWatcher(threading.Thread):
    """Holds an IDLE on one mailbox's INBOX and syncs it as soon as mail arrives."""

    def __init__(self, mailbox_id: int, *, idle_seconds: int = IDLE_SECONDS) -> None:
        super().__init__(name=f"idle-{mailbox_id}", daemon=True)
        self.mailbox_id = mailbox_id
        self.idle_seconds = idle_seconds
        self.stopping = threading.Event()
        self.syncs = 0
        self.last_report: SyncReport | None = None

    def stop(self) -> None:
        self.stopping.set()

    def _sync_inbox(self) -> None:
        mailbox = Mailbox.objects.get(pk=self.mailbox_id)
        report = mailbox_sync(mailbox, folders=[FolderRole.INBOX])
        self.last_report = report
        self.syncs += 1

    def run(self) -> None:
        backoff = 1.0
        while not self.stopping.is_set():
            try:
                close_old_connections()
                mailbox = Mailbox.objects.get(pk=self.mailbox_id)
                if not mailbox.sync_enabled or mailbox.sync_status == SyncStatus.AUTH_FAILED:
                    self.stopping.wait(60)
                    continue
                client = imap_connect(mailbox, timeout=self.idle_seconds + 30)
                try:
                    client.select_folder("INBOX", readonly=True)
                    self._sync_inbox()  # what arrived while nobody was watching
                    backoff = 1.0
                    self._watch(client)
                finally:
                    _logout(client)
            except Exception as exc:  # noqa: BLE001 - a watcher must outlive any server trouble
                log.info("IDLE on mailbox %s: %s; retrying", self.mailbox_id, type(exc).__name__)
                self.stopping.wait(backoff)
                backoff = min(backoff * 2, 300)
            finally:
                close_old_connections()

    def _watch(self, client: IMAPClient) -> None:
        while not self.stopping.is_set():
            client.idle()
            deadline = time.monotonic() + self.idle_seconds
            arrived = False
            while not self.stopping.is_set() and time.monotonic() < deadline:
                responses = client.idle_check(timeout=1)
                if any(len(r) > 1 and r[1] in (b"EXISTS", b"RECENT") for r in responses):
                    arrived = True
                    break
            client.idle_done()
            if arrived:
                self._sync_inbox()


class IdleSupervisor(threading.Thread):
    """Keeps one IdleWatcher per connected mailbox (started by `serve` and `worker`)."""

    def __init__(self, check_every: float = 60.0) -> None:
        super().__init__(name="idle-supervisor", daemon=True)
        self.check_every = check_every
        self.watchers: dict[int, IdleWatcher] = {}
        self.stopping = threading.Event()

    def stop(self) -> None:
        self.stopping.set()
        for watcher in self.watchers.values():
            watcher.stop()

    def run(self) -> None:
        while not self.stopping.is_set():
            try:
                close_old_connections()
                wanted = set(
                    Mailbox.objects.filter(sync_enabled=True)
                    .exclude(sync_status=SyncStatus.AUTH_FAILED)
                    .values_list("pk", flat=True)
                )
                for pk in wanted - self.watchers.keys():
                    self.watchers[pk] = IdleWatcher(pk)
                    self.watchers[pk].start()
                for pk in set(self.watchers) - wanted:
                    self.watchers.pop(pk).stop()
            except Exception:  # noqa: BLE001
                log.exception("IDLE supervisor check failed")
            finally:
                close_old_connections()
            self.stopping.wait(self.check_every)
