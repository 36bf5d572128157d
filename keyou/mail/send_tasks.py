"""Background tasks of sending mail (thin: the work is in keyou.mail.send).

Registered from MailConfig.ready(), beside the sync tasks in keyou.mail.tasks.
"""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task


@db_task()
def outbox_deliver_task(outgoing_id: int) -> str | None:
    """Deliver one outgoing message if it is due (safe to run twice)."""
    from keyou.mail.send import outbox_deliver

    return outbox_deliver(outgoing_id)


@db_periodic_task(crontab(minute="*"))
def outbox_retry_due() -> int:
    """Every minute: queue the deliveries whose retry time has come (and expired leases)."""
    from keyou.mail.send import outbox_due

    due = outbox_due()
    for pk in due:
        outbox_deliver_task(pk)
    return len(due)
