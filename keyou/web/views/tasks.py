"""Tasks: "my tasks" (overdue, today, upcoming, done lately), the team's, and one task's page.

Views parse a form, call one service of `keyou.crm.todos` or selector of
`keyou.crm.todo_selectors` and render.
Completing or reopening from a list answers htmx with the task's row, else
redirects back.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from keyou.crm import todo_selectors, todos
from keyou.crm.leads import account_leads
from keyou.crm.models import Account, LeadStatus, Task
from keyou.crm.selectors import NotFound, account_get_for
from keyou.crm.services import InvalidChange
from keyou.people.access import Actor
from keyou.web.task_forms import TaskForm
from keyou.web.views.comments import comments_context

PARTIALS = "web/tasks/partials/"


def _task_or_404(request: HttpRequest, pk: int) -> Task:
    try:
        return todo_selectors.task_get_for(request.user, pk)
    except NotFound:
        raise Http404 from None


def safe_next(request: HttpRequest) -> str:
    """Return the `next` the form sent when it is one of our own pages, else ""."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return ""


def redirect_back(request: HttpRequest, default: str) -> HttpResponse:
    """Redirect to the `next` the form sent when it is one of our own pages, else DEFAULT."""
    return redirect(safe_next(request) or default)


@login_required
@require_GET
def task_list(request: HttpRequest) -> HttpResponse:
    """Show the user's open tasks by due time and those done lately; managers get a team tab."""
    manages = todo_selectors.manages_team(request.user)
    tab = "team" if request.GET.get("tab") == "team" and manages else "mine"
    context = {"tab": tab, "manages_team": manages, "now": timezone.now(), "nav": "tasks"}
    if tab == "team":
        context["team_tasks"] = todo_selectors.team_tasks(request.user)
    else:
        groups = todo_selectors.my_tasks(request.user)
        context["groups"] = [
            ("overdue", _("Overdue"), groups["overdue"]),
            ("today", _("Today"), groups["today"]),
            ("upcoming", _("Upcoming"), groups["upcoming"]),
            ("done", _("Done recently"), groups["done"]),
        ]
        context["open_count"] = sum(len(groups[k]) for k in ("overdue", "today", "upcoming"))
    return render(request, "web/tasks/list.html", context)


def _account_from_query(request: HttpRequest) -> Account | None:
    ref = request.GET.get("account", "").strip()
    if not ref:
        return None
    if not ref.isdigit() or len(ref) > 18:
        raise Http404
    try:
        return account_get_for(request.user, int(ref), write=True)
    except NotFound:
        raise Http404 from None


@login_required
@require_http_methods(["GET", "POST"])
def task_new(request: HttpRequest) -> HttpResponse:
    """Create a task, for the user or (managers) a colleague, optionally on `?account=<id>`."""
    account = _account_from_query(request)
    if request.method == "POST":
        form = TaskForm(request.POST, actor=request.user)
        if form.is_valid():
            data = form.cleaned_data
            try:
                todos.task_create(
                    actor=request.user,
                    title=data["title"],
                    assignee=data["assignee"],
                    due_at=data["due_at"],
                    remind_at=data["remind_at"],
                    account=account,
                    notes=data["notes"],
                )
            except InvalidChange as exc:
                form.add_error(None, exc.localized())
            else:
                messages.success(request, _("Task added."))
                if account is not None:
                    return redirect("account_detail", pk=account.pk)
                return redirect("task_list")
    else:
        form = TaskForm(actor=request.user, initial={"assignee": request.user.pk})
    action = reverse("task_new") + (f"?account={account.pk}" if account else "")
    context = {"form": form, "account": account, "action": action, "nav": "tasks"}
    return render(request, "web/tasks/form.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def task_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Show a task; those who may change it edit its title, times, assignee and notes."""
    task = _task_or_404(request, pk)
    may_change = todo_selectors.task_may_change(request.user, task)
    if request.method == "POST":
        if not may_change:
            raise PermissionDenied
        form = TaskForm(request.POST, actor=request.user, task=task)
        if form.is_valid():
            data = form.cleaned_data
            try:
                todos.task_update(
                    actor=request.user,
                    task=task,
                    title=data["title"],
                    due_at=data["due_at"],
                    remind_at=data["remind_at"],
                    assignee=data["assignee"],
                    notes=data["notes"],
                )
            except InvalidChange as exc:
                form.add_error(None, exc.localized())
            else:
                messages.success(request, _("Saved."))
                return redirect("task_edit", pk=task.pk)
    else:
        form = TaskForm(
            actor=request.user,
            task=task,
            initial={
                "title": task.title,
                "due_at": task.due_at,
                "remind_at": task.remind_at,
                "assignee": task.assignee_id,
                "notes": task.notes,
            },
        )
    context = {"task": task, "form": form, "may_change": may_change, "nav": "tasks"}
    return render(request, "web/tasks/detail.html", context)


def _status_changed(request: HttpRequest, task: Task) -> HttpResponse:
    if getattr(request, "htmx", False):
        # TASK came from task_get_for, so `shown_account` is set. The swapped row's forms
        # come back to where the first one did, not to this URL.
        context = {"task": task, "now": timezone.now(), "next": safe_next(request)}
        return render(request, PARTIALS + "task_row.html", context)
    return redirect_back(request, reverse("task_list"))


def _change(request: HttpRequest, pk: int, service) -> HttpResponse:
    task = _task_or_404(request, pk)
    service(actor=request.user, task=task)  # NotAllowed is a 403
    return _status_changed(request, task)


@login_required
@require_POST
def task_done(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark a task done."""
    return _change(request, pk, todos.task_complete)


@login_required
@require_POST
def task_reopen(request: HttpRequest, pk: int) -> HttpResponse:
    """Open a done or cancelled task again."""
    return _change(request, pk, todos.task_reopen)


@login_required
@require_POST
def task_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    """Cancel a task nobody needs to do any more."""
    return _change(request, pk, todos.task_cancel)


def account_panels(actor: Actor, account: Account) -> dict:
    """Return what the account page shows of tasks, comments and leads (ACCOUNT is visible)."""
    return {
        "open_tasks": todo_selectors.account_tasks(actor, account),
        "leads": account_leads(actor, account),
        "statuses": LeadStatus.choices,
        "now": timezone.now(),
        **comments_context(actor, account=account),
    }
