"""Changes to mailboxes and messages (ingest lives in `mail.ingest`)."""

from __future__ import annotations

from django.db import transaction

from keyou.mail.models import (
    Mailbox,
    MailboxKind,
    MailFolder,
    Message,
    Thread,
    Tombstone,
)
from keyou.mail.parse import normalize_email
from keyou.people.access import SYSTEM, Actor, NotAllowed, sees_everything
from keyou.people.models import User
from keyou.people.services import InvalidInput


def mailbox_add(
    *, address: str, kind: str = MailboxKind.PERSONAL, owner: str | None = None
) -> Mailbox:
    """Create (or update) the mailbox ADDRESS of KIND, owned by the user OWNER."""
    normalized = normalize_email(address)
    if not normalized:
        raise InvalidInput(f"{address!r} is not an email address")
    if kind not in MailboxKind.values:
        raise InvalidInput(f"kind must be one of {', '.join(MailboxKind.values)}")
    owner_user = None
    if owner:
        owner_user = User.objects.filter(username=owner).first()
        if owner_user is None:
            raise InvalidInput(f"no user named {owner!r}; add it with `keyou user add`")
    mailbox, _created = Mailbox.objects.get_or_create(address=normalized, defaults={"kind": kind})
    mailbox.kind = kind
    if owner_user is not None:
        mailbox.team_id = owner_user.team_id
    mailbox.save()
    if owner_user is not None:
        mailbox.owners.add(owner_user)
    return mailbox


def mailbox_get(address: str) -> Mailbox:
    """Return the mailbox ADDRESS or raise InvalidInput saying how to add it."""
    mailbox = Mailbox.objects.filter(address=normalize_email(address)).first()
    if mailbox is None:
        raise InvalidInput(f"no mailbox {address!r}; add it with `keyou mailbox add {address}`")
    return mailbox


@transaction.atomic
def message_delete(*, actor: Actor = SYSTEM, message_id: int, reason: str = "") -> None:
    """Delete a message for good, leaving a tombstone so no import or sync brings it back."""
    message = Message.objects.select_for_update().get(pk=message_id)
    keys = {message.dedupe_key, f"hash:{message.content_hash}"}
    user = actor if actor is not SYSTEM else None
    for key in keys:
        Tombstone.objects.get_or_create(
            dedupe_key=key, defaults={"deleted_by": user, "reason": reason[:255]}
        )
    from keyou.audit.models import AuditAction
    from keyou.audit.services import audit

    audit(actor, AuditAction.DELETE, obj=message, data={"subject": message.subject[:200],
          "reason": reason[:255]})  # fmt: skip
    from keyou.analytics.rollups import mail_rollup_pairs, mail_rollup_refresh

    counted_on = mail_rollup_pairs([message_id])  # the mail-volume rollup's account-days
    message.delete()
    mail_rollup_refresh(counted_on)


def folder_set_enabled(folder: MailFolder, *, enabled: bool) -> MailFolder:
    """Turn syncing of FOLDER on or off; a folder turned on starts its initial sync."""
    if folder.enabled != enabled:
        folder.enabled = enabled
        folder.save(update_fields=["enabled"])
    return folder


def thread_set_private(*, actor: Actor, thread: Thread, private: bool, request=None) -> Thread:
    """Mark THREAD private (only participants and admins see it) or shared again.

    Only a participant or an admin may change it; others get NotAllowed.
    """
    from keyou.audit.models import AuditAction
    from keyou.audit.services import audit
    from keyou.mail.selectors import thread_participant

    if not (sees_everything(actor) or thread_participant(actor, thread)):
        raise NotAllowed("thread_privacy")
    if thread.is_private != private:
        Thread.objects.filter(pk=thread.pk).update(is_private=private)
        thread.is_private = private
        audit(actor, AuditAction.THREAD_PRIVACY, obj=thread, data={"private": private},
              request=request)  # fmt: skip
    return thread
