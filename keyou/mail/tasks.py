"""Background tasks of the mail app (thin: the work is in keyou.mail.sync)."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from keyou.mail.models import Mailbox


@db_task()
def mailbox_sync_task(mailbox_id: int) -> dict | None:
    """One sync pass of a mailbox; skipped if another worker holds its lease."""
    from keyou.mail.sync import mailbox_sync

    mailbox = Mailbox.objects.filter(pk=mailbox_id, sync_enabled=True).first()
    if mailbox is None:
        return None
    return mailbox_sync(mailbox).as_dict()


@db_periodic_task(crontab(minute="*"))
def mailboxes_sync_due() -> int:
    """Every minute: queue a sync of each connected mailbox whose turn has come."""
    from keyou.mail.sync import mailboxes_due

    due = mailboxes_due()
    for pk in due:
        mailbox_sync_task(pk)
    return len(due)
