"""Tasks (待办): creating, changing and reminding.

A task is something one person must do by a time: follow up a customer, answer a
thread, greet a contact. People create them in the web app and rules create them
from events (`source_rule`, `source_key`). A task on an account shows on its
timeline and belongs to the account's owner and team, so the account's scope
decides who else sees it; the assignee and the creator always do. The reads
(who sees and may change a task, the lists) are in `keyou.crm.todo_selectors`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Final

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_noop

from keyou.crm.activities import task_activity
from keyou.crm.models import Account, Task, TaskKind, TaskStatus
from keyou.crm.selectors import account_get_for
from keyou.crm.services import InvalidChange
from keyou.crm.todo_selectors import task_assignees_for, task_may_change, user_zone
from keyou.mail.selectors import thread_get_for
from keyou.people.access import SYSTEM, Actor, NotAllowed
from keyou.people.models import User
from keyou.people.services import notify_once

TITLE_MAX = 300
NOTES_MAX = 20_000
# One reminder sweep handles at most this many tasks; the next minute takes the rest.
REMINDER_BATCH = 500


class _Unset:
    """The default of an argument that was not given (None is a value: "no due time")."""

    def __repr__(self) -> str:
        return "UNSET"


UNSET: Final = _Unset()


# --- Notifications -------------------------------------------------------------------


def _when(user: User, moment: datetime) -> str:
    return f"{timezone.localtime(moment, user_zone(user)):%Y-%m-%d %H:%M}"


def _task_url(task: Task) -> str:
    return f"{reverse('task_list')}#task-{task.pk}"


def _notify_assigned(task: Task, key: str) -> None:
    assignee = task.assignee
    params = {"title": task.title}
    if task.due_at:
        message = gettext_noop("New task for you: %(title)s (due %(due)s)")
        params["due"] = _when(assignee, task.due_at)
    else:
        message = gettext_noop("New task for you: %(title)s")
    notify_once(assignee, message, params, dedupe_key=key, kind="task", url=_task_url(task))


# --- Who may do what -------------------------------------------------------------------


def _actor_id(actor: Actor) -> int | None:
    return None if actor is SYSTEM else actor.pk


def _check_assignee(actor: Actor, assignee: User) -> None:
    if not assignee.is_active or assignee.departed_at is not None:
        raise InvalidChange(
            gettext_noop("%(user)s no longer works here: choose someone else"),
            user=assignee.get_username(),
        )
    if actor is not SYSTEM and not task_assignees_for(actor).filter(pk=assignee.pk).exists():
        raise InvalidChange(gettext_noop("you can give tasks to yourself only"))


def _require_change(actor: Actor, task: Task) -> None:
    if not task_may_change(actor, task):
        raise NotAllowed("change_task")


# --- Changes ---------------------------------------------------------------------------


def _clean_title(title: str) -> str:
    title = " ".join((title or "").split())
    if not title:
        raise InvalidChange(gettext_noop("a task needs a title"))
    if len(title) > TITLE_MAX:
        raise InvalidChange(gettext_noop("a task title can hold at most 300 characters"))
    return title


def _clean_notes(notes: str) -> str:
    notes = (notes or "").strip()
    if len(notes) > NOTES_MAX:
        raise InvalidChange(gettext_noop("task notes can hold at most 20,000 characters"))
    return notes


def _clean_time(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    if timezone.is_naive(moment):
        raise InvalidChange(gettext_noop("the time needs a time zone"))
    return moment.astimezone(UTC)


@transaction.atomic
def task_create(
    *,
    actor: Actor,
    title: str,
    assignee: User | None = None,
    due_at: datetime | None = None,
    remind_at: datetime | None = None,
    account: Account | None = None,
    thread: Any = None,
    kind: str = TaskKind.FOLLOW_UP,
    notes: str = "",
    source_rule: Any = None,
    source_key: str | None = None,
    timeline: bool = True,
) -> Task:
    """Create a task and return it; with SOURCE_KEY, return the existing one if there is one.

    ASSIGNEE defaults to ACTOR (a person), else the account's owner. ACCOUNT (and
    THREAD) must be ones ACTOR may change (see) unless ACTOR is SYSTEM; a thread's
    account is used when no account is given. The task is written on the account's
    timeline (unless TIMELINE is False: a rule writes its own entry saying why) and
    its assignee is notified (once) when someone else gave it.
    """
    if source_key:
        existing = Task.objects.filter(source_key=source_key).first()
        if existing is not None:
            return existing
    title = _clean_title(title)
    notes = _clean_notes(notes)
    due_at, remind_at = _clean_time(due_at), _clean_time(remind_at)
    if kind not in TaskKind.values:
        raise InvalidChange(gettext_noop("unknown kind of task"))
    if thread is not None and actor is not SYSTEM:
        thread = thread_get_for(actor, thread.pk)  # NotFound outside the actor's reach
    if account is None and thread is not None and thread.account_id:
        account = Account.objects.select_related("owner", "team").get(pk=thread.account_id)
    if account is not None and actor is not SYSTEM:
        account = account_get_for(actor, account.pk, write=True)
    if assignee is None:
        if actor is not SYSTEM:
            assignee = actor
        elif account is not None and account.owner_id:
            owner = account.owner
            if owner.is_active and owner.departed_at is None:
                assignee = owner
    if assignee is not None:
        _check_assignee(actor, assignee)
    if account is not None:
        owner_id, team_id = account.owner_id, account.team_id
    elif assignee is not None:
        owner_id, team_id = assignee.pk, assignee.team_id
    else:
        owner_id = team_id = None
    task = Task(
        title=title,
        notes=notes,
        kind=kind,
        due_at=due_at,
        remind_at=remind_at,
        assignee=assignee,
        account=account,
        thread=thread,
        created_by_id=_actor_id(actor),
        source_rule=source_rule,
        source_key=source_key or None,
        owner_id=owner_id,
        team_id=team_id,
    )
    try:
        with transaction.atomic():
            task.save()
    except IntegrityError:
        if source_key:  # another worker created it between our look and our write
            return Task.objects.get(source_key=source_key)
        raise
    if account is not None and timeline:
        task_activity(task=task, actor_id=_actor_id(actor), occurred_at=task.created_at).save()
    if assignee is not None and assignee.pk != _actor_id(actor):
        _notify_assigned(task, f"task:{task.pk}:assigned")
    return task


def _set_status(actor: Actor, task: Task, *, to: str, from_: tuple[str, ...]) -> bool:
    """Move TASK to status TO if it is in one of FROM_; return True when it moved."""
    _require_change(actor, task)
    now = timezone.now()
    changed = Task.objects.filter(pk=task.pk, status__in=from_).update(
        status=to, completed_at=now if to == TaskStatus.DONE else None
    )
    task.refresh_from_db()
    return changed == 1


@transaction.atomic
def task_complete(*, actor: Actor, task: Task) -> Task:
    """Mark TASK done (doing it twice changes nothing) and note it on the account's timeline."""
    moved = _set_status(actor, task, to=TaskStatus.DONE, from_=(TaskStatus.OPEN,))
    if moved and task.account_id:
        task_activity(
            task=task, actor_id=_actor_id(actor), occurred_at=task.completed_at, event="done"
        ).save()
    return task


@transaction.atomic
def task_reopen(*, actor: Actor, task: Task) -> Task:
    """Open a done or cancelled TASK again."""
    _set_status(actor, task, to=TaskStatus.OPEN, from_=(TaskStatus.DONE, TaskStatus.CANCELLED))
    return task


@transaction.atomic
def task_cancel(*, actor: Actor, task: Task) -> Task:
    """Cancel an open TASK: nobody needs to do it any more."""
    _set_status(actor, task, to=TaskStatus.CANCELLED, from_=(TaskStatus.OPEN,))
    return task


@transaction.atomic
def task_update(
    *,
    actor: Actor,
    task: Task,
    title: str | _Unset = UNSET,
    due_at: datetime | None | _Unset = UNSET,
    remind_at: datetime | None | _Unset = UNSET,
    assignee: User | None | _Unset = UNSET,
    notes: str | _Unset = UNSET,
) -> Task:
    """Change TASK's title, due time, reminder, assignee or notes (only those given).

    A new reminder time is sent again; a new assignee is notified (once) unless
    they made the change.
    """
    _require_change(actor, task)
    fields: list[str] = []
    if not isinstance(title, _Unset):
        task.title = _clean_title(title)
        fields.append("title")
    if not isinstance(notes, _Unset):
        task.notes = _clean_notes(notes)
        fields.append("notes")
    if not isinstance(due_at, _Unset):
        task.due_at = _clean_time(due_at)
        fields.append("due_at")
    if not isinstance(remind_at, _Unset):
        remind_at = _clean_time(remind_at)
        if remind_at != task.remind_at:
            task.remind_at, task.reminded_at = remind_at, None
            fields += ["remind_at", "reminded_at"]
    new_assignee = None
    if not isinstance(assignee, _Unset) and getattr(assignee, "pk", None) != task.assignee_id:
        if assignee is not None:
            _check_assignee(actor, assignee)
            new_assignee = assignee
        task.assignee = assignee
        fields.append("assignee")
        if task.account_id is None:
            task.owner_id = assignee.pk if assignee else None
            task.team_id = assignee.team_id if assignee else None
            fields += ["owner", "team"]
    if fields:
        task.save(update_fields=fields)
    if new_assignee is not None and new_assignee.pk != _actor_id(actor):
        _notify_assigned(task, f"task:{task.pk}:assigned:{new_assignee.pk}")
    return task


def task_reminders_send(now: datetime | None = None) -> int:
    """Remind the assignee of each open task whose reminder time has come; return how many.

    Each task is claimed with a conditional UPDATE of `reminded_at` in the same
    transaction as its notice, so two sweeps (or two workers) remind once.
    """
    now = now or timezone.now()
    due = list(
        Task.objects.filter(
            status=TaskStatus.OPEN,
            remind_at__lte=now,
            reminded_at__isnull=True,
            assignee__isnull=False,
        )
        .order_by("remind_at", "id")
        .values_list("pk", flat=True)[:REMINDER_BATCH]
    )
    sent = 0
    for pk in due:
        with transaction.atomic():
            claimed = Task.objects.filter(
                pk=pk, status=TaskStatus.OPEN, reminded_at__isnull=True
            ).update(reminded_at=now)
            if claimed != 1:
                continue
            task = Task.objects.select_related("assignee").get(pk=pk)
            assignee = task.assignee
            if assignee is None or not assignee.is_active or assignee.departed_at is not None:
                continue
            stamp = int(task.remind_at.timestamp()) if task.remind_at else 0
            params = {"title": task.title}
            if task.due_at:
                message = gettext_noop("Reminder: %(title)s (due %(due)s)")
                params["due"] = _when(assignee, task.due_at)
            else:
                message = gettext_noop("Reminder: %(title)s")
            if notify_once(
                assignee,
                message,
                params,
                dedupe_key=f"task:{pk}:remind:{stamp}",
                kind="task_reminder",
                url=_task_url(task),
            ):
                sent += 1
    return sent
