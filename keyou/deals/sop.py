"""Stage SOPs: checking what an admin wrote, and the tasks a deal gets on entering a stage."""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import nullcontext
from datetime import datetime, timedelta
from typing import Any

from django.utils import translation
from django.utils.translation import gettext_noop

from keyou.automation.recipients import director_of, manager_of
from keyou.automation.sla import WorkingTime, working_time_for_team
from keyou.crm.activities import task_activity
from keyou.crm.models import Task
from keyou.deals.models import Deal, Stage, StageChange
from keyou.deals.stages import SOP_ASSIGNEES, label
from keyou.errors import UserFixableError
from keyou.people.access import SYSTEM
from keyou.people.models import User
from keyou.people.services import language_of

MAX_DUE_DAYS = 365
MAX_TASKS = 20


class InvalidSop(UserFixableError):
    """A stage's task list that cannot be used; the message says why."""


def sop_clean(items: Iterable[Any]) -> list[dict]:
    """Return the SOP tasks ITEMS in their stored shape, else raise InvalidSop.

    Each item: {"title", "due_days" (working days, 0-365), "assignee" ("owner",
    "manager" or "director"), "checklist": [str, ...]}.
    """
    out = []
    for item in items or []:
        if not isinstance(item, dict):
            raise InvalidSop(gettext_noop("each task on entry needs a title"))
        title = " ".join(str(item.get("title") or "").split())
        if not title or len(title) > 300:
            raise InvalidSop(
                gettext_noop("each task on entry needs a title (300 characters at most)")
            )
        try:
            due_days = int(item.get("due_days") or 0)
        except (TypeError, ValueError):
            due_days = -1
        if not 0 <= due_days <= MAX_DUE_DAYS:
            raise InvalidSop(gettext_noop("a task is due within 0 to 365 working days"))
        assignee = str(item.get("assignee") or "owner")
        if assignee not in SOP_ASSIGNEES:
            raise InvalidSop(
                gettext_noop("a task goes to one of: %(choices)s"), choices=", ".join(SOP_ASSIGNEES)
            )
        checklist = item.get("checklist") or []
        if isinstance(checklist, str):
            checklist = checklist.splitlines()
        checklist = [" ".join(str(c).split())[:300] for c in checklist if str(c).strip()]
        out.append(
            {"title": title, "due_days": due_days, "assignee": assignee, "checklist": checklist}
        )
    if len(out) > MAX_TASKS:
        raise InvalidSop(gettext_noop("a stage can create at most 20 tasks"))
    return out


def add_working_days(working: WorkingTime, start: datetime, days: int) -> datetime:
    """Return the end of the working day DAYS working days after START's day (in UTC).

    Day 0 is START's own day if it is a working day, else the next one: a task
    "due in 1 working day" set on a Friday is due at the end of Monday.
    """
    day = working.next_working(start).astimezone(working.zone).date()
    left = days
    while left > 0:
        day += timedelta(days=1)
        if working.is_working_day(day) and working.day_intervals(day):
            left -= 1
    intervals = working.day_intervals(day)
    return intervals[-1][1] if intervals else working.next_working(start)


def _assignee(deal: Deal, role: str) -> User | None:
    owner = deal.owner if deal.owner_id else None
    team = owner.team if owner is not None and owner.team_id else deal.team
    if role == "manager":
        found = manager_of(team, besides=owner)
    elif role == "director":
        found = director_of(team)
    else:
        found = None
    found = found or owner
    if found is None or not found.is_active or found.departed_at is not None:
        return None
    return found


def _notes(item: dict) -> str:
    return "\n".join(f"- [ ] {label(line)}" for line in item.get("checklist") or [])


def sop_tasks_create(*, deal: Deal, stage: Stage, change: StageChange) -> list[Task]:
    """Create STAGE's tasks for DEAL on entering it (CHANGE), once per entry; return them.

    Due dates count working days in the business calendar of the owner's team.
    The tasks are the company's process: made by the system, on the deal's account.
    """
    from keyou.crm.todos import task_create  # todos imports the mail app

    if not stage.sop:
        return []
    team_id = deal.owner.team_id if deal.owner_id else deal.team_id
    working = working_time_for_team(team_id)
    tasks = []
    for i, item in enumerate(stage.sop):
        assignee = _assignee(deal, item.get("assignee", "owner"))
        # Built-in titles and checklists in the assignee's language.
        language = translation.override(language_of(assignee)) if assignee else nullcontext()
        with language:
            title, notes = label(item["title"]), _notes(item)
        task = task_create(
            actor=SYSTEM,
            title=title,
            assignee=assignee,
            due_at=add_working_days(working, change.at, int(item.get("due_days") or 0)),
            account=deal.account,
            notes=notes,
            source_key=f"deal-sop:{change.pk}:{i}",
            timeline=False,
        )
        if task.deal_id != deal.pk:
            task.deal_id = deal.pk
            task.save(update_fields=["deal_id"])
            entry = task_activity(task=task, actor_id=None, occurred_at=change.at)
            entry.deal = deal
            entry.save()
        tasks.append(task)
    return tasks
