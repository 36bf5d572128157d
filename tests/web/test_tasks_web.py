"""Tasks, comments and leads through HTTP: my tasks, the team tab, the account and thread pages."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import time_machine
from django.urls import reverse

from keyou.crm import todos
from keyou.crm.models import Activity, ActivityKind, Lead, LeadStatus, Task, TaskStatus
from keyou.mail.models import Thread
from keyou.people.models import Notification, Team

HTMX = {"HTTP_HX_REQUEST": "true"}
NOW = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai


# --- My tasks --------------------------------------------------------------------------


@time_machine.travel(NOW, tick=False)
def test_my_tasks_page_groups_and_shows_times_in_the_users_zone(people, crm, login):
    todos.task_create(actor=people.alice, title="Late quote", due_at=NOW - timedelta(hours=3))
    todos.task_create(
        actor=people.alice, title="Call Anna", account=crm.acme,
        due_at=datetime(2026, 3, 10, 8, 0, tzinfo=UTC),
    )  # fmt: skip
    todos.task_create(actor=people.alice, title="Trade fair", due_at=NOW + timedelta(days=3))
    todos.task_create(actor=people.bob, title="bob's task")

    response = login(people.alice).get(reverse("task_list"))

    assert response.status_code == 200
    body = response.content.decode()
    overdue, today, upcoming = (
        body.index(f'id="tasks-{k}"') for k in ("overdue", "today", "upcoming")
    )
    assert overdue < body.index("Late quote") < today < body.index("Call Anna") < upcoming
    assert body.index("Trade fair") > upcoming
    assert "bob&#x27;s task" not in body and "bob's task" not in body
    assert "2026-03-10 16:00" in body  # 08:00 UTC shown in Shanghai time
    assert f'href="/accounts/{crm.acme.pk}/"' in body


def test_done_and_reopen_by_post_and_by_htmx(people, crm, login):
    task = todos.task_create(actor=people.alice, title="Send catalogue", account=crm.acme)
    client = login(people.alice)

    response = client.post(reverse("task_done", args=[task.pk]))
    assert response.status_code == 302 and response["Location"] == reverse("task_list")
    task.refresh_from_db()
    assert task.status == TaskStatus.DONE

    response = client.post(reverse("task_reopen", args=[task.pk]), **HTMX)
    assert response.status_code == 200
    fragment = response.content.decode()
    assert fragment.lstrip().startswith("<tr") and f'id="task-{task.pk}"' in fragment
    assert reverse("task_done", args=[task.pk]) in fragment
    assert f'href="/accounts/{crm.acme.pk}/"' in fragment  # the customer she may see
    assert Task.objects.get(pk=task.pk).status == TaskStatus.OPEN
    assert client.get(reverse("task_done", args=[task.pk])).status_code == 405


def test_task_ids_outside_the_scope_are_404(people, crm, login):
    task = todos.task_create(actor=people.alice, title="Acme secret plan", account=crm.acme)
    carol = login(people.carol)
    for name in ("task_edit", "task_done", "task_reopen", "task_cancel"):
        response = carol.post(reverse(name, args=[task.pk]))
        assert response.status_code == 404, name
        assert "Acme" not in response.content.decode()
    assert carol.get(reverse("task_edit", args=[task.pk])).status_code == 404
    assert Task.objects.get(pk=task.pk).status == TaskStatus.OPEN


def test_new_task_on_an_account_and_its_page(people, crm, login):
    client = login(people.alice)
    url = reverse("task_new") + f"?account={crm.acme.pk}"
    assert "Acme Trading Ltd" in client.get(url).content.decode()

    response = client.post(
        url,
        {"title": "Quote follow-up", "due_at": "2026-03-12T09:30", "assignee": people.bob.pk},
    )

    assert response.status_code == 302 and response["Location"] == f"/accounts/{crm.acme.pk}/"
    task = Task.objects.get(title="Quote follow-up")
    assert task.account_id == crm.acme.pk and task.assignee_id == people.bob.pk
    assert task.due_at == datetime(2026, 3, 12, 1, 30, tzinfo=UTC)  # typed in Shanghai time
    assert Notification.objects.filter(recipient=people.bob, kind="task").count() == 1
    page = client.get(reverse("account_detail", args=[crm.acme.pk])).content.decode()
    assert "Quote follow-up" in page and f"/tasks/new/?account={crm.acme.pk}" in page
    # outsiders cannot aim the form at acme; a salesperson may only pick herself.
    carol = login(people.carol)
    assert carol.get(url).status_code == 404
    assert carol.post(url, {"title": "x", "assignee": people.carol.pk}).status_code == 404
    response = carol.post(reverse("task_new"), {"title": "x", "assignee": people.bob.pk})
    assert response.status_code == 200 and not Task.objects.filter(title="x").exists()


def test_a_teammate_edits_an_account_task_and_the_assignee_sees_it(people, crm, login):
    task = todos.task_create(actor=people.alice, title="Old title", account=crm.acme)
    response = login(people.bob).post(
        reverse("task_edit", args=[task.pk]),
        {"title": "New title", "due_at": "", "remind_at": "2026-03-11T08:00",
         "assignee": people.alice.pk, "notes": "ring after lunch"},
    )  # fmt: skip
    assert response.status_code == 302
    task.refresh_from_db()
    assert (task.title, task.notes) == ("New title", "ring after lunch")
    assert task.remind_at == datetime(2026, 3, 11, 0, 0, tzinfo=UTC)


def test_team_tab_for_managers_only(people, crm, login):
    Team.objects.filter(name="Europe").update(manager=people.alice)
    todos.task_create(actor=people.bob, title="Bob calls Initech", account=crm.initech)
    todos.task_create(actor=people.carol, title="Carol calls Globex", account=crm.globex)

    page = login(people.alice).get(reverse("task_list") + "?tab=team").content.decode()
    assert "Bob calls Initech" in page and "Carol calls Globex" not in page
    assert "My team&#x27;s tasks" in page or "My team's tasks" in page

    bob_page = login(people.bob).get(reverse("task_list") + "?tab=team").content.decode()
    assert "Bob calls Initech" in bob_page  # his own list: no team tab for him
    assert 'href="/tasks/?tab=team"' not in bob_page


# --- Comments ----------------------------------------------------------------------------


def test_account_comment_with_mentions_reports_who_cannot_see(people, crm, login):
    client = login(people.alice)
    url = reverse("account_comment_create", args=[crm.acme.pk])

    response = client.post(url, {"body": "@bob @carol please look"}, **HTMX)

    assert response.status_code == 200
    fragment = response.content.decode()
    assert 'id="comments"' in fragment and "please look" in fragment
    assert "carol cannot see this customer and was not notified." in fragment
    assert Notification.objects.filter(kind="mention").get().recipient == people.bob

    response = client.post(url, {"body": "@carol again"})
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "carol cannot see this customer and was not notified." in page
    assert "please look" in page and "Comment by Alice" in page  # the timeline entry
    assert login(people.carol).post(url, {"body": "hi"}).status_code == 404


def test_thread_comment_form_and_post(people, crm, login, acme_mail):
    thread = Thread.objects.get(subject="Samples for the spring fair")
    client = login(people.alice)
    page = client.get(reverse("thread_detail", args=[thread.pk])).content.decode()
    assert reverse("thread_comment_create", args=[thread.pk]) in page

    response = client.post(
        reverse("thread_comment_create", args=[thread.pk]), {"body": "@bob samples are out"}
    )

    assert response.status_code == 302
    page = client.get(reverse("thread_detail", args=[thread.pk])).content.decode()
    assert "samples are out" in page
    assert Notification.objects.get(kind="mention").recipient == people.bob
    outsider = login(people.carol)
    url = reverse("thread_comment_create", args=[thread.pk])
    assert outsider.post(url, {"body": "hi"}).status_code == 404


# --- Leads --------------------------------------------------------------------------------


def _lead(account, title: str) -> Lead:
    return Lead.objects.create(title=title, account=account, owner=account.owner, team=account.team)


def test_leads_list_is_scoped_and_status_changes_go_on_the_timeline(people, crm, login):
    acme_lead = _lead(crm.acme, "Acme wants 500 panels")
    _lead(crm.globex, "Globex asks for a catalogue")

    alice = login(people.alice)
    page = alice.get(reverse("lead_list")).content.decode()
    assert "Acme wants 500 panels" in page and "Globex asks" not in page
    carol_page = login(people.carol).get(reverse("lead_list")).content.decode()
    assert "Globex asks for a catalogue" in carol_page and "Acme" not in carol_page

    response = alice.post(reverse("lead_status", args=[acme_lead.pk]), {"status": "qualified"})
    assert response.status_code == 302
    acme_lead.refresh_from_db()
    assert acme_lead.status == LeadStatus.QUALIFIED
    entry = Activity.objects.get(kind=ActivityKind.LEAD)
    assert entry.data["status"] == "qualified" and entry.data["old_status"] == "new"
    page = alice.get(reverse("lead_list") + "?status=qualified").content.decode()
    assert "Acme wants 500 panels" in page
    assert "Acme wants 500 panels" in alice.get(f"/accounts/{crm.acme.pk}/").content.decode()

    carol = login(people.carol)
    response = carol.post(reverse("lead_status", args=[acme_lead.pk]), {"status": "converted"})
    assert response.status_code == 404
    assert Lead.objects.get(pk=acme_lead.pk).status == LeadStatus.QUALIFIED


# --- Timeline entries of automation ----------------------------------------------------------


def test_timeline_renders_automation_assignment_lead_task_and_comment_entries(people, crm, login):
    def entry(kind: str, **data) -> None:
        Activity.objects.create(
            kind=kind, account=crm.acme, occurred_at=NOW, owner=people.alice, data=data
        )

    entry(ActivityKind.AUTOMATION, rule="Inquiry detection", rule_id=3,
          why=["subject contains “quotation”"], action="tagged lead")  # fmt: skip
    entry(ActivityKind.ASSIGNMENT, to="bob", rule="Europe round-robin", why=["country GB"])
    entry(ActivityKind.LEAD, lead_id=9, title="Quote for LED panels", rule="Inquiry detection")
    entry(ActivityKind.TASK, task_id=1, title="Reply within 30 minutes",
          due_at="2026-03-10T02:30:00+00:00", assignee="alice", rule="Reply SLA")  # fmt: skip
    entry(ActivityKind.COMMENT, comment_id=1, summary="looks serious", mentions=["bob"],
          cannot_see=[])  # fmt: skip

    page = login(people.alice).get(f"/accounts/{crm.acme.pk}/").content.decode()

    assert "Rule “Inquiry detection”: tagged lead" in page
    assert "subject contains “quotation”" in page
    assert "Assigned to bob" in page and "Rule: Europe round-robin" in page
    assert "New lead: Quote for LED panels" in page
    assert "Task: Reply within 30 minutes" in page and "2026-03-10 10:30" in page
    assert "looks serious" in page and "@bob" in page
