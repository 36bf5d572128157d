"""Tasks: creating (by people and rules), who sees and changes them, "my tasks", reminders."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.utils import timezone

from keyou.crm import todo_selectors, todos
from keyou.crm.models import Activity, ActivityKind, Task, TaskKind, TaskStatus
from keyou.crm.selectors import NotFound
from keyou.crm.services import InvalidChange
from keyou.people.access import SYSTEM, NotAllowed, forget_reach
from keyou.people.models import Notification, Team
from keyou.people.services import team_ensure, user_add

# Tuesday 2026-03-10 10:00 in Shanghai (the company's zone).
NOW = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)


def _notices(user, kind: str = "task") -> list[Notification]:
    return list(Notification.objects.filter(recipient=user, kind=kind))


# --- Creating -------------------------------------------------------------------------


def test_task_on_an_account_takes_its_owner_and_goes_on_the_timeline(people, crm):
    due = datetime(2026, 3, 12, 8, 0, tzinfo=UTC)

    task = todos.task_create(
        actor=people.alice, title="  Send the price list ", assignee=people.bob, due_at=due,
        account=crm.acme,
    )  # fmt: skip

    assert task.title == "Send the price list"
    assert (task.owner_id, task.team_id) == (people.alice.pk, people.alice.team_id)
    assert task.created_by_id == people.alice.pk and task.status == TaskStatus.OPEN
    entry = Activity.objects.get(account=crm.acme, kind=ActivityKind.TASK)
    assert entry.data == {
        "task_id": task.pk,
        "title": "Send the price list",
        "due_at": due.isoformat(),
        "assignee": "bob",
        "rule": "",
        "event": "created",
    }
    (notice,) = _notices(people.bob)
    assert notice.dedupe_key == f"task:{task.pk}:assigned"
    assert "Send the price list" in notice.text and "2026-03-12 16:00" in notice.text  # Shanghai
    assert notice.url.endswith(f"#task-{task.pk}")


def test_a_task_for_oneself_notifies_nobody_and_defaults_to_the_actor(people, crm):
    task = todos.task_create(actor=people.alice, title="Call Anna", account=crm.acme)
    assert task.assignee_id == people.alice.pk
    assert not Notification.objects.exists()


def test_without_an_account_the_task_belongs_to_the_assignee(people):
    task = todos.task_create(actor=people.carol, title="Prepare the fair")
    assert (task.owner_id, task.team_id) == (people.carol.pk, people.carol.team_id)
    assert not Activity.objects.filter(kind=ActivityKind.TASK).exists()


def test_an_outsider_cannot_put_a_task_on_a_customer(people, crm):
    with pytest.raises(NotFound):
        todos.task_create(actor=people.carol, title="Steal acme", account=crm.acme)
    assert not Task.objects.exists()


def test_a_salesperson_gives_tasks_to_herself_only(people, crm):
    with pytest.raises(InvalidChange, match="yourself only"):
        todos.task_create(actor=people.carol, title="For bob", assignee=people.bob)
    # A team lead (assign capability) may give one to anyone active.
    task = todos.task_create(actor=people.alice, title="For carol", assignee=people.carol)
    assert task.assignee_id == people.carol.pk


def test_a_departed_or_inactive_user_gets_no_task(people, crm):
    people.bob.departed_at = timezone.now()
    people.bob.save()
    with pytest.raises(InvalidChange, match="no longer works here"):
        todos.task_create(actor=SYSTEM, title="Follow up", assignee=people.bob, account=crm.acme)
    people.carol.is_active = False
    people.carol.save()
    with pytest.raises(InvalidChange):
        todos.task_create(actor=people.admin, title="Follow up", assignee=people.carol)


def test_a_rule_task_with_a_source_key_is_created_once(people, crm):
    from keyou.automation.models import Rule

    rule = Rule.objects.create(name="Reply SLA", trigger="thread.awaiting_reply")
    kwargs = dict(
        actor=SYSTEM, title="Reply to Acme", account=crm.acme, kind=TaskKind.REPLY,
        source_rule=rule, source_key="run:7:action:0",
    )  # fmt: skip

    first = todos.task_create(**kwargs)
    again = todos.task_create(**{**kwargs, "title": "Something else"})

    assert again.pk == first.pk and again.title == "Reply to Acme"
    assert Task.objects.count() == 1
    assert first.assignee_id == people.alice.pk  # the account's owner
    assert Activity.objects.filter(kind=ActivityKind.TASK).count() == 1
    assert Activity.objects.get(kind=ActivityKind.TASK).data["rule"] == "Reply SLA"
    assert len(_notices(people.alice)) == 1


def test_a_thread_task_lands_on_the_threads_account(people, crm, acme_mail):
    from keyou.mail.models import Thread

    thread = Thread.objects.get(subject="Samples for the spring fair")
    thread.account = crm.acme
    thread.save()
    task = todos.task_create(actor=people.bob, title="Send samples", thread=thread)
    assert task.account_id == crm.acme.pk and task.thread_id == thread.pk
    entry = Activity.objects.get(kind=ActivityKind.TASK)
    assert entry.thread_id == thread.pk


# --- Who sees, who changes ------------------------------------------------------------


@pytest.fixture
def tasks(people, crm):
    return {
        "acme": todos.task_create(actor=people.alice, title="Acme follow-up", account=crm.acme),
        "globex": todos.task_create(
            actor=people.carol, title="Globex follow-up", account=crm.globex
        ),
        "private": todos.task_create(actor=people.alice, title="Alice's own"),
        "for_carol": todos.task_create(
            actor=people.admin, title="Acme for carol", account=crm.acme, assignee=people.carol
        ),
    }


def _titles(qs) -> set[str]:
    return set(qs.values_list("title", flat=True))


def test_who_sees_which_task(people, tasks):
    assert _titles(todo_selectors.tasks_visible_to(people.alice)) == {
        "Acme follow-up", "Alice's own", "Acme for carol",
    }  # fmt: skip
    # bob (same team) sees the team's customer's tasks, not alice's own list.
    assert _titles(todo_selectors.tasks_visible_to(people.bob)) == {
        "Acme follow-up",
        "Acme for carol",
    }
    # carol sees her customer's and what she was given, never acme's others.
    assert _titles(todo_selectors.tasks_visible_to(people.carol)) == {
        "Globex follow-up",
        "Acme for carol",
    }
    assert todo_selectors.tasks_visible_to(people.admin).count() == 4


def test_task_get_for_is_not_found_outside_the_scope(people, tasks):
    with pytest.raises(NotFound):
        todo_selectors.task_get_for(people.carol, tasks["acme"].pk)
    with pytest.raises(NotFound):
        todo_selectors.task_get_for(people.bob, tasks["private"].pk)
    with pytest.raises(NotFound):
        todo_selectors.task_get_for(people.carol, 999_999)
    # The assignee sees her task but not the customer she may not open.
    mine = todo_selectors.task_get_for(people.carol, tasks["for_carol"].pk)
    assert mine.shown_account is None
    assert (
        todo_selectors.task_get_for(people.bob, tasks["acme"].pk).shown_account
        == tasks["acme"].account
    )


def test_who_may_change_a_task(people, tasks):
    # A teammate who may change the customer may close its tasks.
    todos.task_complete(actor=people.bob, task=tasks["acme"])
    assert tasks["acme"].status == TaskStatus.DONE and tasks["acme"].completed_at
    # The assignee may, without seeing the customer.
    todos.task_complete(actor=people.carol, task=tasks["for_carol"])
    # An outsider may not, nor may a teammate touch a task without an account.
    with pytest.raises(NotAllowed):
        todos.task_complete(actor=people.carol, task=tasks["acme"])
    with pytest.raises(NotAllowed):
        todos.task_reopen(actor=people.carol, task=tasks["private"])
    with pytest.raises(NotAllowed):
        todos.task_update(actor=people.bob, task=tasks["private"], title="mine now")
    todos.task_cancel(actor=people.admin, task=tasks["private"])
    assert Task.objects.get(pk=tasks["private"].pk).status == TaskStatus.CANCELLED


def test_complete_twice_writes_one_timeline_entry_and_reopen_clears_it(people, tasks):
    task = tasks["acme"]
    todos.task_complete(actor=people.alice, task=task)
    todos.task_complete(actor=people.alice, task=task)
    done = Activity.objects.filter(kind=ActivityKind.TASK, data__event="done")
    assert done.count() == 1
    todos.task_reopen(actor=people.alice, task=task)
    assert task.status == TaskStatus.OPEN and task.completed_at is None


def test_update_notifies_a_new_assignee_once_and_rearms_the_reminder(people, tasks):
    task = tasks["acme"]
    task.reminded_at = timezone.now()
    task.save()
    later = datetime(2026, 4, 1, 1, 0, tzinfo=UTC)
    todos.task_update(actor=people.alice, task=task, assignee=people.bob, remind_at=later)
    todos.task_update(actor=people.alice, task=task, assignee=people.bob, notes="see the thread")
    task.refresh_from_db()
    assert task.assignee_id == people.bob.pk and task.remind_at == later
    assert task.reminded_at is None and task.notes == "see the thread"
    assert [n.dedupe_key for n in _notices(people.bob)] == [
        f"task:{task.pk}:assigned:{people.bob.pk}"
    ]
    with pytest.raises(InvalidChange):
        todos.task_update(actor=people.alice, task=task, title="   ")


# --- My tasks, the team's ---------------------------------------------------------------


def _due(actor, title: str, due_at: datetime | None) -> Task:
    return todos.task_create(actor=actor, title=title, due_at=due_at)


@time_machine.travel(NOW, tick=False)
def test_my_tasks_groups_by_the_users_day(people):
    alice = people.alice
    _due(alice, "yesterday", NOW - timedelta(days=1))
    _due(alice, "this morning", NOW - timedelta(hours=1))  # 09:00 in Shanghai: overdue
    _due(alice, "this evening", datetime(2026, 3, 10, 10, 0, tzinfo=UTC))  # 18:00
    _due(alice, "before midnight", datetime(2026, 3, 10, 15, 30, tzinfo=UTC))  # 23:30
    _due(alice, "after midnight", datetime(2026, 3, 10, 16, 30, tzinfo=UTC))  # 00:30 tomorrow
    _due(alice, "whenever", None)
    done = _due(alice, "done on Sunday", NOW - timedelta(days=2))
    old = _due(alice, "done long ago", NOW - timedelta(days=20))
    _due(people.bob, "bob's", NOW)
    with time_machine.travel(NOW - timedelta(days=2), tick=False):
        todos.task_complete(actor=alice, task=done)
    with time_machine.travel(NOW - timedelta(days=10), tick=False):
        todos.task_complete(actor=alice, task=old)

    groups = todo_selectors.my_tasks(alice)

    titles = {key: [t.title for t in rows] for key, rows in groups.items()}
    assert titles == {
        "overdue": ["yesterday", "this morning"],
        "today": ["this evening", "before midnight"],
        "upcoming": ["after midnight", "whenever"],
        "done": ["done on Sunday"],
    }


@time_machine.travel(NOW, tick=False)
def test_today_follows_the_users_own_time_zone(people):
    carol = people.carol
    carol.time_zone = "America/New_York"  # 22:00 on Monday 9 March there
    carol.save()
    _due(carol, "23:30 Monday in New York", datetime(2026, 3, 10, 3, 30, tzinfo=UTC))
    _due(carol, "01:30 Tuesday in New York", datetime(2026, 3, 10, 5, 30, tzinfo=UTC))

    groups = todo_selectors.my_tasks(carol)

    assert [t.title for t in groups["today"]] == ["23:30 Monday in New York"]
    assert [t.title for t in groups["upcoming"]] == ["01:30 Tuesday in New York"]


def test_team_tasks_for_the_manager_of_a_team_and_its_sub_teams(people, crm):
    Team.objects.filter(name="Europe").update(manager=people.alice)
    team_ensure(name="Europe North", parent="Europe")
    dave = user_add(username="dave", email="dave@demo-trading.com", team="Europe North",
                    role="salesperson")  # fmt: skip
    forget_reach(people.alice)
    todos.task_create(actor=people.bob, title="bob's", account=crm.initech)
    todos.task_create(actor=dave, title="dave's")
    todos.task_create(actor=people.carol, title="carol's", account=crm.globex)

    team = todo_selectors.team_tasks(people.alice)

    assert {t.title for t in team} == {"bob's"}  # dave's own list stays his (no account)
    todos.task_create(actor=people.alice, title="for dave", assignee=dave, account=crm.acme)
    assert {t.title for t in todo_selectors.team_tasks(people.alice)} == {"bob's", "for dave"}
    assert todo_selectors.team_tasks(people.bob) == []  # bob leads, but manages no team
    assert todo_selectors.manages_team(people.alice) and not todo_selectors.manages_team(people.bob)


# --- Reminders ----------------------------------------------------------------------------


def test_reminders_are_sent_once_even_when_the_sweep_runs_twice(people, crm):
    soon = datetime(2026, 3, 10, 1, 30, tzinfo=UTC)
    with time_machine.travel(NOW - timedelta(hours=2), tick=False):
        due = todos.task_create(actor=people.alice, title="Call Anna", assignee=people.bob,
                                account=crm.acme, remind_at=soon, due_at=NOW)  # fmt: skip
        todos.task_create(actor=people.alice, title="Call Ben", remind_at=soon)
        later = todos.task_create(
            actor=people.alice, title="Later", remind_at=NOW + timedelta(hours=1)
        )
        closed = todos.task_create(actor=people.alice, title="Closed", remind_at=soon)
        todos.task_complete(actor=people.alice, task=closed)
    with time_machine.travel(NOW, tick=False):
        assert todos.task_reminders_send() == 2
        assert todos.task_reminders_send() == 0
    (notice,) = _notices(people.bob, "task_reminder")
    assert "Call Anna" in notice.text and "10:00" in notice.text  # due 10:00 in Shanghai
    assert [n.text for n in _notices(people.alice, "task_reminder")] == ["Reminder: Call Ben"]
    due.refresh_from_db()
    assert due.reminded_at == NOW

    # An hour later the next one is due; the periodic task sends it.
    from keyou.crm.tasks import task_reminders

    with time_machine.travel(NOW + timedelta(hours=1), tick=False):
        assert task_reminders.call_local() == 1
        assert task_reminders.call_local() == 0
    later.refresh_from_db()
    assert later.reminded_at is not None
    assert Notification.objects.filter(kind="task_reminder").count() == 3


def test_a_rule_may_leave_the_timeline_entry_to_itself(people, crm):
    task = todos.task_create(
        actor=SYSTEM, title="Greet Anna", account=crm.acme, source_key="k1", timeline=False
    )
    assert task.assignee_id == people.alice.pk
    assert not Activity.objects.filter(kind=ActivityKind.TASK).exists()
    assert Notification.objects.get(recipient=people.alice).dedupe_key == f"task:{task.pk}:assigned"
