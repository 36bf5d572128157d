"""Each metric is one or a few database queries, however many rows it reads."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from keyou.analytics import (
    metrics_accounts,
    metrics_deals,
    metrics_funnel,
    metrics_mail,
    metrics_people,
    metrics_response,
    metrics_subjects,
)
from keyou.people.access import reach
from tests.analytics.conftest import NOW, period

METRICS = [
    (metrics_mail.email_volume, {}),
    (metrics_mail.awaiting_reply, {"now": NOW}),
    (metrics_mail.awaiting_by_owner, {"now": NOW}),
    (metrics_response.response_times, {}),
    (metrics_response.reply_rate, {}),
    (metrics_subjects.subject_effectiveness, {}),
    (metrics_funnel.funnel, {}),
    (metrics_funnel.stage_times, {}),
    (metrics_deals.lost_deals, {}),
    (metrics_deals.sales_cycle, {}),
    (metrics_deals.win_rate, {}),
    (metrics_deals.forecast, {}),
    (metrics_accounts.account_sources, {}),
    (metrics_accounts.account_channels, {}),
    (metrics_accounts.account_distribution, {}),
    (metrics_people.pool_flows, {}),
    (metrics_people.leaderboard, {}),
    (metrics_people.overdue_tasks, {"now": NOW}),
]


@pytest.mark.parametrize(("metric", "options"), METRICS, ids=[m.__name__ for m, _o in METRICS])
def test_a_metric_runs_in_a_few_queries(world, metric, options):
    lena = world.people.lena
    reach(lena)  # her reach is computed once per request, not per metric
    filters = period()
    filters.team_ids, filters.countries  # noqa: B018 (parsed once per request too)
    with CaptureQueriesContext(connection) as captured:
        metric(lena, filters, **options)
    # Labels (users, teams, stages) and the rate table are a query each; the leaderboard
    # has one grouped query per column.
    assert len(captured.captured_queries) <= (8 if metric is metrics_people.leaderboard else 6)
