"""Background tasks of the crm app (thin: the work is in keyou.crm.todos)."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task


@db_periodic_task(crontab())
def task_reminders() -> int:
    """Every minute: remind people of the tasks whose reminder time has come."""
    from keyou.crm.todos import task_reminders_send

    return task_reminders_send()
