"""Background tasks of chat channels and the notification digest (thin: see channels, digest).

Registered from AutomationConfig.ready(), beside the rule tasks in keyou.automation.tasks.
"""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task


@db_task()
def channel_deliver(delivery_id: int) -> str | None:
    """Post one notification to one chat channel if it is due (safe to run twice)."""
    from keyou.automation.channels import delivery_send

    return delivery_send(delivery_id)


@db_periodic_task(crontab(minute="*"))
def channel_retry_due() -> int:
    """Every minute: queue the channel deliveries whose retry time has come."""
    from keyou.automation.channels import deliveries_due

    due = deliveries_due()
    for pk in due:
        channel_deliver(pk)
    return len(due)


@db_periodic_task(crontab(minute="*/15"))
def digest_send_due() -> int:
    """Every 15 minutes: email the digests that are due; return how many were sent."""
    from keyou.automation.digest import digests_send

    return digests_send()
