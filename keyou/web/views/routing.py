"""Routing rules of shared mailboxes: list, add, change, enable, delete, and a test.

Every page needs the manage_rules capability: 403 without it on pages that name no
rule, 404 on those that do (as for a rule that does not exist, like the people
pages). The test form routes a made-up inquiry without changing anything.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from keyou.automation import routing_rules as service
from keyou.automation.models import RoutingRule
from keyou.automation.routing import Route
from keyou.people.access import NotAllowed, require
from keyou.people.models import Capability
from keyou.people.services import InvalidInput
from keyou.web.routing_forms import RoutingRuleForm, RoutingTestForm

NAV = "routing"


def _rule_or_404(request: HttpRequest, pk: int) -> RoutingRule:
    try:
        return service.routing_rule_get_for(request.user, pk)
    except (RoutingRule.DoesNotExist, NotAllowed):
        raise Http404 from None


def _save(
    request: HttpRequest, form: RoutingRuleForm, rule: RoutingRule | None
) -> RoutingRule | None:
    data = form.cleaned_data
    try:
        return service.routing_rule_save(
            actor=request.user,
            rule=rule,
            name=data["name"],
            position=data["position"],
            enabled=data["enabled"],
            mailbox=data["mailbox"],
            keywords=data["keywords"],
            countries=data["countries"],
            languages=data["languages"],
            team=data["team"],
            strategy=data["strategy"],
            user=data["user"],
        )
    except InvalidInput as exc:
        form.add_error(None, exc.localized())
        return None


def _list_page(
    request: HttpRequest,
    test_form: RoutingTestForm | None = None,
    route: Route | None = None,
    tried: bool = False,
) -> HttpResponse:
    rules = list(service.routing_rules_for(request.user))
    context = {
        "rules": rules,
        "test_form": test_form or RoutingTestForm(),
        "route": route,
        "tried": tried,
        "nav": NAV,
    }
    if request.htmx and tried:
        return render(request, "web/routing/partials/test_result.html", context)
    return render(request, "web/routing/list.html", context)


@login_required
@require_GET
def routing_list(request: HttpRequest) -> HttpResponse:
    """The routing rules in order (first match wins), with the test form."""
    return _list_page(request)


@login_required
@require_POST
def routing_test(request: HttpRequest) -> HttpResponse:
    """Show where a made-up inquiry would go, and why; change nothing."""
    require(request.user, Capability.MANAGE_RULES)
    form = RoutingTestForm(request.POST)
    route = None
    if form.is_valid():
        data = form.cleaned_data
        route = service.routing_preview(
            actor=request.user,
            mailbox=data["mailbox"],
            sender=data["sender"],
            subject=data["subject"],
            text=data["text"],
        )
    return _list_page(request, form, route, tried=form.is_valid())


@login_required
@require_http_methods(["GET", "POST"])
def routing_create(request: HttpRequest) -> HttpResponse:
    """Add a routing rule (last in the order unless told otherwise)."""
    require(request.user, Capability.MANAGE_RULES)  # before any form
    form = RoutingRuleForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        rule = _save(request, form, None)
        if rule is not None:
            messages.success(request, _("The routing rule is saved."))
            return redirect("routing_list")
    return render(request, "web/routing/form.html", {"form": form, "nav": NAV})


@login_required
@require_http_methods(["GET", "POST"])
def routing_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Change a routing rule."""
    rule = _rule_or_404(request, pk)
    form = RoutingRuleForm(request.POST or None, initial=RoutingRuleForm.initial_for(rule))
    if request.method == "POST" and form.is_valid() and _save(request, form, rule):
        messages.success(request, _("The routing rule is saved."))
        return redirect("routing_list")
    return render(request, "web/routing/form.html", {"form": form, "rule": rule, "nav": NAV})


@login_required
@require_POST
def routing_toggle(request: HttpRequest, pk: int) -> HttpResponse:
    """Turn a routing rule on or off."""
    rule = _rule_or_404(request, pk)
    rule = service.routing_rule_set_enabled(actor=request.user, rule=rule, enabled=not rule.enabled)
    if rule.enabled:
        messages.success(request, _("%(name)s is enabled.") % {"name": rule.name})
    else:
        messages.success(request, _("%(name)s is disabled.") % {"name": rule.name})
    return redirect("routing_list")


@login_required
@require_POST
def routing_delete(request: HttpRequest, pk: int) -> HttpResponse:
    """Remove a routing rule."""
    rule = _rule_or_404(request, pk)
    service.routing_rule_delete(actor=request.user, rule=rule)
    messages.success(request, _("The routing rule is removed."))
    return redirect("routing_list")
