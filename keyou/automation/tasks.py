"""Background tasks of automation (thin: the work is in outbox, timers and webhooks)."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task, lock_task


@db_task()
def events_process() -> int:
    """Handle pending events (queued after each commit that wrote some)."""
    from keyou.automation.outbox import events_process as process

    return process()


@db_periodic_task(crontab())
def events_sweep() -> int:
    """Every minute: fire the timers, then handle whatever is pending (and due retries)."""
    from keyou.automation.outbox import events_process as process
    from keyou.automation.timers import timers_sweep

    with lock_task("automation-timers"):
        timers_sweep()
    return process()


@db_periodic_task(crontab(minute="17", hour="3"))
def events_prune() -> int:
    """Nightly: drop processed events older than 90 days."""
    from keyou.automation.outbox import events_prune as prune

    return prune()


@db_task()
def webhook_deliver(delivery_id: int) -> bool:
    """Call one webhook a rule asked for (retried by webhooks_retry)."""
    from keyou.automation.webhooks import webhook_send

    return webhook_send(delivery_id)


@db_periodic_task(crontab())
def webhooks_retry() -> int:
    """Every minute: call the webhooks whose retry is due."""
    from keyou.automation.webhooks import webhook_send, webhooks_due

    return sum(webhook_send(pk) for pk in webhooks_due())
