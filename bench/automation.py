"""Events processed per second by the automation worker, with 0 and with 50 enabled rules.

    .venv/bin/python bench/automation.py                     # what `make bench` runs
    .venv/bin/python bench/automation.py --messages 5000 --rules 50

In a fresh SQLite data dir: a company with three sales teams, a support team and a
shared sales@ mailbox routed by region; N live customer emails (a third inquiries,
some complaints, English and Chinese, half from new senders) are filed through the
real ingest, which writes their events. Then `events_process()` handles the pending
events (SLA clock, routing, rules) and is timed. The run is done twice on the same
mail: once with no rules, once with the five built-in templates plus generated
keyword rules up to --rules enabled rules (each with a condition tree and actions,
a few of which match). Prints events/s for both and writes
bench/results/automation-<N>.json.
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

COUNTRIES = ["de", "fr", "it", "es", "co.uk", "com.br", "com.mx", "cn", "jp", "com"]
SUBJECTS = [
    "Request for quotation: {p}",
    "询价：{p}",
    "Samples of {p}",
    "Shipment update for {p}",
    "Invoice for {p}",
    "质量问题投诉：{p}",
    "Meeting next week",
    "Re: {p} order",
]
PRODUCTS = ["LED panels", "solar lights", "cable ties", "PET bottles", "steel hinges", "T-shirts"]


def _setup(messages: int, seed: int) -> int:
    from django.core.management import call_command

    from keyou.automation.models import BusinessCalendar, RoutingRule
    from keyou.mail.ingest import mail_ingest
    from keyou.mail.services import mailbox_add
    from keyou.mail.sources import RawItem
    from keyou.people.models import Team
    from keyou.people.services import organization_set, team_ensure, user_add
    from tests.mail.mailfactory import raw_message

    call_command("migrate", verbosity=0)
    organization_set(name="Bench", domains=["bench-trading.com"], time_zone="Asia/Shanghai")
    team_ensure(name="Sales")
    for team in ("Europe", "Americas", "Asia", "Support"):
        team_ensure(name=team, parent="Sales")
        for i in range(4):
            user_add(
                username=f"{team.lower()}{i}",
                email=f"{team.lower()}{i}@bench-trading.com",
                team=team,
                role="team_lead" if i == 0 else "salesperson",
            )
    for team in Team.objects.exclude(name="Sales"):
        team.manager = team.members.order_by("pk").first()
        team.save(update_fields=["manager"])
    BusinessCalendar.objects.create(name="Office", time_zone="Asia/Shanghai")
    for name, countries in (
        ("Europe", ["EU", "GB"]),
        ("Americas", ["NA", "LATAM"]),
        ("Asia", ["CN", "JP"]),
    ):
        RoutingRule.objects.create(name=name, countries=countries, team=Team.objects.get(name=name))
    box = mailbox_add(address="sales@bench-trading.com", kind="shared")
    rng = random.Random(seed)
    now = datetime.now(UTC)
    items = []
    for i in range(messages):
        company = f"buyer{rng.randrange(messages // 2)}"
        tld = rng.choice(COUNTRIES)
        subject = rng.choice(SUBJECTS).format(p=rng.choice(PRODUCTS))
        raw = raw_message(
            sender=f"Buyer {i} <b{i}@{company}.{tld}>",
            to="sales@bench-trading.com",
            subject=subject,
            body=f"Dear team,\n{subject}. Please send price list and MOQ.\nBest regards\nBuyer {i}",
            message_id=f"<m{i}@{company}.{tld}>",
            date=now - timedelta(minutes=messages - i),
        )
        items.append(RawItem(source=f"bench#{i}", raw=raw))
    mail_ingest(mailbox=box, items=items, workers=0)
    from keyou.automation.models import Event

    return Event.objects.count()


def _rules(count: int, seed: int) -> int:
    from keyou.automation.services import rule_save, templates_install
    from keyou.automation.templates import TEMPLATES
    from keyou.people.access import SYSTEM

    templates_install(
        actor=SYSTEM, choices={t.slug: True for t in TEMPLATES}, support_team="Support"
    )
    from keyou.automation.models import Rule

    rng = random.Random(seed)
    words = ["urgent", "发票", "invoice", "shipment", "样品", "catalog", "刷单", "discount", "OEM"]
    n = 0
    while Rule.objects.filter(enabled=True).count() < count:
        n += 1
        picked = rng.sample(words, 2)
        rule_save(
            actor=SYSTEM,
            data={
                "name": f"Keyword rule {n}",
                "enabled": True,
                "trigger": "message.received",
                "conditions": {
                    "all": [
                        {"field": "message.direction", "op": "eq", "value": "inbound"},
                        {
                            "any": [
                                {"field": "message.subject", "op": "contains_any", "value": picked},
                                {"field": "message.sender", "op": "regex", "value": rf"@x{n}\."},
                            ]
                        },
                        {"not": {"field": "account.tags", "op": "contains", "value": f"t{n}"}},
                    ]
                },
                "actions": [
                    {"type": "add_tag", "tag": f"t{n % 7}"},
                    {"type": "notify", "to": "owner", "text": "{account.name}: {message.subject}"},
                ],
            },
        )
    return Rule.objects.filter(enabled=True).count()


def _reset() -> None:
    """Put every event back to pending and undo what handlers did, so both passes match."""
    from keyou.automation.models import Event, ResponseTime, RuleRun
    from keyou.crm.models import Account, Activity, ActivityKind, Lead, Task
    from keyou.people.models import Notification

    Event.objects.update(processed_at=None, attempts=0, next_attempt_at=None, lease_until=None)
    RuleRun.objects.all().delete()
    for model in (Task, Lead, Notification, ResponseTime):
        model.objects.all().delete()
    Activity.objects.exclude(kind=ActivityKind.EMAIL).delete()
    Account.objects.update(owner=None)


def _time(label: str) -> dict:
    from keyou.automation.models import Event
    from keyou.automation.outbox import events_process

    pending = Event.objects.filter(processed_at__isnull=True).count()
    start = time.perf_counter()
    handled = events_process(limit=pending + 10)
    seconds = time.perf_counter() - start
    return {
        "label": label,
        "events": handled,
        "seconds": round(seconds, 2),
        "per_second": round(handled / seconds, 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=3000)
    parser.add_argument("--rules", type=int, default=50)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    data_dir = Path(tempfile.mkdtemp(prefix="keyou-bench-automation-"))
    os.environ["KEYOU_DATA_DIR"] = str(data_dir)
    os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "keyou.settings")
    os.environ["KEYOU_TASKS_IMMEDIATE"] = "0"
    import django

    django.setup()
    events = _setup(args.messages, args.seed)
    baseline = _time("no rules")
    _reset()
    enabled = _rules(args.rules, args.seed)
    loaded = _time(f"{enabled} enabled rules")
    from keyou.automation.models import RuleRun
    from keyou.crm.models import Task

    result = {
        "messages": args.messages,
        "events": events,
        "rules": enabled,
        "runs": [baseline, loaded],
        "rule_firings": RuleRun.objects.count(),
        "tasks": Task.objects.count(),
    }
    for run in result["runs"]:
        print(
            f"{run['label']:<22} {run['events']:>6} events  {run['seconds']:>7.2f} s  {run['per_second']:>8.1f} events/s"
        )
    print(f"rule firings: {result['rule_firings']}, tasks: {result['tasks']}")
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"automation-{args.messages}.json").write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
