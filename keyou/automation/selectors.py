"""Reads of automation data: rules and their runs, and the reply queues."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.db.models import Count, F, Max, OuterRef, Q, QuerySet
from django.utils import timezone

from keyou.automation.models import Rule, RuleRun, RunStatus
from keyou.crm.selectors import NotFound, accounts_visible_to
from keyou.mail.models import Thread
from keyou.mail.selectors import participant_q, threads_visible_to
from keyou.people.access import Actor, require, scope_q, sees_everything, team_subtree
from keyou.people.models import Capability, Team, User

if TYPE_CHECKING:
    from keyou.automation.dryrun import DryRun


def rules_list(actor: Actor) -> QuerySet[Rule]:
    """Return every rule in the order they run (needs manage_rules)."""
    require(actor, Capability.MANAGE_RULES)
    return Rule.objects.order_by("position", "id")


def rules_with_run_counts(actor: Actor) -> QuerySet[Rule]:
    """Return every rule in order, each with `last_run` and its `done` and `failed` runs."""
    return rules_list(actor).annotate(
        last_run=Max("runs__created_at"),
        done=Count("runs", filter=Q(runs__status=RunStatus.DONE)),
        failed=Count("runs", filter=Q(runs__status=RunStatus.FAILED)),
    )


def template_rules(actor: Actor) -> dict[str, list[Rule]]:
    """Return {template slug: its rules, in order} of the installed built-in templates."""
    by_template: dict[str, list[Rule]] = {}
    for rule in rules_list(actor).exclude(template=""):
        by_template.setdefault(rule.template, []).append(rule)
    return by_template


def rule_get_for(actor: Actor, rule_id: int) -> Rule:
    """Return rule RULE_ID (needs manage_rules), else raise NotFound."""
    rule = rules_list(actor).filter(pk=rule_id).first()
    if rule is None:
        raise NotFound(f"rule {rule_id!r} not found")
    return rule


def rule_runs(actor: Actor, rule: Rule | None = None, *, status: str = "") -> QuerySet[RuleRun]:
    """Return the run log (of RULE, or of every rule; with STATUS, only those), newest first."""
    require(actor, Capability.MANAGE_RULES)
    runs = RuleRun.objects.select_related("rule", "event")
    if rule is not None:
        runs = runs.filter(rule=rule)
    if status:
        runs = runs.filter(status=status)
    return runs.order_by("-created_at", "-id")


# A rule acts on every customer, but its dry run and run log speak of them to one
# viewer: a row about a customer or conversation outside the viewer's scope says
# that it exists, not whose it is.


def _account_names(actor: Actor, ids: set[int]) -> dict[int, str]:
    """Return {id: name} of the accounts among IDS that ACTOR may see."""
    if not ids:
        return {}
    return dict(accounts_visible_to(actor).filter(pk__in=ids).values_list("pk", "name"))


def _hidden_thread_ids(actor: Actor, ids: set[int]) -> set[int]:
    """Return the ids among IDS of the threads that exist and ACTOR may not see."""
    if not ids or sees_everything(actor):
        return set()
    hidden = Thread.objects.filter(pk__in=ids).exclude(pk__in=threads_visible_to(actor))
    return set(hidden.values_list("pk", flat=True))


@dataclass(frozen=True)
class DryRunRow:
    at: datetime
    visible: bool  # the viewer may see the customer and the conversation
    account: Any
    thread_id: int | None
    subject: str
    why: tuple[str, ...]
    actions: list[str]


def dry_run_rows(actor: Actor, result: DryRun) -> list[DryRunRow]:
    """Return the matches of dry run RESULT, each marked visible to ACTOR or not."""
    accounts = _account_names(actor, {m.account.pk for m in result.matches if m.account})
    hidden = _hidden_thread_ids(actor, {m.thread_id for m in result.matches if m.thread_id})
    return [
        DryRunRow(
            at=m.at,
            visible=(m.account is None or m.account.pk in accounts) and m.thread_id not in hidden,
            account=m.account,
            thread_id=m.thread_id,
            subject=m.subject,
            why=m.why,
            actions=m.actions,
        )
        for m in result.matches
    ]


@dataclass(frozen=True)
class RunRow:
    run: RuleRun
    visible: bool  # the viewer may see the customer and the conversation
    account_name: str


def run_rows(actor: Actor, runs: Iterable[RuleRun]) -> list[RunRow]:
    """Return RUNS (their events loaded), each with its customer's name as ACTOR may see it."""
    runs = list(runs)
    thread_of = {r.pk: r.event.thread_id if r.event else None for r in runs}
    names = _account_names(actor, {r.account_id for r in runs if r.account_id})
    hidden = _hidden_thread_ids(actor, {t for t in thread_of.values() if t})
    return [
        RunRow(
            run=r,
            visible=(not r.account_id or r.account_id in names) and thread_of[r.pk] not in hidden,
            account_name=names.get(r.account_id, ""),
        )
        for r in runs
    ]


def managed_team_ids(user: User) -> list[int]:
    """Return the teams USER manages, with every team below them."""
    ids: list[int] = []
    for team_id in Team.objects.filter(manager=user).values_list("pk", flat=True):
        ids += [t for t in team_subtree(team_id) if t not in ids]
    return ids


@dataclass(frozen=True)
class QueueRow:
    thread: Thread
    due: datetime | None
    breached: bool
    minutes_left: int | None  # negative once breached


def reply_queue(actor: Actor, *, team: bool = False, now: datetime | None = None) -> list[QueueRow]:
    """Return the threads waiting for ACTOR's reply (with TEAM: their teams'), by due time.

    A thread waits for the owner of its customer. The rows go through the actor's
    data scope, so a team lead sees only what their role lets them see.
    """
    now = now or timezone.now()
    threads = Thread.objects.filter(awaiting_since__isnull=False, account__isnull=False)
    if team:
        teams = managed_team_ids(actor) if getattr(actor, "pk", None) else []
        threads = threads.filter(account__owner__team_id__in=teams)
    else:
        threads = threads.filter(account__owner=actor)
    threads = (
        threads.filter(scope_q(actor, prefix="account__"))
        .filter(_open_to(actor))
        .select_related("account", "account__owner")
        .order_by(F("reply_due_at").asc(nulls_last=True), "awaiting_since", "pk")
    )
    rows = []
    for thread in threads[:500]:
        due = thread.reply_due_at
        left = int((due - now).total_seconds() // 60) if due else None
        rows.append(
            QueueRow(thread=thread, due=due, breached=bool(due and due < now), minutes_left=left)
        )
    return rows


def _open_to(actor: Actor) -> Q:
    """Threads not private, or private ones ACTOR took part in."""
    if sees_everything(actor):
        return Q()
    return Q(is_private=False) | participant_q(actor, OuterRef("pk"))
