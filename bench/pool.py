"""How long the nightly reclaim sweep of the public pool takes over 50,000 owned accounts.

    .venv/bin/python bench/pool.py                      # what `make bench` runs
    .venv/bin/python bench/pool.py --accounts 200000

In a fresh SQLite data dir: three sales teams of ten people, four reclaim policies
(tier A needs approval; lifecycle "new" no first contact in 72 h, then round robin;
dormant accounts with a lost deal; the default 15 days without follow-up), and N
owned accounts written straight into the database with a timeline: each has one
inbound email and a follow-up by its owner (a call, a note, or an outbound email
from the owner's address, a third each). Follow-ups are spread so that about 1%
of the accounts become due each night, as in a company where most people keep up.

Three sweeps are timed: the night before (warns ~1%), tonight (reclaims what was
warned, warns the next ~1%, asks approvals, redistributes) and a second run tonight
(nothing to do: the cost of reading everything). Prints the times and writes
bench/results/pool-<N>.json.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
RESULTS = REPO / "bench" / "results"
TEAMS = ("Europe", "Americas", "Asia")
COUNTRIES = {"Europe": ["DE", "FR", "GB"], "Americas": ["US", "BR", "MX"], "Asia": ["CN", "JP"]}


def _setup(accounts: int, seed: int, now: datetime) -> dict[str, int]:
    from django.core.management import call_command

    from keyou.automation.models import RoutingRule
    from keyou.crm.models import Account, Activity, ActivityKind, Lifecycle
    from keyou.deals.models import Deal, DealStatus, Pipeline, Stage
    from keyou.mail.models import Direction, Message
    from keyou.people.models import Team, User
    from keyou.people.services import organization_set, team_ensure, user_add
    from keyou.pool.models import PoolPolicy, ReclaimTrigger, Redistribute

    call_command("migrate", verbosity=0)
    organization_set(name="Bench", domains=["bench-trading.com"], time_zone="Asia/Shanghai")
    people: dict[str, list[User]] = {}
    for name in TEAMS:
        team_ensure(name=name)
        people[name] = [
            user_add(
                username=f"{name.lower()}{i}",
                email=f"{name.lower()}{i}@bench-trading.com",
                team=name,
                role="team_lead" if i == 0 else "salesperson",
            )
            for i in range(10)
        ]
        team = Team.objects.get(name=name)
        team.manager = people[name][0]
        team.save(update_fields=["manager"])
        RoutingRule.objects.create(name=name, countries=COUNTRIES[name], team=team)
    PoolPolicy.objects.create(
        name="Key accounts",
        position=1,
        trigger=ReclaimTrigger.NO_FOLLOW_UP,
        tiers=["A"],
        requires_approval=True,
    )
    PoolPolicy.objects.create(
        name="First contact",
        position=2,
        trigger=ReclaimTrigger.NO_FIRST_CONTACT,
        after_hours=72,
        lifecycles=["new"],
        redistribute=Redistribute.ROUND_ROBIN,
    )
    PoolPolicy.objects.create(
        name="Lost deals",
        position=3,
        trigger=ReclaimTrigger.LOST_IDLE,
        after_hours=10 * 24,
        lifecycles=["dormant"],
        redistribute=Redistribute.REGION,
    )
    PoolPolicy.objects.create(name="Default", position=4, trigger=ReclaimTrigger.NO_FOLLOW_UP)

    rng = random.Random(seed)
    rows = []
    touch: list[datetime] = []
    for i in range(accounts):
        team = rng.choice(TEAMS)
        owner = rng.choice(people[team])
        roll = rng.random()
        # ~1% warned tonight, ~1% warned last night (reclaimed tonight), the rest kept up.
        if roll < 0.01:
            last = now - timedelta(days=14, hours=12)
        elif roll < 0.02:
            last = now - timedelta(days=15, hours=12)
        else:
            last = now - timedelta(days=rng.uniform(0, 13))
        lifecycle = rng.choices(
            [Lifecycle.ACTIVE, Lifecycle.PROSPECT, Lifecycle.DORMANT], [60, 35, 5]
        )[0]
        rows.append(
            Account(
                name=f"Customer {i}",
                owner_id=owner.pk,
                team_id=owner.team_id,
                country=rng.choice(COUNTRIES[team]),
                lifecycle=lifecycle,
                tier="A" if rng.random() < 0.03 else rng.choice(["B", "C", ""]),
                assigned_at=now - timedelta(days=rng.uniform(20, 400)),
            )
        )
        touch.append(last)
    created = Account.objects.bulk_create(rows, batch_size=2000)
    messages, activities, mailed = [], [], []
    for account, last in zip(created, touch, strict=True):
        activities.append(
            Activity(
                kind=ActivityKind.EMAIL,
                account_id=account.pk,
                owner_id=account.owner_id,
                team_id=account.team_id,
                occurred_at=last - timedelta(days=1),
                data={"direction": "inbound", "subject": "Inquiry", "automated": False},
            )
        )
        how = rng.randrange(3)
        if how == 2:  # an outbound email, written below with its message
            mailed.append((account, last))
            continue
        kind = ActivityKind.CALL if how == 0 else ActivityKind.NOTE
        activities.append(
            Activity(
                kind=kind,
                account_id=account.pk,
                owner_id=account.owner_id,
                team_id=account.team_id,
                actor_id=account.owner_id,
                occurred_at=last,
                data={"summary": "Followed up"},
            )
        )
    emails = dict(User.objects.values_list("pk", "email"))
    for n, (account, last) in enumerate(mailed):
        messages.append(
            Message(
                dedupe_key=f"bench-{n}",
                message_id=f"bench-{n}@bench-trading.com",
                content_hash=f"h{n}",
                raw_sha256=f"r{n}",
                subject="Offer",
                sent_at=last,
                from_email=emails[account.owner_id],
                direction=Direction.OUTBOUND,
            )
        )
    messages = Message.objects.bulk_create(messages, batch_size=2000)
    for (account, last), message in zip(mailed, messages, strict=True):
        activities.append(
            Activity(
                kind=ActivityKind.EMAIL,
                account_id=account.pk,
                owner_id=account.owner_id,
                team_id=account.team_id,
                occurred_at=last,
                message_id=message.pk,
                data={"direction": "outbound", "subject": "Offer", "automated": False},
            )
        )
    Activity.objects.bulk_create(activities, batch_size=5000)
    pipeline = Pipeline.objects.create(name="B2B")
    lost = Stage.objects.create(pipeline=pipeline, name="Lost", kind="lost")
    deals = [
        Deal(
            title="Order",
            account_id=account.pk,
            owner_id=account.owner_id,
            team_id=account.team_id,
            pipeline=pipeline,
            stage=lost,
            status=DealStatus.LOST,
            stage_entered_at=last,
            closed_at=last,
        )
        for account, last in zip(created, touch, strict=True)
        if account.lifecycle == Lifecycle.DORMANT
    ]
    Deal.objects.bulk_create(deals, batch_size=2000)
    return {"accounts": accounts, "activities": len(activities), "deals": len(deals)}


def _sweep(label: str, now: datetime) -> dict:
    from keyou.pool.sweep import pool_sweep

    start = time.perf_counter()
    result = pool_sweep(now=now)
    seconds = time.perf_counter() - start
    return {
        "label": label,
        "seconds": round(seconds, 2),
        "owned": result.owned,
        "covered": result.covered,
        "warned": result.warned,
        "reclaimed": result.reclaimed,
        "redistributed": result.redistributed,
        "approvals_asked": result.approvals_asked,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--accounts", type=int, default=50_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    data_dir = Path(tempfile.mkdtemp(prefix="keyou-bench-pool-"))
    os.environ["KEYOU_DATA_DIR"] = str(data_dir)
    os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "keyou.settings")
    os.environ["KEYOU_TASKS_IMMEDIATE"] = "0"
    import django

    django.setup()
    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    start = time.perf_counter()
    sizes = _setup(args.accounts, args.seed, now)
    setup_seconds = round(time.perf_counter() - start, 1)
    runs = [
        _sweep("night before", now - timedelta(days=1)),
        _sweep("tonight", now),
        _sweep("tonight again", now),
    ]
    for run in runs:
        print(
            f"{run['label']:<14} {run['owned']:>7} owned  {run['seconds']:>6.2f} s  "
            f"warned {run['warned']:>5}  reclaimed {run['reclaimed']:>5}  "
            f"redistributed {run['redistributed']:>4}  approvals {run['approvals_asked']:>3}"
        )
    result = {**sizes, "setup_seconds": setup_seconds, "runs": runs}
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"pool-{args.accounts}.json").write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
