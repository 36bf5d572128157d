"""Build the demo organisation through the real services and the real import path."""

from __future__ import annotations

import shutil
from pathlib import Path

from django.contrib.auth.hashers import make_password
from django.db import transaction

from keyou.crm.models import Account
from keyou.demo.automation import demo_automation
from keyou.demo.sales import demo_sales
from keyou.mail.ingest import mail_ingest
from keyou.mail.services import mailbox_add, mailbox_get
from keyou.mail.sources import iter_mbox
from keyou.people.models import Organization, Team, User
from keyou.people.roles import role_get
from keyou.people.services import organization_set, team_ensure, user_add

DEMO_PASSWORD = "keyou-demo"  # demo data only; printed on the console by `make run`
# Demo people besides the salespeople: (username, name, role, regions).
DEMO_STAFF = [
    ("director", "Dora Director", "director", []),
    ("rita", "Rita Regional", "regional_manager", ["EU"]),
    ("support", "Sam Support", "support", []),
    ("finance", "Fiona Finance", "finance", []),
]
DEMO_MARK = "demo"


def demo_loaded() -> bool:
    """Return True when the demo organisation has been built before."""
    return Organization.get().name.endswith("(demo)") and Account.objects.exists()


def demo_build(*, work_dir: Path, messages: int, seed: int, once: bool = False) -> dict | None:
    """Create the demo company and import its generated mail; None if ONCE and done before."""
    from keyou.demo.mailgen import generate

    if once and demo_loaded():
        return None
    if work_dir.exists():
        shutil.rmtree(work_dir)
    manifest = generate(work_dir, messages=messages, seed=seed)
    with transaction.atomic():
        organization_set(
            name=f"{manifest.company} (demo)",
            domains=manifest.own_domains,
            time_zone=manifest.timezone,
        )
        company = team_ensure(name=manifest.company)
        for team in sorted({u.team for u in manifest.users}):
            team_ensure(name=team, parent=company.name)
        for gen in manifest.users:
            first, _, last = gen.name.partition(" ")
            user_add(
                username=gen.username,
                email=gen.email,
                team=gen.team,
                first_name=first,
                last_name=last,
            )
        # People of the other built-in roles, to show what each role sees.
        domain = manifest.own_domains[0]
        for username, name, role, regions in DEMO_STAFF:
            first, _, last = name.partition(" ")
            user_add(
                username=username,
                email=f"{username}@{domain}",
                team=company.name,
                role=role,
                regions=regions,
                first_name=first,
                last_name=last,
            )
        # All demo users share one password: hash it once (argon2 is slow on purpose).
        demo_logins = [u.username for u in manifest.users] + [s[0] for s in DEMO_STAFF]
        User.objects.filter(username__in=demo_logins).update(password=make_password(DEMO_PASSWORD))
        for box in manifest.mailboxes:
            mailbox_add(address=box.address, kind=box.kind, owner=box.owner or None)
        # The first member of each team leads it; the others sell.
        team_lead, salesperson = role_get("team_lead"), role_get("salesperson")
        User.objects.filter(username__in=[u.username for u in manifest.users]).update(
            role=salesperson
        )
        for team in Team.objects.exclude(pk=company.pk):
            lead = team.members.filter(role=salesperson).order_by("pk").first()
            if lead and team.manager_id is None:
                team.manager = lead
                team.save(update_fields=["manager"])
            if team.manager_id:
                User.objects.filter(pk=team.manager_id).update(role=team_lead)
    totals = {"read": 0, "new": 0, "duplicates": 0, "flagged": 0}
    for address, path in sorted(manifest.files.items()):
        mailbox = mailbox_get(address)
        stats = mail_ingest(mailbox=mailbox, items=iter_mbox(Path(path)))
        for key in totals:
            totals[key] += getattr(stats, key)
    shutil.rmtree(work_dir, ignore_errors=True)
    fresh = demo_automation(
        company=Team.objects.get(name=manifest.company),
        director=User.objects.filter(username="director").first(),
    )
    sales = demo_sales(seed=seed)
    return {
        **fresh,
        **sales,
        "loaded": True,
        "messages": totals["new"],
        "copies": totals["read"],
        "accounts": Account.objects.count(),
        "logins": [u.username for u in manifest.users],
        "password": DEMO_PASSWORD,
    }
