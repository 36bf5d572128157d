"""The nightly task runs the sweep at 02:00 company time (Asia/Shanghai here) only."""

from __future__ import annotations

from datetime import UTC, datetime

import time_machine

from keyou.crm.models import Account
from keyou.pool.models import MoveKind, PoolMove, PoolPolicy, ReclaimTrigger
from keyou.pool.tasks import pool_sweep_nightly


def test_the_sweep_runs_at_two_in_the_night_company_time(pool_team):
    PoolPolicy.objects.create(name="All", trigger=ReclaimTrigger.NO_FOLLOW_UP, after_hours=24)
    Account.objects.create(
        name="Quiet",
        owner=pool_team.dave,
        team=pool_team.europe,
        assigned_at=datetime(2026, 1, 1, tzinfo=UTC),
    )
    with time_machine.travel(datetime(2026, 2, 1, 17, 0, tzinfo=UTC), tick=False):  # 01:00
        assert pool_sweep_nightly.call_local() == 0
    assert not PoolMove.objects.exists()
    with time_machine.travel(datetime(2026, 2, 1, 18, 0, tzinfo=UTC), tick=False):  # 02:00
        pool_sweep_nightly.call_local()
    assert PoolMove.objects.filter(kind=MoveKind.WARNED).count() == 1
