"""The demo's sales: the default pipeline with deals in every stage, exchange rates,
quotes, orders and payments, reclaim policies and one neglected account that has
gone back to the public pool after its warning."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from keyou.crm.models import Account, Activity, ActivityKind, Lifecycle, Task, TaskStatus, Tier
from keyou.deals.models import Deal, Stage, StageChange, StageKind
from keyou.deals.money import rate_set
from keyou.deals.pipelines import pipeline_default_install
from keyou.deals.records import deal_record_add
from keyou.deals.services import deal_create, deal_move_stage
from keyou.people.access import SYSTEM
from keyou.people.models import Role, User
from keyou.pool.models import ReclaimTrigger, Redistribute
from keyou.pool.policies import policy_save
from keyou.pool.sweep import pool_sweep

RATES = {"USD": "7.10", "EUR": "7.75", "GBP": "9.05", "JPY": "0.048"}
EURO = {"DE", "FR", "IT", "ES", "NL", "BE", "AT", "PT", "FI", "IE", "GR", "PL"}
PRODUCTS = ("LED panel 600x600", "Flood light 100W", "High bay 150W", "Street light 80W")
# How far along each demo deal goes, in the default pipeline's stage order (-1: lost).
TARGETS = (1, 2, 3, 4, 5, 7, -1, 0, 3, 6)
DEALS_PER_PERSON = 3


def _currency(country: str) -> str:
    if country == "CN":
        return "CNY"
    if country == "GB":
        return "GBP"
    if country == "JP":
        return "JPY"
    return "EUR" if country in EURO else "USD"


def _backdate(deal: Deal, start: datetime, now: datetime) -> None:
    """Spread DEAL's stage history from START to a little before NOW, as if worked over weeks."""
    changes = list(StageChange.objects.filter(deal=deal).order_by("at", "id"))
    step = (now - timedelta(days=2) - start) / max(len(changes), 1)
    entries = list(
        Activity.objects.filter(deal=deal, kind=ActivityKind.DEAL).order_by("occurred_at", "id")
    )
    for i, change in enumerate(changes):
        at = start + step * i
        StageChange.objects.filter(pk=change.pk).update(at=at)
        if i < len(entries):
            Activity.objects.filter(pk=entries[i].pk).update(occurred_at=at)
        last = at
    closed = deal.stage.kind != StageKind.OPEN
    Deal.objects.filter(pk=deal.pk).update(
        created_at=start, stage_entered_at=last, closed_at=last if closed else None
    )
    # The SOP tasks of the stages it has left were done along the way.
    Task.objects.filter(deal_id=deal.pk, status=TaskStatus.OPEN, created_at__lt=now).exclude(
        source_key__startswith=f"deal-sop:{changes[-1].pk}:"
    ).update(status=TaskStatus.DONE, completed_at=last)


def _work(deal: Deal, stages: list[Stage], target: int, rng: random.Random, today: date) -> None:
    currency = deal.currency or _currency(deal.account.country)
    amount = Decimal(rng.randrange(8, 400) * 500)
    values = {
        "amount": str(amount),
        "currency": currency,
        "expected_close": (today + timedelta(days=rng.randrange(10, 120))).isoformat(),
    }
    path = stages[1 : target + 1] if target >= 0 else stages[1 : rng.randrange(2, 5)]
    for stage in path:
        deal_move_stage(actor=SYSTEM, deal=deal, stage=stage, values=values)
        if stage.name == "Quoted":
            deal_record_add(
                actor=SYSTEM,
                deal=deal,
                kind="quote",
                amount=amount,
                currency=currency,
                status="sent",
                on=today,
            )
        if stage.name == "Contract":
            deal_record_add(
                actor=SYSTEM,
                deal=deal,
                kind="order",
                amount=amount,
                currency=currency,
                status="confirmed",
                on=today,
            )
        if stage.kind == StageKind.WON:
            deal_record_add(
                actor=SYSTEM,
                deal=deal,
                kind="payment",
                amount=amount,
                currency=currency,
                status="received",
            )
    if target < 0:
        lost = next(s for s in stages if s.kind == StageKind.LOST)
        deal_move_stage(actor=SYSTEM, deal=deal, stage=lost, lost_reason="Price")


def _policies() -> None:
    specs = [
        ("Key accounts: a manager approves", ReclaimTrigger.NO_FOLLOW_UP, 30 * 24, {
            "tiers": [Tier.A], "requires_approval": True, "protection_days": 14,
        }),
        ("New customers: first contact within 72 hours", ReclaimTrigger.NO_FIRST_CONTACT, 72, {
            "lifecycles": [Lifecycle.NEW],
            "redistribute": Redistribute.REGION,
        }),
        ("Lost deal and quiet for 30 days", ReclaimTrigger.LOST_IDLE, 30 * 24, {}),
        ("No follow-up in 15 days", ReclaimTrigger.NO_FOLLOW_UP, 15 * 24, {}),
    ]  # fmt: skip
    for position, (name, trigger, hours, extra) in enumerate(specs, start=1):
        policy_save(
            actor=SYSTEM,
            policy=None,
            name=name,
            trigger=trigger,
            after_hours=hours,
            position=position * 10,
            **extra,
        )
    # Salespeople hold at most 300 customers and claim at most 20 a day.
    Role.objects.filter(slug="salesperson").update(pool_max_accounts=300, pool_claims_per_day=20)


def demo_sales(*, seed: int = 7) -> dict:
    """Build the demo's deals and pool; return what was made."""
    rng = random.Random(seed)
    now = timezone.now()
    today = timezone.localdate(now)
    with transaction.atomic():
        pipeline = pipeline_default_install()
        for currency, rate in RATES.items():
            rate_set(actor=SYSTEM, currency=currency, rate=rate, valid_from=date(today.year, 1, 1))
        stages = list(pipeline.stages.order_by("position"))
        made = 0
        sellers = User.objects.filter(
            role__slug__in=("salesperson", "team_lead"), is_active=True
        ).order_by("username")
        for n, seller in enumerate(sellers):
            accounts = list(
                Account.objects.filter(owner=seller, is_person=False)
                .exclude(deals__isnull=False)
                .order_by("-last_inbound_at", "pk")[:DEALS_PER_PERSON]
            )
            for i, account in enumerate(accounts):
                target = TARGETS[(n * DEALS_PER_PERSON + i) % len(TARGETS)]
                deal = deal_create(
                    actor=SYSTEM,
                    account=account,
                    title=f"{rng.choice(PRODUCTS)} for {account.name}"[:300],
                    source="email inquiry",
                )
                _work(deal, stages, target, rng, today)
                deal.refresh_from_db()
                _backdate(deal, now - timedelta(days=rng.randrange(20, 90)), now)
                if target >= 3:
                    Account.objects.filter(pk=account.pk).update(lifecycle=Lifecycle.ACTIVE)
                made += 1
        # The biggest customers are the key accounts.
        top = Account.objects.filter(lifecycle=Lifecycle.ACTIVE).order_by("pk")[:5]
        Account.objects.filter(pk__in=[a.pk for a in top]).update(tier=Tier.A)
        _policies()
    neglected = _neglected(now)
    return {"deals": made, "neglected": neglected}


def _neglected(now: datetime) -> str:
    """Let one customer go quiet for 16 days: warned a day ago, back in the pool tonight."""
    account = (
        Account.objects.filter(owner__isnull=False, is_person=False, deals__isnull=True, tier="")
        .order_by("pk")
        .first()
    )
    if account is None:
        return ""
    # Owner since 16 days ago, and no follow-up since (the demo mail is older).
    Account.objects.filter(pk=account.pk).update(assigned_at=now - timedelta(days=16))
    # A few more fall due within the coming days, so the pool keeps moving.
    soon = (
        Account.objects.filter(owner__isnull=False, is_person=False, deals__isnull=True, tier="")
        .exclude(pk=account.pk)
        .order_by("-pk")[:5]
    )
    for i, other in enumerate(soon):
        Account.objects.filter(pk=other.pk).update(
            assigned_at=now - timedelta(days=14, hours=12 - i * 12)
        )
    pool_sweep(now=now - timedelta(days=1))  # the warning, the night before
    pool_sweep(now=now)  # the reclaim, tonight
    return account.name
