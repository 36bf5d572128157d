"""Reads of tasks (待办): who sees and may change them, and the lists people work from.

A task on an account belongs to the account's owner and team, so the account's
scope decides who else sees it; the assignee and the creator always do. The
writes are in `keyou.crm.todos`.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.db.models import F, Q, QuerySet
from django.utils import timezone

from keyou.automation.selectors import managed_team_ids
from keyou.clitime import company_zone
from keyou.crm.models import Account, Task, TaskStatus
from keyou.crm.selectors import NotFound, accounts_visible_to
from keyou.mail.selectors import private_thread_q
from keyou.people.access import SYSTEM, Actor, can, scope_q, sees_everything
from keyou.people.directory import users_active
from keyou.people.models import Capability, Team, User

# "Done recently" on the my-tasks page reaches back this far.
RECENTLY_DONE = timedelta(days=7)
RECENTLY_DONE_LIMIT = 20


def user_zone(user: Any) -> ZoneInfo:
    """Return USER's time zone, else the organisation's, else UTC."""
    name = getattr(user, "time_zone", "") or ""
    if name:
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            pass
    return company_zone()


# --- Who may do what -------------------------------------------------------------------


def manages_team(actor: Actor) -> bool:
    """Return True when ACTOR is the manager of at least one team."""
    if getattr(actor, "pk", None) is None:
        return False
    return Team.objects.filter(manager_id=actor.pk).exists()


def task_assignees_for(actor: Actor, *, task: Task | None = None) -> QuerySet[User]:
    """Return the users ACTOR may give a task (TASK) to, by username.

    Everyone active may be given a task by admins, rules, team managers and roles
    that assign customers; anyone else gives tasks to themselves only. TASK's
    current assignee, while active, stays a choice (keeping them is no new gift).
    """
    active = users_active()
    if actor is SYSTEM or sees_everything(actor) or can(actor, Capability.ASSIGN):
        return active
    if manages_team(actor):
        return active
    wanted = Q(pk=actor.pk)
    if task is not None and task.assignee_id:
        wanted |= Q(pk=task.assignee_id)
    return active.filter(wanted)


def task_may_change(actor: Actor, task: Task) -> bool:
    """Return True when ACTOR may change TASK: its assignee or creator, an admin, or
    anyone who may change the task's account."""
    if actor is SYSTEM or sees_everything(actor):
        return True
    if actor.pk is not None and actor.pk in (task.assignee_id, task.created_by_id):
        return True
    if task.account_id is None:
        return False
    return Account.objects.filter(scope_q(actor, write=True), pk=task.account_id).exists()


# --- Lists -----------------------------------------------------------------------------


def tasks_visible_to(actor: Actor) -> QuerySet[Task]:
    """Return the tasks ACTOR may see.

    Those assigned to or created by ACTOR, and those on accounts in ACTOR's scope
    (but not on a private thread ACTOR is outside of); admins see every task.
    """
    if sees_everything(actor):
        return Task.objects.all()
    if not getattr(actor, "is_authenticated", False) or actor.pk is None:
        return Task.objects.none()
    mine = Q(assignee_id=actor.pk) | Q(created_by_id=actor.pk)
    on_accounts = (
        Q(account__isnull=False) & scope_q(actor, prefix="account__") & private_thread_q(actor)
    )
    return Task.objects.filter(mine | on_accounts)


def task_get_for(actor: Actor, task_id: int) -> Task:
    """Return task TASK_ID if ACTOR may see it, else raise NotFound."""
    task = (
        tasks_visible_to(actor)
        .select_related("assignee", "account", "thread", "created_by", "source_rule")
        .filter(pk=task_id)
        .first()
    )
    if task is None:
        raise NotFound(f"task {task_id!r} not found")
    mark_visible_accounts(actor, [task])
    return task


def mark_visible_accounts(actor: Actor, tasks: list[Task]) -> list[Task]:
    """Set `shown_account` on each of TASKS: its account if ACTOR may see it, else None.

    A task assigned to someone outside the account's scope must not show them the
    customer's name.
    """
    ids = {t.account_id for t in tasks if t.account_id}
    visible = (
        set(accounts_visible_to(actor).filter(pk__in=ids).values_list("pk", flat=True))
        if ids
        else set()
    )
    for task in tasks:
        task.shown_account = task.account if task.account_id in visible else None
    return tasks


def _ordered(qs: QuerySet[Task]) -> QuerySet[Task]:
    return qs.select_related("assignee", "account", "thread", "source_rule").order_by(
        F("due_at").asc(nulls_last=True), "id"
    )


def my_tasks(actor: Actor, *, now: datetime | None = None) -> dict[str, list[Task]]:
    """Return ACTOR's open tasks grouped by due time, and those done lately.

    Keys: "overdue" (due before NOW), "today" (due later today in ACTOR's time zone),
    "upcoming" (due after today, or with no due time) and "done" (done in the last
    week, newest first).
    """
    now = now or timezone.now()
    zone = user_zone(actor)
    local = now.astimezone(zone)
    end_of_today = datetime.combine(local.date() + timedelta(days=1), datetime.min.time(), zone)
    open_tasks = list(_ordered(Task.objects.filter(assignee_id=actor.pk, status=TaskStatus.OPEN)))
    groups: dict[str, list[Task]] = {"overdue": [], "today": [], "upcoming": [], "done": []}
    for task in open_tasks:
        if task.due_at is not None and task.due_at < now:
            groups["overdue"].append(task)
        elif task.due_at is not None and task.due_at < end_of_today:
            groups["today"].append(task)
        else:
            groups["upcoming"].append(task)
    done = Task.objects.filter(
        assignee_id=actor.pk, status=TaskStatus.DONE, completed_at__gte=now - RECENTLY_DONE
    )
    groups["done"] = list(_ordered(done).order_by("-completed_at", "-id")[:RECENTLY_DONE_LIMIT])
    mark_visible_accounts(actor, [t for group in groups.values() for t in group])
    return groups


def team_tasks(actor: Actor) -> list[Task]:
    """Return the open tasks, visible to ACTOR, of people in the teams ACTOR manages (and below)."""
    teams = managed_team_ids(actor) if getattr(actor, "pk", None) is not None else []
    if not teams:
        return []
    qs = tasks_visible_to(actor).filter(status=TaskStatus.OPEN, assignee__team_id__in=teams)
    return mark_visible_accounts(actor, list(_ordered(qs)))


def account_tasks(actor: Actor, account: Account) -> list[Task]:
    """Return the open tasks on ACCOUNT (which ACTOR already may see) that ACTOR may see."""
    qs = tasks_visible_to(actor).filter(account=account, status=TaskStatus.OPEN)
    tasks = list(_ordered(qs))
    for task in tasks:
        task.shown_account = account
    return tasks
