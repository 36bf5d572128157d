"""Background tasks of the deals app (thin: the work is in keyou.deals.stall)."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, lock_task


@db_periodic_task(crontab(minute="23"))
def deals_stall() -> int:
    """Hourly: fire `deal.stalled` for deals left too long in their stage."""
    from keyou.deals.stall import deals_stall_sweep

    with lock_task("deals-stall-sweep"):
        return deals_stall_sweep()
