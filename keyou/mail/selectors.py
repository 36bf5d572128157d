"""Reads of mail, scoped to what the actor may see.

A message is visible to whoever may see an account it is filed to, to the
owners of a mailbox it sits in, and to the team of a shared mailbox it sits in.
A thread marked private is visible only to its participants (owners of a
mailbox holding one of its messages, or people it was written to or by) and to
admins. Without the `view_email_bodies` capability a user sees that mail
exists (who, when, subject) but never its text, HTML, original or attachments.
"""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q, QuerySet

from keyou.crm.models import Activity
from keyou.crm.selectors import NotFound, accounts_visible_to
from keyou.mail.models import (
    Attachment,
    Mailbox,
    MailboxCopy,
    MailboxKind,
    Message,
    MessageAddress,
    Thread,
)
from keyou.mail.parse import normalize_email
from keyou.people.access import Actor, can, sees_everything
from keyou.people.models import Capability

BODY_FIELDS = ("text_body", "html_body", "visible_text", "snippet")


def may_read_bodies(actor: Actor) -> bool:
    """Return True when ACTOR may read email text, HTML, originals and attachments."""
    return can(actor, Capability.VIEW_EMAIL_BODIES)


def redact_bodies(actor: Actor, messages: list[Message]) -> list[Message]:
    """Blank the bodies of MESSAGES (in memory) unless ACTOR may read them; return MESSAGES."""
    if not may_read_bodies(actor):
        for message in messages:
            for name in BODY_FIELDS:
                setattr(message, name, "")
            message.body_hidden = True
    return messages


def private_thread_q(actor: Actor, *, thread_field: str = "thread") -> Q:
    """Return the filter keeping rows whose thread (via THREAD_FIELD) ACTOR may see.

    Threads not marked private pass; a private one only for its participants.
    """
    if sees_everything(actor):
        return Q()
    open_thread = Q(**{f"{thread_field}__isnull": True}) | Q(
        **{f"{thread_field}__is_private": False}
    )
    if not getattr(actor, "is_authenticated", False) or actor.pk is None:
        return open_thread
    return open_thread | participant_q(actor, OuterRef(f"{thread_field}_id"))


def participant_q(actor: Actor, thread_id) -> Q:
    """ACTOR took part in the thread THREAD_ID: a mailbox of theirs holds it, or it names them."""
    participant = Q(
        Exists(MailboxCopy.objects.filter(mailbox__owners=actor, message__thread_id=thread_id))
    )
    email = normalize_email(getattr(actor, "email", "") or "")
    if email:
        written = MessageAddress.objects.filter(email=email, message__thread_id=thread_id)
        participant |= Q(Exists(written))
    return participant


def thread_participant(actor: Actor, thread: Thread) -> bool:
    """Return True when ACTOR took part in THREAD (a mailbox of theirs holds it, or it names them)."""
    if getattr(actor, "pk", None) is None:
        return False
    return Thread.objects.filter(participant_q(actor, OuterRef("pk")), pk=thread.pk).exists()


def messages_visible_to(actor: Actor) -> QuerySet[Message]:
    """Return the messages ACTOR may see."""
    if sees_everything(actor):
        return Message.objects.all()
    if not getattr(actor, "is_authenticated", False):
        return Message.objects.none()
    filed = Activity.objects.filter(
        message_id=OuterRef("pk"), account__in=accounts_visible_to(actor).values("pk")
    )
    mailbox = Q(mailbox__owners=actor)
    if actor.team_id:
        mailbox |= Q(mailbox__kind=MailboxKind.SHARED, mailbox__team_id=actor.team_id)
    held = MailboxCopy.objects.filter(mailbox, message_id=OuterRef("pk"))
    return Message.objects.filter(Exists(filed) | Exists(held)).filter(private_thread_q(actor))


def threads_visible_to(actor: Actor) -> QuerySet[Thread]:
    """Return the threads with at least one message ACTOR may see."""
    if sees_everything(actor):
        return Thread.objects.all()
    return Thread.objects.filter(
        Exists(messages_visible_to(actor).filter(thread_id=OuterRef("pk")))
    )


def message_get_for(actor: Actor, message_id: int, *, body: bool = False) -> Message:
    """Return message MESSAGE_ID if ACTOR may see it, else raise NotFound.

    BODY: the caller shows the text, HTML or original, so a reader without the
    body capability gets NotFound too. Otherwise the bodies come back blanked
    for such a reader.
    """
    if body and not may_read_bodies(actor):
        raise NotFound(f"message {message_id!r} not found")
    message = messages_visible_to(actor).filter(pk=message_id).first()
    if message is None:
        raise NotFound(f"message {message_id!r} not found")
    return redact_bodies(actor, [message])[0]


def thread_get_for(actor: Actor, thread_id: int) -> Thread:
    """Return thread THREAD_ID if ACTOR may see any of it, else raise NotFound."""
    thread = threads_visible_to(actor).filter(pk=thread_id).first()
    if thread is None:
        raise NotFound(f"thread {thread_id!r} not found")
    return thread


def thread_messages(actor: Actor, thread: Thread) -> list[Message]:
    """Return the messages of THREAD that ACTOR may see, oldest first, with their parts.

    Bodies are blanked, and attachments left out, for a reader without the body capability.
    """
    parts = ["addresses", "copies__mailbox", "activities__account"]
    bodies = may_read_bodies(actor)
    if bodies:
        parts.append("attachments")
    rows = list(
        messages_visible_to(actor)
        .filter(thread=thread)
        .prefetch_related(*parts)
        .order_by("sent_at", "id")
    )
    if not bodies:
        for message in rows:
            cache = message.__dict__.setdefault("_prefetched_objects_cache", {})
            cache["attachments"] = Attachment.objects.none()
    return redact_bodies(actor, rows)


def attachment_get_for(actor: Actor, attachment_id: int) -> Attachment:
    """Return attachment ATTACHMENT_ID if ACTOR may read its message's content, else NotFound."""
    if not may_read_bodies(actor):
        raise NotFound(f"attachment {attachment_id!r} not found")
    attachment = (
        Attachment.objects.filter(
            pk=attachment_id, message__in=messages_visible_to(actor).values("pk")
        )
        .select_related("message")
        .first()
    )
    if attachment is None:
        raise NotFound(f"attachment {attachment_id!r} not found")
    return attachment


def problem_messages(actor: Actor) -> QuerySet[Message]:
    """Return flagged messages, newest first: an admin's list (others see none)."""
    if not sees_everything(actor):
        return Message.objects.none()
    return Message.objects.filter(is_flagged=True).order_by("-created_at", "-id")


def mailboxes_visible_to(actor: Actor) -> QuerySet[Mailbox]:
    """Return the mailboxes ACTOR may look at: their own, their team's shared ones; admins all."""
    if sees_everything(actor):
        return Mailbox.objects.all()
    if not getattr(actor, "is_authenticated", False):
        return Mailbox.objects.none()
    mine = Q(owners=actor)
    if actor.team_id:
        mine |= Q(kind=MailboxKind.SHARED, team_id=actor.team_id)
    return Mailbox.objects.filter(mine).distinct()


def mailbox_may_manage(actor: Actor, mailbox: Mailbox) -> bool:
    """Owners and admins manage a mailbox's connection; team members of a shared one look."""
    return sees_everything(actor) or mailbox.owners.filter(pk=actor.pk).exists()


def mailbox_get_for(actor: Actor, mailbox_id: int, *, manage: bool = False) -> Mailbox:
    """Return the mailbox if ACTOR may see it (MANAGE: change its connection), else NotFound.

    Owners and admins manage a mailbox; team members of a shared one only look.
    """
    mailbox = mailboxes_visible_to(actor).filter(pk=mailbox_id).first()
    if mailbox is None:
        raise NotFound
    if manage and not mailbox_may_manage(actor, mailbox):
        raise NotFound
    return mailbox


def mailbox_status(mailbox: Mailbox, *, log_limit: int = 20) -> dict:
    """Return what a mailbox's status page shows: folders with counts, recent log, totals."""
    folders = list(mailbox.folders.order_by("-enabled", "role", "name"))
    enabled = [f for f in folders if f.enabled]
    server = sum(f.server_count or 0 for f in enabled)
    held = sum(f.held_count for f in enabled)
    reconciled = bool(enabled) and all(f.is_synced for f in enabled)
    return {
        "folders": folders,
        "logs": list(mailbox.sync_logs.all()[:log_limit]),
        "server_count": server,
        "held_count": held,
        "percent": min(100, round(100 * held / server)) if server else (100 if reconciled else 0),
        "reconciled": reconciled,
        "copies": MailboxCopy.objects.filter(mailbox=mailbox).count(),
    }
