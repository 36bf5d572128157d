"""Time the pages and queries managers use on a big database (issue 8: < 500 ms each).

    .venv/bin/python bench/analytics_data.py --database-url postgres://postgres@127.0.0.1:5432/keyou_bench  # noqa: E501
    .venv/bin/python bench/analytics.py --database-url postgres://postgres@127.0.0.1:5432/keyou_bench

Sets Django up on the database bench/analytics_data.py generated and runs every entry of
MEASURES once to warm up, then --runs times (default 5); prints the median, min and
max in milliseconds as a table and as JSON, and writes bench/results/analytics-<N>.json
(N: messages in the database). The exit status is 1 when a median misses its target.

To add a dashboard, append one line to MEASURES, e.g.
    Measure("manager dashboard (team lead)", lambda c: c.get(c.lead, "/analytics/")),
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))
RESULTS = REPO / "bench" / "results"
TARGET_MS = 500.0


@dataclass
class Context:
    """What the measures run with: the people, a busy account, the default pipeline."""

    admin: Any
    lead: Any  # the lead of the leaf team with the most accounts (scope: team and sub-teams)
    account_id: int  # the busiest account in the lead's team (the longest timeline)
    pipeline: Any
    clients: dict[int, Any] = field(default_factory=dict)

    def get(self, user: Any, path: str) -> Any:
        """Return PATH rendered for USER through Django's test client; fail unless 200."""
        from django.test import Client

        client = self.clients.get(user.pk)
        if client is None:
            client = self.clients[user.pk] = Client(HTTP_HOST="127.0.0.1")
            client.force_login(user)
        response = client.get(path)
        if response.status_code != 200:
            raise RuntimeError(f"{path} answered {response.status_code} for {user}")
        return response


@dataclass
class Measure:
    name: str
    run: Callable[[Context], object]
    target_ms: float | None = TARGET_MS


def _forecast(c: Context) -> object:
    from keyou.deals.selectors import deal_forecast

    return deal_forecast(c.lead, months=6)


def _board(c: Context) -> object:
    from keyou.deals.selectors import deal_board

    return deal_board(c.lead, c.pipeline)


# One line per page or query; dashboards are added here as they are built.
MEASURES: list[Measure] = [
    Measure("accounts list (team lead)", lambda c: c.get(c.lead, "/accounts/")),
    Measure("accounts list (admin)", lambda c: c.get(c.admin, "/accounts/")),
    Measure("account page (team lead)", lambda c: c.get(c.lead, f"/accounts/{c.account_id}/")),
    Measure("account page (admin)", lambda c: c.get(c.admin, f"/accounts/{c.account_id}/")),
    Measure("deal_forecast (team lead)", _forecast),
    Measure("deal_board (team lead)", _board),
    Measure("manager dashboard (team lead)", lambda c: c.get(c.lead, "/analytics/")),
    Measure("manager dashboard (admin)", lambda c: c.get(c.admin, "/analytics/")),
    Measure("my day (team lead)", lambda c: c.get(c.lead, "/today/")),
]


def context() -> Context:
    """Pick the people and the account the measures use."""
    from django.db.models import Count

    from keyou.crm.models import Account, Activity
    from keyou.deals.pipelines import pipeline_default_install
    from keyou.people.models import Team, User

    admin = User.objects.filter(is_superuser=True).order_by("pk").first()
    if admin is None:
        raise SystemExit("no admin: generate the data with bench/analytics_data.py first")
    leaves = Team.objects.filter(children__isnull=True, manager__isnull=False)
    team = (
        leaves.annotate(n=Count("members__pk", distinct=True))
        .order_by("-n", "pk")
        .select_related("manager")
        .first()
    )
    if team is None:
        raise SystemExit("no team with a lead")
    busiest = (
        Activity.objects.filter(team_id=team.pk)
        .values("account_id")
        .annotate(n=Count("pk"))
        .order_by("-n", "account_id")
        .first()
    )
    account_id = busiest["account_id"] if busiest else Account.objects.values("pk").first()["pk"]
    return Context(
        admin=admin, lead=team.manager, account_id=account_id, pipeline=pipeline_default_install()
    )


def run(measures: list[Measure], runs: int) -> dict[str, dict[str, float]]:
    """Time each of MEASURES: one warm-up, then RUNS runs; return name → milliseconds."""
    ctx = context()
    out = {}
    for m in measures:
        m.run(ctx)
        samples = []
        for _ in range(runs):
            started = time.perf_counter()
            m.run(ctx)
            samples.append((time.perf_counter() - started) * 1000)
        out[m.name] = {
            "median": round(statistics.median(samples), 1),
            "min": round(min(samples), 1),
            "max": round(max(samples), 1),
            "target": m.target_ms,
        }
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--data-dir", type=Path, default=REPO / "var" / "bench" / "analytics")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--only", help="run the measures whose name contains this")
    args = parser.parse_args(argv)
    import analytics_data  # bench/analytics_data.py

    analytics_data.environment(args.database_url, args.data_dir)
    import django

    django.setup()
    from django.db import connection

    from keyou.crm.models import Account
    from keyou.mail.models import Message

    measures = [m for m in MEASURES if not args.only or args.only in m.name]
    timings = run(measures, args.runs)
    result = {
        "database": connection.vendor,
        "messages": Message.objects.count(),
        "accounts": Account.objects.count(),
        "runs": args.runs,
        "ms": timings,
    }
    failed = False
    print(
        f"\n== analytics: {result['messages']:,} messages, {result['accounts']:,} accounts, "
        f"{result['database']}, median of {args.runs} =="
    )
    print(f"  {'measure':<34} {'median':>8} {'min':>8} {'max':>8}  target")
    for name, t in timings.items():
        verdict = ""
        if t["target"] is not None:
            ok = t["median"] < t["target"]
            failed = failed or not ok
            verdict = f"< {t['target']:.0f} ms {'ok' if ok else 'MISSED'}"
        print(f"  {name:<34} {t['median']:>8} {t['min']:>8} {t['max']:>8}  {verdict}")
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"analytics-{result['messages']}.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
