"""Background tasks of the public pool (thin: the work is in keyou.pool.sweep)."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, lock_task

SWEEP_HOUR = 2  # company time


@db_periodic_task(crontab(minute="0"))
def pool_sweep_nightly() -> int:
    """Hourly check; at 02:00 company time, run the reclaim sweep (safe to run twice)."""
    from django.utils import timezone

    from keyou.pool.selectors import user_zone
    from keyou.pool.sweep import pool_sweep

    if timezone.now().astimezone(user_zone(None)).hour != SWEEP_HOUR:
        return 0
    with lock_task("pool-sweep"):
        result = pool_sweep()
    return result.reclaimed
