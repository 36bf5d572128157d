"""Automation rules: list, editor, order, enable, JSON import/export, dry run, run log, setup.

Every page needs the manage_rules capability. Pages that name no rule answer 403
without it (NotAllowed, from the selectors or `require`); pages that name one answer 404, as
for a rule that does not exist (like the routing, hours and people pages, and as
the URL leak test expects of every URL with an id).

The dry run and the run log speak of customers: a row about a customer (or
conversation) outside the viewer's data scope shows that it exists, not whose it is
(keyou.automation.selectors.dry_run_rows and run_rows decide).
"""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from keyou.automation import services
from keyou.automation.dryrun import DryRun, rule_dry_run
from keyou.automation.models import BusinessCalendar, Channel, RoutingRule, Rule, RunStatus
from keyou.automation.selectors import (
    dry_run_rows,
    rule_get_for,
    rule_runs,
    rules_with_run_counts,
    run_rows,
    template_rules,
)
from keyou.automation.templates import TEMPLATES
from keyou.crm.selectors import NotFound
from keyou.people.access import NotAllowed, require
from keyou.people.models import Capability
from keyou.web.forms import parse_page
from keyou.web.rule_editor import RuleEditor, rows_add
from keyou.web.rule_forms import (
    ACTIONS_PREFIX,
    CONDITIONS_PREFIX,
    ImportForm,
    SetupForm,
    trigger_describe,
)

NAV = "automation"
RUNS_PER_PAGE = 50
MAX_PAGE = 1000
DRY_RUN_DAYS = 30
MAX_DRY_RUN_DAYS = 90
MAX_IMPORT_BYTES = 2 * 1024 * 1024


def _rule_or_404(request: HttpRequest, pk: int) -> Rule:
    try:
        return rule_get_for(request.user, pk)
    except (NotFound, NotAllowed):
        raise Http404 from None


def _days(value: Any) -> int:
    try:
        days = int(value or DRY_RUN_DAYS)
    except (TypeError, ValueError):
        return DRY_RUN_DAYS
    return max(1, min(days, MAX_DRY_RUN_DAYS))


# --- the list ---------------------------------------------------------------------------


@login_required
@require_GET
def rule_list(request: HttpRequest) -> HttpResponse:
    """The rules in the order they run, with their triggers, state and last runs."""
    rows = [
        {"rule": r, "trigger": trigger_describe(r.trigger, r.trigger_after, r.schedule)}
        for r in rules_with_run_counts(request.user)  # NotAllowed is a 403
    ]
    context = {
        "rows": rows,
        "import_form": ImportForm(),
        "templates_missing": not any(r["rule"].template for r in rows),
        "nav": NAV,
    }
    return render(request, "web/rules/list.html", context)


@login_required
@require_POST
def rule_enable(request: HttpRequest, pk: int) -> HttpResponse:
    """Switch a rule on (enabled=1) or off (enabled=0)."""
    rule = _rule_or_404(request, pk)
    enabled = request.POST.get("enabled") == "1"
    services.rule_enable(actor=request.user, rule=rule, enabled=enabled)
    if enabled:
        messages.success(request, _("%(name)s is enabled.") % {"name": rule.name})
    else:
        messages.success(request, _("%(name)s is disabled.") % {"name": rule.name})
    # The editor and the dry-run page have the switch too: go back where it was pressed.
    if request.POST.get("next") == "edit":
        return redirect("rule_edit", rule.pk)
    return redirect("rule_list")


@login_required
@require_POST
def rule_move(request: HttpRequest, pk: int) -> HttpResponse:
    """Move a rule one place up (up=1) or down (up=0) in the order rules run in."""
    rule = _rule_or_404(request, pk)
    services.rule_move(actor=request.user, rule=rule, up=request.POST.get("up") == "1")
    return redirect("rule_list")


@login_required
@require_POST
def rule_delete(request: HttpRequest, pk: int) -> HttpResponse:
    """Delete a rule and its run log (the tasks it made stay)."""
    rule = _rule_or_404(request, pk)
    name = rule.name
    services.rule_delete(actor=request.user, rule=rule)
    messages.success(request, _("%(name)s is deleted.") % {"name": name})
    return redirect("rule_list")


# --- JSON export and import -------------------------------------------------------------


@login_required
@require_GET
def rule_export(request: HttpRequest) -> HttpResponse:
    """Download every rule as one JSON file (the import reads it back)."""
    document = services.rules_export(actor=request.user)  # NotAllowed is a 403
    response = JsonResponse(document, json_dumps_params={"ensure_ascii": False, "indent": 2})
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="keyou-rules-{stamp}.json"'
    return response


@login_required
@require_POST
def rule_import(request: HttpRequest) -> HttpResponse:
    """Add the rules of an exported JSON file, all or none; they arrive disabled."""
    require(request.user, Capability.MANAGE_RULES)  # before reading the file
    form = ImportForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("Choose a JSON file of rules."))
        return redirect("rule_list")
    upload = form.cleaned_data["file"]
    if upload.size > MAX_IMPORT_BYTES:
        messages.error(request, _("The file is too large for a rules file."))
        return redirect("rule_list")
    try:
        document = json.loads(upload.read().decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as exc:
        messages.error(request, _("The file is not valid JSON: %(error)s") % {"error": exc})
        return redirect("rule_list")
    try:
        created = services.rules_import(actor=request.user, document=document)
    except services.InvalidRule as exc:
        messages.error(request, exc.localized())
    else:
        messages.success(
            request,
            ngettext(
                "%(count)d rule imported; it is disabled until you enable it.",
                "%(count)d rules imported; they are disabled until you enable them.",
                len(created),
            )
            % {"count": len(created)},
        )
    return redirect("rule_list")


# --- the editor -----------------------------------------------------------------------


def _editor_page(request: HttpRequest, editor: RuleEditor, rule: Rule | None) -> HttpResponse:
    context = {
        "editor": editor,
        "form": editor.form,
        "rule": rule,
        "conditions": editor.conditions,
        "actions": editor.actions,
        "nav": NAV,
    }
    return render(request, "web/rules/form.html", context)


def _editor_post(request: HttpRequest, rule: Rule | None) -> HttpResponse:
    """Add a row, or save (and perhaps dry-run) the rule the page says."""
    action = request.POST.get("action", "save")
    data = request.POST.copy()
    if action == "add_condition":
        data = rows_add(data, CONDITIONS_PREFIX)
    elif action == "add_action":
        data = rows_add(data, ACTIONS_PREFIX)
    editor = RuleEditor(data, rule=rule)
    if action not in ("save", "save_dry_run"):
        return _editor_page(request, editor, rule)  # back from a dry run, or one more row
    values = editor.rule_data()
    if values is not None:
        try:
            saved = services.rule_save(actor=request.user, data=values, rule=rule)
        except services.InvalidRule as exc:
            editor.errors_show(services.rule_errors(values), exc.localized())
        else:
            messages.success(request, _("The rule %(name)s is saved.") % {"name": saved.name})
            if action == "save_dry_run":
                return redirect("rule_dry_run", saved.pk)
            return redirect("rule_list")
    return _editor_page(request, editor, rule)


@login_required
@require_http_methods(["GET", "POST"])
def rule_create(request: HttpRequest) -> HttpResponse:
    """Write a new rule (it starts disabled: dry-run it, then enable it)."""
    require(request.user, Capability.MANAGE_RULES)  # before any form
    if request.method == "POST":
        return _editor_post(request, None)
    return _editor_page(request, RuleEditor(), None)


@login_required
@require_http_methods(["GET", "POST"])
def rule_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Change a rule."""
    rule = _rule_or_404(request, pk)
    if request.method == "POST":
        return _editor_post(request, rule)
    return _editor_page(request, RuleEditor(rule=rule), rule)


# --- dry run ----------------------------------------------------------------------------


def _dry_run_page(
    request: HttpRequest, result: DryRun, days: int, *, saved: Rule | None, carry: list | None
) -> HttpResponse:
    rows = dry_run_rows(request.user, result)
    context = {
        "result": result,
        "rule": result.rule,
        "saved": saved,
        "trigger": trigger_describe(
            result.rule.trigger, result.rule.trigger_after, result.rule.schedule
        ),
        "rows": rows,
        "hidden": sum(1 for r in rows if not r.visible),
        "days": days,
        "day_choices": sorted({7, 30, 60, 90, days}),
        "carry": carry,
        "nav": NAV,
    }
    return render(request, "web/rules/dry_run.html", context)


@login_required
@require_GET
def rule_dry_run_view(request: HttpRequest, pk: int) -> HttpResponse:
    """What would this rule have done over the last N days (30, at most 90)? Changes nothing."""
    rule = _rule_or_404(request, pk)
    days = _days(request.GET.get("days"))
    return _dry_run_page(request, rule_dry_run(rule, days=days), days, saved=rule, carry=None)


@login_required
@require_POST
def rule_dry_run_unsaved(request: HttpRequest) -> HttpResponse:
    """Dry-run the rule the editor says, without saving it."""
    require(request.user, Capability.MANAGE_RULES)
    pk = request.POST.get("rule_pk") or ""
    rule = _rule_or_404(request, int(pk)) if pk.isdigit() and len(pk) < 19 else None
    editor = RuleEditor(request.POST.copy(), rule=rule)
    values = editor.rule_data()
    problems = services.rule_errors(values) if values is not None else []
    if values is None or problems:
        if problems:
            editor.errors_show(
                problems,
                _("The rule is not valid yet: %(errors)s") % {"errors": "; ".join(problems)},
            )
        return _editor_page(request, editor, rule)
    draft = Rule(**values)  # never saved
    days = _days(request.POST.get("days"))
    # The page carries the form along, so "back to the editor" and "save" keep it.
    carry = [
        (key, value)
        for key, values_ in editor.data.lists()
        if key not in ("csrfmiddlewaretoken", "action", "days")
        for value in values_
    ]
    return _dry_run_page(request, rule_dry_run(draft, days=days), days, saved=rule, carry=carry)


# --- the run log -----------------------------------------------------------------------


def _runs_page(request: HttpRequest, rule: Rule | None) -> HttpResponse:
    status = request.GET.get("status") or ""
    if status not in RunStatus.values:
        status = ""
    runs = rule_runs(request.user, rule, status=status)  # NotAllowed is a 403
    page = min(parse_page(request.GET.get("page")), MAX_PAGE)
    offset = (page - 1) * RUNS_PER_PAGE
    found = list(runs[offset : offset + RUNS_PER_PAGE + 1])
    has_next = len(found) > RUNS_PER_PAGE and page < MAX_PAGE
    context = {
        "rule": rule,
        "rows": run_rows(request.user, found[:RUNS_PER_PAGE]),
        "status": status,
        "statuses": RunStatus.choices,
        "page": page,
        "has_next": has_next,
        "has_previous": page > 1,
        "nav": NAV,
    }
    return render(request, "web/rules/runs.html", context)


@login_required
@require_GET
def run_list(request: HttpRequest) -> HttpResponse:
    """The run log of every rule, newest first, 50 a page, filtered by status."""
    return _runs_page(request, None)


@login_required
@require_GET
def rule_run_list(request: HttpRequest, pk: int) -> HttpResponse:
    """The run log of one rule."""
    return _runs_page(request, _rule_or_404(request, pk))


# --- the first-run checklist -------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def automation_setup(request: HttpRequest) -> HttpResponse:
    """The first-run checklist: built-in rule templates, business hours, routing, channels."""
    by_template = template_rules(request.user)  # NotAllowed is a 403
    # A template counts as enabled when any of its rules is.
    installed = {slug: any(r.enabled for r in rules) for slug, rules in by_template.items()}
    form = SetupForm(request.POST or None, installed=installed)
    if request.method == "POST" and form.is_valid():
        try:
            made = services.templates_install(
                actor=request.user,
                choices=form.choices(),
                support_team=form.cleaned_data["support_team"],
            )
        except services.InvalidRule as exc:
            form.add_error(None, exc.localized())
        else:
            messages.success(
                request,
                ngettext("%(count)d rule installed.", "%(count)d rules installed.", len(made))
                % {"count": len(made)},
            )
            return redirect("automation_setup")
    templates = [
        {"template": t, "field": form[t.slug], "rules": by_template.get(t.slug, [])}
        for t in TEMPLATES
    ]
    # Whether the organisation has done the other steps, each on its own page.
    steps = [
        {
            "label": _("Business hours"),
            "help": _("Reply deadlines count working time only."),
            "path": reverse("hours_list"),
            "done": BusinessCalendar.objects.exists(),
        },
        {
            "label": _("Routing rules for shared mailboxes"),
            "help": _("Who takes a new inquiry to sales@ and the like."),
            "path": reverse("routing_list"),
            "done": RoutingRule.objects.exists(),
        },
        {
            "label": _("Chat channels"),
            "help": _("WeCom, DingTalk or Feishu group robots that get copies of notices."),
            "path": reverse("channel_list"),
            "done": Channel.objects.exists(),
        },
    ]
    context = {"form": form, "templates": templates, "steps": steps, "nav": NAV}
    return render(request, "web/rules/setup.html", context)
