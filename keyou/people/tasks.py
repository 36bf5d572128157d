"""Background tasks of the people app (thin: the work is in keyou.people.grants)."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task


@db_periodic_task(crontab(minute="*/5"))
def grants_expire() -> int:
    """Every five minutes: write the audit entry of each grant that ran out."""
    from keyou.people.grants import grants_expire_sweep

    return grants_expire_sweep()
