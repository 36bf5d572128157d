"""Apply the rules to an event and record what they did (the run log)."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from keyou.automation.actions import ActionContext, action_apply
from keyou.automation.engine import EventSpec, RuleSpec, plan, triggered
from keyou.automation.models import Event, Rule, RuleRun, RunStatus
from keyou.automation.snapshot import Subjects, snapshot_build, subjects_load
from keyou.crm.activities import automation_activity
from keyou.crm.models import Account

log = logging.getLogger(__name__)

# A firing that keeps failing is retried this many times, then shown as failed.
MAX_ATTEMPTS = 3


def rule_spec(rule: Rule) -> RuleSpec:
    """Return the engine's view of RULE."""
    return RuleSpec(
        id=rule.pk,
        name=rule.name,
        trigger=rule.trigger,
        trigger_after=rule.trigger_after,
        conditions=rule.conditions or {},
        actions=tuple(rule.actions or ()),
    )


def event_spec(event: Event) -> EventSpec:
    return EventSpec(kind=event.kind, data=event.data or {})


_batch_rules: ContextVar[list[Rule] | None] = ContextVar("batch_rules", default=None)


def rules_enabled() -> list[Rule]:
    """Return the enabled rules in order (read once per batch of events, see `rules_batch`)."""
    cached = _batch_rules.get()
    if cached is not None:
        return cached
    return list(Rule.objects.filter(enabled=True).order_by("position", "id"))


@contextmanager
def rules_batch() -> Iterator[None]:
    """Read the enabled rules once for a batch of events (a rule saved meanwhile waits for
    the next batch)."""
    token = _batch_rules.set(list(Rule.objects.filter(enabled=True).order_by("position", "id")))
    try:
        yield
    finally:
        _batch_rules.reset(token)


def _fire(
    rule: Rule,
    why: tuple[str, ...],
    event: Event,
    subject: str,
    found: Subjects,
    snapshot: dict,
    now: datetime,
    runs: dict[tuple[int, str], RuleRun],
) -> bool:
    """Apply the actions of RULE, whose conditions held on EVENT for SUBJECT for WHY.

    Return False when it must be retried later. RUNS holds the event's earlier runs: a
    redelivered event finds what already fired.
    """
    run = runs.get((rule.pk, subject))
    if run is not None and run.status in (RunStatus.DONE, RunStatus.FAILED):
        return True  # redelivered: it already fired (or gave up)
    key = f"r{rule.pk}:e{event.pk}:{subject or '-'}"
    attempts = (run.attempts if run else 0) + 1
    account_id = found.account.pk if found.account else None
    try:
        with transaction.atomic():
            ctx = ActionContext(
                rule=rule, key=key, found=found, snapshot=snapshot, why=why, now=now
            )
            results = [action_apply(a, ctx, i) for i, a in enumerate(rule.actions or [])]
            RuleRun.objects.update_or_create(
                rule=rule,
                event=event,
                subject=subject,
                defaults={
                    "account_id": account_id,
                    "status": RunStatus.DONE,
                    "why": list(why),
                    "results": results,
                    "attempts": attempts,
                    "error": "",
                    "finished_at": timezone.now(),
                },
            )
            if found.account is not None:
                found.account.refresh_from_db()
                automation_activity(
                    account=found.account,
                    occurred_at=now,
                    rule_id=rule.pk,
                    rule_name=rule.name,
                    why=why,
                    actions=results,
                ).save()
        return True
    except Exception as exc:  # one rule's failure never blocks the others
        failed = attempts >= MAX_ATTEMPTS
        log.warning(
            "rule %s on event %s failed (attempt %s): %s", rule.pk, event.pk, attempts, type(exc)
        )
        RuleRun.objects.update_or_create(
            rule=rule,
            event=event,
            subject=subject,
            defaults={
                "account_id": account_id,
                "status": RunStatus.FAILED if failed else RunStatus.RETRYING,
                "why": list(why),
                "attempts": attempts,
                "error": f"{type(exc).__name__}: {exc}"[:2000],
                "finished_at": timezone.now() if failed else None,
            },
        )
        return failed


def rules_handle(event: Event, *, now: datetime | None = None) -> bool:
    """Run every enabled rule that EVENT triggers; return False if some must be retried.

    History filed by a first sync or an import (events that are not live) runs no
    rules. A schedule event runs its one rule over every customer.
    """
    if not event.live:
        return True
    now = now or timezone.now()
    spec = event_spec(event)
    rules = {r.pk: r for r in rules_enabled() if triggered(rule_spec(r), spec)}
    if not rules:
        return True
    specs = [rule_spec(r) for r in rules.values()]
    runs = {(r.rule_id, r.subject): r for r in RuleRun.objects.filter(event=event)}
    if event.kind == "schedule":
        subjects: Iterable[tuple[str, Subjects]] = (
            (f"account:{account.pk}", Subjects(account=account))
            for account in Account.objects.select_related("owner", "team").iterator()
        )
    else:
        subjects = [("", subjects_load(event))]
    settled = True
    for subject, found in subjects:
        snapshot = snapshot_build(found, now, event.data)
        for firing in plan(spec, snapshot, specs, now):
            rule = rules[firing.rule.id]
            settled &= _fire(rule, firing.why, event, subject, found, snapshot, now, runs)
    return settled
