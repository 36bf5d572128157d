"""Sending mail from Keyou: compose (file at once, queue) and deliver (SMTP, then Sent).

`message_compose` checks who may send what, builds the message, files it on the
timeline as outbound at once (through the same ingest as synced mail) and queues
its delivery. `outbox_deliver` runs in the background: it sends over SMTP, records a
failure with the server's reason and retries temporary ones with backoff, then keeps
a copy in the mailbox's Sent folder over IMAP unless the server does that itself.

Errors the sender can act on (a refused recipient, a wrong password) are stored on the
row and shown; log lines carry ids and codes only, never addresses or bodies.
"""

from __future__ import annotations

import contextlib
import logging
import smtplib
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError
from imapclient.imapclient import SEEN, SENT

from keyou.crm.selectors import NotFound
from keyou.mail.blobs import blob_get, blob_put
from keyou.mail.compose import (
    Draft,
    Part,
    Recipient,
    forward_block,
    message_build,
    recipients_parse,
    reply_quote,
    subject_for,
    without_bcc,
)
from keyou.mail.imap import ConnectionProblem, ProblemKind, imap_connect, smtp_connect
from keyou.mail.ingest import mail_ingest
from keyou.mail.models import (
    AddressRole,
    Attachment,
    Direction,
    FolderRole,
    Mailbox,
    MailboxKind,
    Message,
    OutgoingKind,
    OutgoingMessage,
    OutgoingStatus,
)
from keyou.mail.parse import normalize_email
from keyou.mail.selectors import message_get_for
from keyou.mail.sources import RawItem
from keyou.people.access import Actor, can, sees_everything
from keyou.people.models import Capability

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
BACKOFF = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=15), timedelta(hours=1))
SEND_TIMEOUT = 60.0
# A worker that claimed a message and vanished gives it up after this long.
LEASE = timedelta(minutes=10)
MAX_ATTACHMENT_BYTES = 25 * 1024 * 1024
MAX_RECIPIENTS = 100
MAX_REFERENCES = 20
SENT_FOLDER = "Sent"


class ComposeInvalid(Exception):
    """The message cannot be sent as written; `errors` maps field names to messages."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__("; ".join(m for ms in errors.values() for m in ms))
        self.errors = errors


@dataclass(slots=True)
class AttachmentIn:
    """A file to attach: uploaded bytes, or an attachment of the parent (forwarding)."""

    filename: str = ""
    content_type: str = "application/octet-stream"
    data: bytes | None = None
    attachment_id: int | None = None


# --- Reads -------------------------------------------------------------------------


def mailboxes_sendable_by(actor: Actor) -> QuerySet[Mailbox]:
    """Return the mailboxes ACTOR may send from.

    A personal mailbox: its owners. A shared one: its owners, its team's members and admins.
    Nobody whose role lacks the send capability.
    """
    if not getattr(actor, "is_authenticated", False) or actor.pk is None:
        return Mailbox.objects.none()
    if not can(actor, Capability.SEND_MAIL):
        return Mailbox.objects.none()
    mine = Q(owners=actor)
    if sees_everything(actor):
        mine |= Q(kind=MailboxKind.SHARED)
    elif actor.team_id:
        mine |= Q(kind=MailboxKind.SHARED, team_id=actor.team_id)
    ids = Mailbox.objects.filter(mine).values("pk")
    # A read-only mailbox (kept after its owner left) sends nothing.
    return Mailbox.objects.filter(pk__in=ids, read_only=False).order_by("kind", "address")


def outgoing_visible_to(actor: Actor) -> QuerySet[OutgoingMessage]:
    """Return the outgoing messages ACTOR may look at: their own; admins all."""
    if sees_everything(actor):
        return OutgoingMessage.objects.all()
    if not getattr(actor, "is_authenticated", False) or actor.pk is None:
        return OutgoingMessage.objects.none()
    return OutgoingMessage.objects.filter(sender=actor)


def outgoing_get_for(actor: Actor, outgoing_id: int) -> OutgoingMessage:
    """Return outgoing message OUTGOING_ID if ACTOR may see it, else raise NotFound."""
    row = outgoing_visible_to(actor).filter(pk=outgoing_id).select_related("mailbox").first()
    if row is None:
        raise NotFound(f"outgoing message {outgoing_id!r} not found")
    return row


def outbox_for(actor: Actor) -> QuerySet[OutgoingMessage]:
    """Return ACTOR's own messages not sent yet (queued, sending, failed), newest first."""
    if not getattr(actor, "is_authenticated", False) or actor.pk is None:
        return OutgoingMessage.objects.none()
    return (
        OutgoingMessage.objects.filter(sender=actor)
        .exclude(status=OutgoingStatus.SENT)
        .select_related("mailbox", "filed")
        .order_by("-created_at", "-id")
    )


def outgoing_by_message(actor: Actor, message_ids: list[int]) -> dict[int, OutgoingMessage]:
    """Return {filed message id: outgoing row} for the rows among MESSAGE_IDS ACTOR may see."""
    rows = outgoing_visible_to(actor).filter(filed_id__in=message_ids)
    return {row.filed_id: row for row in rows}


def outbox_due(now: datetime | None = None) -> list[int]:
    """Return the ids of the deliveries due at NOW (waiting ones and expired leases)."""
    now = now or timezone.now()
    return list(
        OutgoingMessage.objects.filter(
            status__in=[OutgoingStatus.QUEUED, OutgoingStatus.SENDING], next_attempt_at__lte=now
        )
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:500]
    )


# --- Compose -----------------------------------------------------------------------


@dataclass(slots=True)
class ComposeDefaults:
    """What the compose page starts with for a new message, reply or forward."""

    to: list[str]
    cc: list[str]
    subject: str
    quote: str
    attachments: list[Attachment]


def _people(message: Message, role: str) -> list[Recipient]:
    return [
        Recipient(name=a.name, email=a.email)
        for a in message.addresses.all()
        if a.role == role and a.email
    ]


def compose_defaults(
    actor: Actor, *, kind: str, parent: Message | None, mailbox: Mailbox | None = None
) -> ComposeDefaults:
    """Return the recipients, subject, quote and attachments a reply or forward starts with."""
    if parent is None or kind == OutgoingKind.NEW:
        return ComposeDefaults(to=[], cc=[], subject="", quote="", attachments=[])
    parent = message_get_for(actor, parent.pk)
    subject = subject_for(kind, parent.subject)
    quote = _quote(kind, parent)
    if kind == OutgoingKind.FORWARD:
        return ComposeDefaults(
            to=[], cc=[], subject=subject, quote=quote, attachments=list(parent.attachments.all())
        )
    ours = {normalize_email(mailbox.address)} if mailbox else set()
    ours |= {normalize_email(m.address) for m in mailboxes_sendable_by(actor)}
    if parent.direction == Direction.INBOUND:
        to = _people(parent, AddressRole.REPLY_TO) or _people(parent, AddressRole.FROM)
    else:
        to = _people(parent, AddressRole.TO)
    cc: list[Recipient] = []
    if kind == OutgoingKind.REPLY_ALL:
        cc = _people(parent, AddressRole.TO) + _people(parent, AddressRole.CC)
        if parent.direction != Direction.INBOUND:
            cc = _people(parent, AddressRole.CC)
    taken = set(ours)
    to_out, cc_out = [], []
    for people, out in ((to, to_out), (cc, cc_out)):
        for person in people:
            if person.email not in taken:
                taken.add(person.email)
                out.append(person.formatted())
    return ComposeDefaults(to=to_out, cc=cc_out, subject=subject, quote=quote, attachments=[])


def _quote(kind: str, parent: Message) -> str:
    name = parent.from_name or parent.from_email
    if kind == OutgoingKind.FORWARD:
        people = {
            role: ", ".join(r.formatted() for r in _people(parent, role))
            for role in (AddressRole.TO, AddressRole.CC)
        }
        sender = Recipient(name=parent.from_name, email=parent.from_email)
        return forward_block(
            text=parent.text_body or parent.visible_text,
            sent_at=parent.sent_at,
            sender=sender.formatted() if parent.from_email else name,
            to=people[AddressRole.TO],
            cc=people[AddressRole.CC],
            subject=parent.subject,
        )
    return reply_quote(
        text=parent.visible_text or parent.text_body, sent_at=parent.sent_at, name=name
    )


def _check_mailbox(actor: Actor, mailbox: Mailbox) -> Mailbox:
    found = mailboxes_sendable_by(actor).filter(pk=mailbox.pk).first()
    if found is None:
        raise NotFound(f"mailbox {mailbox.pk!r} not found")
    return found


def _attachments(
    items: list[AttachmentIn], parent: Message | None, errors: dict[str, list[str]]
) -> list[tuple[Part, dict]]:
    """Return the parts to attach with their stored descriptions; note problems in ERRORS."""
    out: list[tuple[Part, dict]] = []
    total = 0
    forwarded = (
        {a.pk: a for a in Attachment.objects.filter(message=parent)} if parent is not None else {}
    )
    for item in items:
        if item.attachment_id is not None:
            original = forwarded.get(item.attachment_id)
            if original is None:
                errors.setdefault("attachments", []).append(
                    _("An attachment to forward is not part of the original message.")
                )
                continue
            try:
                data = blob_get(original.sha256)
            except FileNotFoundError:
                errors.setdefault("attachments", []).append(
                    _("The stored file of “%(name)s” is missing.") % {"name": original.filename}
                )
                continue
            name, ctype = original.filename, original.content_type
        elif item.data is not None:
            data, name, ctype = item.data, item.filename, item.content_type
        else:
            continue
        name = " ".join((name or "attachment").split())[:200] or "attachment"
        ctype = (ctype or "application/octet-stream").split(";")[0].strip().lower()[:100]
        total += len(data)
        sha = blob_put(data)
        out.append(
            (
                Part(data=data, filename=name, content_type=ctype),
                {"sha256": sha, "filename": name, "content_type": ctype, "size": len(data)},
            )
        )
    if total > MAX_ATTACHMENT_BYTES:
        errors.setdefault("attachments", []).append(
            _("The attachments are too large: at most %(mb)d MB in all.")
            % {"mb": MAX_ATTACHMENT_BYTES // (1024 * 1024)}
        )
    return out


def _sent_folder_name(mailbox: Mailbox) -> str:
    folder = mailbox.folders.filter(role=FolderRole.SENT).order_by("-enabled", "name").first()
    return folder.name if folder is not None else SENT_FOLDER


def message_compose(
    actor: Actor,
    *,
    mailbox: Mailbox,
    to: list[str],
    cc: list[str] | None = None,
    bcc: list[str] | None = None,
    subject: str = "",
    body: str = "",
    attachments: list[AttachmentIn] | None = None,
    kind: str = OutgoingKind.NEW,
    parent: Message | None = None,
    html: str = "",
    quote: bool = True,
) -> OutgoingMessage:
    """Write a message as ACTOR from MAILBOX, file it as sent, queue delivery; return the row.

    Raise NotFound when ACTOR may not send from MAILBOX or see PARENT, ComposeInvalid
    when the message cannot be sent as written. With QUOTE, a reply carries the parent's
    visible text quoted, a forward the parent's text under a forwarded-message block.
    """
    mailbox = _check_mailbox(actor, mailbox)
    if kind not in OutgoingKind.values:
        raise ComposeInvalid({"kind": [_("Unknown kind of message.")]})
    if kind != OutgoingKind.NEW:
        if parent is None:
            raise ComposeInvalid({"parent": [_("Choose the message to answer or forward.")]})
        parent = message_get_for(actor, parent.pk)
    elif parent is not None:
        parent = message_get_for(actor, parent.pk)
    errors: dict[str, list[str]] = {}
    lists = {}
    for name, values in (("to", to), ("cc", cc or []), ("bcc", bcc or [])):
        found, bad = recipients_parse(values)
        lists[name] = found
        if bad:
            errors.setdefault(name, []).append(
                _("Not an email address: %(bad)s") % {"bad": ", ".join(bad)}
            )
    everyone = lists["to"] + lists["cc"] + lists["bcc"]
    if not everyone and "to" not in errors:
        errors.setdefault("to", []).append(_("Add at least one recipient."))
    if len(everyone) > MAX_RECIPIENTS:
        errors.setdefault("to", []).append(
            _("At most %(n)d recipients per message.") % {"n": MAX_RECIPIENTS}
        )
    subject = " ".join((subject or "").split())
    if len(subject) > 900:
        errors.setdefault("subject", []).append(_("The subject is too long."))
    parts = _attachments(attachments or [], parent, errors)
    if errors:
        raise ComposeInvalid(errors)

    text = (body or "").replace("\r\n", "\n")
    if quote and parent is not None:
        text = text.rstrip("\n") + "\n\n" + _quote(kind, parent) + "\n"
    now = timezone.now()
    domain = mailbox.address.rpartition("@")[2]
    message_id = f"{uuid.uuid4().hex}@{domain}"
    keyou_id = uuid.uuid4()
    in_reply_to, references = "", []
    if parent is not None and kind != OutgoingKind.FORWARD and parent.message_id:
        in_reply_to = parent.message_id
        references = list(dict.fromkeys([*parent.references, parent.message_id]))
        # Keep the first (the conversation's root) and the latest ones.
        if len(references) > MAX_REFERENCES:
            references = [references[0], *references[-(MAX_REFERENCES - 1) :]]
    sender_name = (actor.get_full_name() if hasattr(actor, "get_full_name") else "") or mailbox.name
    raw = message_build(
        Draft(
            sender=Recipient(name=sender_name, email=mailbox.address),
            to=lists["to"],
            cc=lists["cc"],
            bcc=lists["bcc"],
            subject=subject,
            text=text,
            html=html,
            message_id=message_id,
            keyou_id=str(keyou_id),
            date=now,
            in_reply_to=in_reply_to,
            references=references,
            parts=[part for part, _stored in parts],
        )
    )
    sha = blob_put(raw)
    folder = _sent_folder_name(mailbox)
    with transaction.atomic():
        mail_ingest(
            mailbox=mailbox,
            items=[RawItem(source=f"outbox:{keyou_id}", raw=raw, folder=folder, arrived_at=now)],
            folder=folder,
            workers=0,
        )
        filed = Message.objects.filter(raw_sha256=sha).order_by("pk").first()
        row = OutgoingMessage.objects.create(
            mailbox=mailbox,
            sender=actor if getattr(actor, "pk", None) else None,
            to=[r.formatted() for r in lists["to"]],
            cc=[r.formatted() for r in lists["cc"]],
            bcc=[r.formatted() for r in lists["bcc"]],
            subject=subject,
            body=text,
            html_body=html,
            attachments=[stored for _part, stored in parts],
            kind=kind,
            parent=parent,
            message_id=message_id,
            keyou_id=keyou_id,
            raw_sha256=sha,
            next_attempt_at=now,
            filed=filed,
        )
        transaction.on_commit(lambda: _enqueue(row.pk))
    log.info("outgoing %s queued from mailbox %s", row.pk, mailbox.pk)
    return row


def _enqueue(outgoing_id: int) -> None:
    from keyou.mail.send_tasks import outbox_deliver_task

    outbox_deliver_task(outgoing_id)


def outbox_retry(actor: Actor, outgoing_id: int) -> OutgoingMessage:
    """Queue a failed (or waiting) message of ACTOR's for delivery now; return the row."""
    row = outgoing_get_for(actor, outgoing_id)
    changed = OutgoingMessage.objects.filter(
        pk=row.pk, status__in=[OutgoingStatus.FAILED, OutgoingStatus.QUEUED]
    ).update(status=OutgoingStatus.QUEUED, next_attempt_at=timezone.now(), attempts=0)
    if changed:
        transaction.on_commit(lambda: _enqueue(row.pk))
    row.refresh_from_db()
    return row


# --- Deliver -----------------------------------------------------------------------


class DeliveryFailed(Exception):
    """SMTP did not take the message; `permanent` when trying again cannot help."""

    def __init__(self, reason: str, *, permanent: bool, code: int | None = None) -> None:
        super().__init__(reason)
        self.permanent = permanent
        self.code = code


def _reply_text(code: int, text: bytes | str) -> str:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return f"{code} {' '.join(text.split())}".strip()[:1000]


def _smtp_send(mailbox: Mailbox, recipients: list[str], wire: bytes) -> dict[str, str]:
    """Send WIRE to RECIPIENTS; return the refused ones {address: reason} if others took it."""
    try:
        smtp = smtp_connect(mailbox, timeout=SEND_TIMEOUT)
    except ConnectionProblem as problem:
        permanent = problem.kind in (
            ProblemKind.AUTH,
            ProblemKind.NOT_CONFIGURED,
            ProblemKind.IMAP_DISABLED,
        )
        cause = problem.__cause__
        code = getattr(cause, "smtp_code", None)
        raise DeliveryFailed(str(problem), permanent=permanent, code=code) from None
    try:
        refused = smtp.sendmail(mailbox.address, recipients, wire)
    except smtplib.SMTPRecipientsRefused as exc:
        codes = [code for code, _text in exc.recipients.values()]
        reason = "; ".join(
            f"{address}: {_reply_text(code, text)}"
            for address, (code, text) in exc.recipients.items()
        )
        permanent = bool(codes) and all(500 <= code < 600 for code in codes)
        raise DeliveryFailed(reason, permanent=permanent, code=max(codes, default=None)) from None
    except smtplib.SMTPResponseException as exc:
        permanent = 500 <= exc.smtp_code < 600
        raise DeliveryFailed(
            _reply_text(exc.smtp_code, exc.smtp_error), permanent=permanent, code=exc.smtp_code
        ) from None
    except (smtplib.SMTPException, OSError) as exc:
        reason = _("The connection to the mail server broke off (%(reason)s).") % {
            "reason": type(exc).__name__
        }
        raise DeliveryFailed(reason, permanent=False) from None
    finally:
        with contextlib.suppress(Exception):
            smtp.quit()
    return {address: _reply_text(code, text) for address, (code, text) in refused.items()}


def _envelope(row: OutgoingMessage) -> list[str]:
    found, _bad = recipients_parse([*row.to, *row.cc, *row.bcc])
    return [r.email for r in found]


def outbox_deliver(outgoing_id: int, *, now: datetime | None = None) -> str | None:
    """Try to deliver outgoing message OUTGOING_ID if it is due; return its new status.

    Safe to run twice: a conditional UPDATE claims the row, so only one worker sends.
    Return None when the row was not due (sent already, failed, or claimed elsewhere).
    """
    now = now or timezone.now()
    claimed = (
        OutgoingMessage.objects.filter(pk=outgoing_id)
        .filter(
            Q(status=OutgoingStatus.QUEUED, next_attempt_at__isnull=True)
            | Q(
                status__in=[OutgoingStatus.QUEUED, OutgoingStatus.SENDING],
                next_attempt_at__lte=now,
            )
        )
        .update(
            status=OutgoingStatus.SENDING, next_attempt_at=now + LEASE, attempts=F("attempts") + 1
        )
    )
    if claimed != 1:
        return None
    row = OutgoingMessage.objects.select_related("mailbox").get(pk=outgoing_id)
    raw = blob_get(row.raw_sha256)
    try:
        refused = _smtp_send(row.mailbox, _envelope(row), without_bcc(raw))
    except DeliveryFailed as failure:
        _record_failure(row, failure, now)
        return row.status
    row.status = OutgoingStatus.SENT
    row.sent_at = timezone.now()
    row.next_attempt_at = None
    row.last_error = (
        _("Not accepted for: %(refused)s")
        % {"refused": "; ".join(f"{a}: {r}" for a, r in refused.items())}
        if refused
        else ""
    )
    row.save(update_fields=["status", "sent_at", "next_attempt_at", "last_error"])
    log.info("outgoing %s sent (attempt %s)", row.pk, row.attempts)
    if not row.mailbox.server_saves_sent:
        sent_append(row, raw)
    return row.status


def _record_failure(row: OutgoingMessage, failure: DeliveryFailed, now: datetime) -> None:
    row.last_error = str(failure)[:2000]
    if failure.permanent or row.attempts >= MAX_ATTEMPTS:
        row.status = OutgoingStatus.FAILED
        row.next_attempt_at = None
    else:
        row.status = OutgoingStatus.QUEUED
        row.next_attempt_at = now + BACKOFF[min(row.attempts, len(BACKOFF)) - 1]
    row.save(update_fields=["status", "next_attempt_at", "last_error"])
    log.warning(
        "outgoing %s: delivery attempt %s failed (code %s, %s)",
        row.pk,
        row.attempts,
        failure.code,
        "permanent" if failure.permanent else "will retry",
    )


def _sent_folder(mailbox: Mailbox, client: IMAPClient) -> str | None:
    known = mailbox.folders.filter(role=FolderRole.SENT).order_by("-enabled", "name").first()
    if known is not None:
        return known.name
    return client.find_special_folder(SENT)


def sent_append(row: OutgoingMessage, raw: bytes) -> bool:
    """Keep RAW in the Sent folder of ROW's mailbox over IMAP; return whether it worked.

    A failure is logged and leaves the send as it is: the message went out and is filed.
    """
    mailbox = row.mailbox
    if not mailbox.imap_host:
        return False
    try:
        client = imap_connect(mailbox, timeout=SEND_TIMEOUT)
    except ConnectionProblem as problem:
        log.warning("outgoing %s: no copy in Sent, IMAP login failed (%s)", row.pk, problem.kind)
        return False
    try:
        folder = _sent_folder(mailbox, client)
        if folder is None:
            log.warning("outgoing %s: no copy in Sent, the mailbox has no Sent folder", row.pk)
            return False
        client.append(folder, raw, flags=(SEEN,), msg_time=row.sent_at)
    except (IMAPClientError, OSError) as exc:
        log.warning("outgoing %s: no copy in Sent (%s)", row.pk, type(exc).__name__)
        return False
    finally:
        with contextlib.suppress(Exception):
            client.logout()
    OutgoingMessage.objects.filter(pk=row.pk).update(appended_to_sent=True)
    row.appended_to_sent = True
    return True
