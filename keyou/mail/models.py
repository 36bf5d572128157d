"""Mailboxes, messages, threads and where each message was seen."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class MailboxKind(models.TextChoices):
    PERSONAL = "personal", _("Personal")
    SHARED = "shared", _("Shared")


class Security(models.TextChoices):
    SSL = "ssl", _("SSL/TLS")
    STARTTLS = "starttls", _("STARTTLS")
    NONE = "none", _("None (plain text)")


class SyncStatus(models.TextChoices):
    NOT_CONNECTED = "not_connected", _("Not connected")
    SYNCING = "syncing", _("Syncing")
    OK = "ok", _("Synced")
    ERROR = "error", _("Error")
    AUTH_FAILED = "auth_failed", _("Wrong password")


class Mailbox(models.Model):
    address = models.CharField(_("address"), max_length=320, unique=True)  # normalized
    name = models.CharField(_("name"), max_length=200, blank=True)
    kind = models.CharField(
        _("kind"), max_length=16, choices=MailboxKind.choices, default=MailboxKind.PERSONAL
    )
    owners = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="mailboxes")
    team = models.ForeignKey(
        "people.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # Connection (all optional: a mailbox may be import-only).
    preset = models.CharField(_("provider"), max_length=32, blank=True)
    imap_host = models.CharField(_("IMAP host"), max_length=255, blank=True)
    imap_port = models.PositiveIntegerField(_("IMAP port"), null=True, blank=True)
    imap_security = models.CharField(
        _("IMAP security"), max_length=16, choices=Security.choices, default=Security.SSL
    )
    smtp_host = models.CharField(_("SMTP host"), max_length=255, blank=True)
    smtp_port = models.PositiveIntegerField(_("SMTP port"), null=True, blank=True)
    smtp_security = models.CharField(
        _("SMTP security"), max_length=16, choices=Security.choices, default=Security.SSL
    )
    username = models.CharField(_("username"), max_length=320, blank=True)
    password_encrypted = models.TextField(blank=True)  # Fernet token; never shown
    server_saves_sent = models.BooleanField(_("server keeps a copy of sent mail"), default=False)
    sync_enabled = models.BooleanField(_("sync enabled"), default=False)
    # Kept after its owner left (handover): history stays filed; no sync, no sending.
    read_only = models.BooleanField(_("read-only"), default=False)
    sync_months = models.PositiveSmallIntegerField(_("months of history"), default=12)
    sync_status = models.CharField(
        max_length=16, choices=SyncStatus.choices, default=SyncStatus.NOT_CONNECTED
    )
    last_sync_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    last_error_at = models.DateTimeField(null=True, blank=True)
    failures = models.PositiveIntegerField(default=0)  # consecutive
    next_sync_at = models.DateTimeField(null=True, blank=True)  # backoff
    lease_owner = models.CharField(max_length=100, blank=True)  # per-mailbox sync lock
    lease_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["address"]
        verbose_name = _("mailbox")
        verbose_name_plural = _("mailboxes")

    def __str__(self) -> str:
        return self.address


class FolderRole(models.TextChoices):
    INBOX = "inbox", _("Inbox")
    SENT = "sent", _("Sent")
    DRAFTS = "drafts", _("Drafts")
    JUNK = "junk", _("Junk")
    TRASH = "trash", _("Trash")
    ARCHIVE = "archive", _("Archive")
    OTHER = "other", _("Other")


class MailFolder(models.Model):
    """One IMAP folder of a mailbox and how far Keyou has synced it."""

    mailbox = models.ForeignKey(Mailbox, on_delete=models.CASCADE, related_name="folders")
    name = models.CharField(max_length=500)  # as the server names it (modified UTF-7)
    display_name = models.CharField(max_length=500, blank=True)  # decoded
    role = models.CharField(max_length=16, choices=FolderRole.choices, default=FolderRole.OTHER)
    enabled = models.BooleanField(default=False)
    uidvalidity = models.BigIntegerField(null=True, blank=True)
    last_uid = models.BigIntegerField(default=0)  # highest UID fetched
    oldest_uid = models.BigIntegerField(null=True, blank=True)  # initial sync goes newest first
    initial_done = models.BooleanField(default=False)
    highest_modseq = models.BigIntegerField(null=True, blank=True)
    server_count = models.PositiveIntegerField(null=True, blank=True)
    held_count = models.PositiveIntegerField(default=0)
    last_synced_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["mailbox", "name"]
        constraints = [
            models.UniqueConstraint(fields=["mailbox", "name"], name="folder_once_per_mailbox"),
        ]

    @property
    def is_synced(self) -> bool:
        """Its history is fetched and Keyou holds everything the server has in the window."""
        return (
            self.initial_done
            and self.server_count is not None
            and self.held_count >= self.server_count
        )

    def __str__(self) -> str:
        return f"{self.mailbox_id}:{self.display_name or self.name}"


class SyncLog(models.Model):
    """What happened during syncs of a mailbox: shown on its status page."""

    class Level(models.TextChoices):
        INFO = "info", _("Info")
        ERROR = "error", _("Error")

    mailbox = models.ForeignKey(Mailbox, on_delete=models.CASCADE, related_name="sync_logs")
    at = models.DateTimeField(auto_now_add=True)
    level = models.CharField(max_length=8, choices=Level.choices, default=Level.INFO)
    message = models.TextField()
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            # The status page: a mailbox's latest entries.
            models.Index(fields=["mailbox", "-at"], name="synclog_recent"),
        ]

    def __str__(self) -> str:
        return self.message[:60]


class Thread(models.Model):
    subject = models.CharField(max_length=998, blank=True)
    normalized_subject = models.CharField(max_length=255, blank=True)
    participants = models.JSONField(default=list, blank=True)  # normalized addresses
    first_at = models.DateTimeField(null=True)
    last_at = models.DateTimeField(null=True)
    message_count = models.PositiveIntegerField(default=0)
    last_inbound_at = models.DateTimeField(null=True, blank=True)
    last_outbound_at = models.DateTimeField(null=True, blank=True)
    # The first customer message we have not answered yet; None when we owe nothing.
    awaiting_since = models.DateTimeField(null=True, blank=True)
    # When our reply is due under the owning team's business hours (SLA clock).
    reply_due_at = models.DateTimeField(null=True, blank=True)
    is_inquiry = models.BooleanField(default=False)
    # The customer the thread is about (its first filed account): whose owner replies.
    account = models.ForeignKey(
        "crm.Account", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    is_private = models.BooleanField(default=False)

    class Meta:
        indexes = [
            # "Awaiting our reply" lists and the reply queue, oldest first.
            models.Index(fields=["awaiting_since"], name="thread_awaiting"),
            # "My queue" and "My day": threads of an account awaiting a reply, by due
            # time. Partial, so the planner walks one owner's accounts into it instead
            # of intersecting with every awaiting thread (140 ms → 2 ms at 300k mail).
            models.Index(
                fields=["account", "reply_due_at"],
                condition=models.Q(awaiting_since__isnull=False),
                name="thread_account_due",
            ),
            # Subject fallback: same normalized subject within a time window.
            models.Index(fields=["normalized_subject", "last_at"], name="thread_subject_recent"),
        ]

    def __str__(self) -> str:
        return self.subject or f"thread {self.pk}"


class ThreadRef(models.Model):
    """Every Message-ID seen (sent or only referenced) and the thread it belongs to.

    This lets a reply that arrives before its parent start the thread, and the
    parent join it later: JWZ's id table, kept in the database.
    """

    message_id = models.CharField(max_length=998, unique=True)
    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="refs")

    def __str__(self) -> str:
        return self.message_id


class Direction(models.TextChoices):
    INBOUND = "inbound", _("Inbound")
    OUTBOUND = "outbound", _("Outbound")
    INTERNAL = "internal", _("Internal")


class Message(models.Model):
    dedupe_key = models.CharField(max_length=1100, unique=True)
    message_id = models.CharField(max_length=998, blank=True, db_index=True)
    content_hash = models.CharField(max_length=64, db_index=True)
    raw_sha256 = models.CharField(max_length=64, db_index=True)  # byte-identical copies
    size = models.PositiveIntegerField(default=0)
    subject = models.TextField(blank=True)
    sent_at = models.DateTimeField()
    date_source = models.CharField(max_length=16, blank=True)
    from_email = models.CharField(max_length=320, blank=True)
    from_name = models.CharField(max_length=255, blank=True)
    direction = models.CharField(max_length=16, choices=Direction.choices)
    in_reply_to = models.JSONField(default=list, blank=True)
    references = models.JSONField(default=list, blank=True)
    text_body = models.TextField(blank=True)
    html_body = models.TextField(blank=True)  # sanitized
    visible_text = models.TextField(blank=True)
    snippet = models.CharField(max_length=300, blank=True)
    is_automated = models.BooleanField(default=False)
    automated_reason = models.CharField(max_length=64, blank=True)
    problems = models.JSONField(default=list, blank=True)
    is_flagged = models.BooleanField(default=False)
    parse_failed = models.BooleanField(default=False)
    thread = models.ForeignKey(
        Thread, null=True, blank=True, on_delete=models.SET_NULL, related_name="messages"
    )
    # X-Keyou-Id of mail Keyou sent: finds our message again when the provider has
    # rewritten its Message-ID (Amazon SES, Exchange, Gmail).
    keyou_id = models.CharField(max_length=36, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["sent_at", "id"]
        indexes = [
            # Ingest dedupe: the copy of a sent message synced back from the server.
            models.Index(fields=["keyou_id"], name="message_keyou_id"),
            # Thread view: messages of a thread in order.
            models.Index(fields=["thread", "sent_at"], name="message_thread_order"),
            # Problem-mail admin list.
            models.Index(fields=["is_flagged", "-created_at"], name="message_flagged"),
        ]

    def __str__(self) -> str:
        return self.subject or self.message_id or f"message {self.pk}"


class AddressRole(models.TextChoices):
    FROM = "from", "From"
    SENDER = "sender", "Sender"
    TO = "to", "To"
    CC = "cc", "Cc"
    BCC = "bcc", "Bcc"
    REPLY_TO = "reply-to", "Reply-To"


class MessageAddress(models.Model):
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="addresses")
    role = models.CharField(max_length=16, choices=AddressRole.choices)
    name = models.CharField(max_length=255, blank=True)
    email = models.CharField(max_length=320)  # normalized
    is_internal = models.BooleanField(default=False)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["message", "role", "position"]
        indexes = [
            # "All mail with this person".
            models.Index(fields=["email"], name="message_address_email"),
        ]

    def __str__(self) -> str:
        return f"{self.role}: {self.email}"


class MailboxCopy(models.Model):
    """One place a message sits: a mailbox, a folder, and (for IMAP) a UID."""

    mailbox = models.ForeignKey(Mailbox, on_delete=models.CASCADE, related_name="copies")
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="copies")
    folder = models.CharField(max_length=500, default="INBOX")
    uidvalidity = models.BigIntegerField(null=True, blank=True)
    uid = models.BigIntegerField(null=True, blank=True)
    flags = models.JSONField(default=list, blank=True)
    deleted_on_server = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["mailbox", "folder", "message"], name="copy_once_per_folder"
            ),
        ]
        indexes = [
            # Sync: which UIDs of a folder are already held.
            models.Index(fields=["mailbox", "folder", "uidvalidity", "uid"], name="copy_by_uid"),
        ]

    def __str__(self) -> str:
        return f"{self.mailbox_id}/{self.folder}: {self.message_id}"


class Attachment(models.Model):
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attachments")
    sha256 = models.CharField(max_length=64, db_index=True)
    filename = models.CharField(max_length=500)
    content_type = models.CharField(max_length=255)
    size = models.PositiveIntegerField()
    content_id = models.CharField(max_length=500, blank=True)
    inline = models.BooleanField(default=False)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["message", "position"]

    def __str__(self) -> str:
        return self.filename


class Tombstone(models.Model):
    """A message deleted in Keyou: keyed like the dedupe key so it never comes back."""

    dedupe_key = models.CharField(max_length=1100, unique=True)
    deleted_at = models.DateTimeField(auto_now_add=True)
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.CharField(max_length=255, blank=True)

    def __str__(self) -> str:
        return self.dedupe_key


class OutgoingKind(models.TextChoices):
    NEW = "new", _("New message")
    REPLY = "reply", _("Reply")
    REPLY_ALL = "reply_all", _("Reply all")
    FORWARD = "forward", _("Forward")


class OutgoingStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", _("Cancelled")  # never to be sent (e.g. its sender left)


class OutgoingMessage(models.Model):
    """A message written in Keyou: filed on the timeline at once, delivered by a task.

    While QUEUED, `next_attempt_at` is when delivery is due; while SENDING it is the end
    of the claiming worker's lease. A temporary failure goes back to QUEUED with
    `last_error`; a permanent one (or the last attempt) ends in FAILED.
    """

    mailbox = models.ForeignKey(Mailbox, on_delete=models.CASCADE, related_name="outgoing")
    sender = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="outgoing_messages",
    )
    to = models.JSONField(default=list, blank=True)  # formatted addresses
    cc = models.JSONField(default=list, blank=True)
    bcc = models.JSONField(default=list, blank=True)
    subject = models.TextField(blank=True)
    body = models.TextField(blank=True)
    html_body = models.TextField(blank=True)
    # [{"sha256", "filename", "content_type", "size"}]: blobs, uploaded or forwarded.
    attachments = models.JSONField(default=list, blank=True)
    kind = models.CharField(max_length=16, choices=OutgoingKind.choices, default=OutgoingKind.NEW)
    parent = models.ForeignKey(
        Message, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    message_id = models.CharField(max_length=998)  # ours, without angle brackets
    keyou_id = models.UUIDField(unique=True, default=uuid.uuid4, editable=False)
    raw_sha256 = models.CharField(max_length=64)  # the message as filed (Bcc included)
    status = models.CharField(
        max_length=16, choices=OutgoingStatus.choices, default=OutgoingStatus.QUEUED
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)  # the server's reason, shown to the sender
    sent_at = models.DateTimeField(null=True, blank=True)
    appended_to_sent = models.BooleanField(default=False)
    filed = models.ForeignKey(
        Message, null=True, blank=True, on_delete=models.SET_NULL, related_name="outgoing"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # The retry sweep: deliveries due now.
            models.Index(fields=["status", "next_attempt_at"], name="outbox_due"),
            # A user's outbox page: their queued and failed messages.
            models.Index(fields=["sender", "status"], name="outbox_by_sender"),
        ]

    def __str__(self) -> str:
        return self.subject or self.message_id
