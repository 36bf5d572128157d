"""People pages: the team tree, users, teams and roles, and assigning an account.

Managing the organisation needs the manage_users capability: a page that names
no record answers 403 without it, a page that names a user, team or role 404
(the same as a record that does not exist). Saving a user or a role asks for
the password again when the login is old. The services in keyou.people decide
what is allowed and audit every change.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from keyou.crm import services as crm_services
from keyou.crm.selectors import NotFound, account_get_for
from keyou.people import services
from keyou.people.access import can, forget_reach
from keyou.people.directory import roles_with_counts, team_tree_flat
from keyou.people.models import Capability, Organization, Role, Team, User
from keyou.people.roles import DEFAULT_ROLE, role_of
from keyou.web import people_forms as forms
from keyou.web.reauth import recent_auth_required

NAV = "people"


def _managers_only(*, names_record: bool) -> Callable:
    """Let only users with manage_users in: 404 on a page naming a record, else 403."""

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not can(request.user, Capability.MANAGE_USERS):
                raise Http404 if names_record else PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorate


def _reauth_on_post(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Ask for the password again (if the login is old) before a change, not to look."""
    guarded = recent_auth_required(view)

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.method == "POST":
            return guarded(request, *args, **kwargs)
        return view(request, *args, **kwargs)

    return wrapped


def _apply(form, change: Callable, **kwargs) -> Any:
    """Run the service CHANGE; turn its InvalidInput into a form error (and return None)."""
    try:
        return change(**kwargs)
    except services.InvalidInput as exc:
        form.add_error(None, exc.localized())
    return None


# --- The tree -----------------------------------------------------------------------


@login_required
@_managers_only(names_record=False)
@require_http_methods(["GET"])
def people_tree(request: HttpRequest) -> HttpResponse:
    """The team tree (company → department → team) with each team's manager and members."""
    nodes, without_team = team_tree_flat()
    context = {
        "organization": Organization.get(),
        "nodes": nodes,
        "without_team": without_team,
        "nav": NAV,
    }
    return render(request, "web/people/tree.html", context)


# --- Users ----------------------------------------------------------------------------


@login_required
@_managers_only(names_record=False)
@_reauth_on_post
@require_http_methods(["GET", "POST"])
def user_create(request: HttpRequest) -> HttpResponse:
    """Add a user: username, email, name, team, role, regions and an initial password."""
    form = forms.UserCreateForm(request.POST or None, initial={"role": _default_role()})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        user = _apply(
            form,
            services.user_add,
            actor=request.user,
            username=data["username"],
            email=data["email"],
            first_name=data["first_name"],
            last_name=data["last_name"],
            team=data["team"].name if data["team"] else None,
            role=data["role"].slug,
            regions=data["regions"],
            password=data["password"],
        )
        if user is not None:
            messages.success(request, _("%(user)s was added.") % {"user": user.username})
            return redirect("people_tree")
    return render(request, "web/people/user_form.html", {"form": form, "nav": NAV})


def _default_role() -> Role | None:
    return Role.objects.filter(slug=DEFAULT_ROLE).first()


@login_required
@_managers_only(names_record=True)
@_reauth_on_post
@require_http_methods(["GET", "POST"])
def user_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Change a user's team, role, regions, active flag, email and name."""
    person = get_object_or_404(User, pk=pk)
    initial = {
        "email": person.email,
        "first_name": person.first_name,
        "last_name": person.last_name,
        "team": person.team_id,
        "role": role_of(person).pk,
        "regions": person.regions,
        "is_active": person.is_active,
    }
    form = forms.UserEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        changed = _apply(
            form,
            services.user_update,
            actor=request.user,
            user=person,
            email=data["email"],
            first_name=data["first_name"],
            last_name=data["last_name"],
            team=data["team"],
            role=data["role"],
            regions=data["regions"],
            is_active=data["is_active"],
        )
        if changed is not None:
            messages.success(request, _("Saved."))
            return redirect("people_tree")
        person.refresh_from_db()  # the refused change left the object half-changed
    context = {"form": form, "person": person, "nav": NAV}
    return render(request, "web/people/user_form.html", context)


# --- Teams ----------------------------------------------------------------------------


@login_required
@_managers_only(names_record=False)
@require_http_methods(["GET", "POST"])
def team_create(request: HttpRequest) -> HttpResponse:
    """Add a team: its name, the team it belongs to and its manager."""
    form = forms.TeamForm(request.POST or None, initial={"parent": request.GET.get("parent")})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        team = _apply(
            form,
            services.team_add,
            actor=request.user,
            name=data["name"],
            parent=data["parent"],
            manager=data["manager"],
        )
        if team is not None:
            messages.success(request, _("Team %(team)s was added.") % {"team": team.name})
            return redirect("people_tree")
    return render(request, "web/people/team_form.html", {"form": form, "nav": NAV})


@login_required
@_managers_only(names_record=True)
@require_http_methods(["GET", "POST"])
def team_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Rename a team, move it in the tree or change its manager."""
    team = get_object_or_404(Team, pk=pk)
    initial = {"name": team.name, "parent": team.parent_id, "manager": team.manager_id}
    form = forms.TeamForm(request.POST or None, initial=initial, team=team)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        changed = _apply(
            form,
            services.team_update,
            actor=request.user,
            team=team,
            name=data["name"],
            parent=data["parent"],
            manager=data["manager"],
        )
        if changed is not None:
            messages.success(request, _("Saved."))
            return redirect("people_tree")
        team.refresh_from_db()
    context = {"form": form, "team": team, "nav": NAV}
    return render(request, "web/people/team_form.html", context)


# --- Roles ----------------------------------------------------------------------------


@login_required
@_managers_only(names_record=False)
@require_http_methods(["GET"])
def role_list(request: HttpRequest) -> HttpResponse:
    """Every role: its data scope, region flag and capabilities as a matrix."""
    roles = roles_with_counts()
    matrix = [
        {"label": label, "cells": [r.allows(value) for r in roles]}
        for value, label in Capability.choices
    ]
    context = {"roles": roles, "matrix": matrix, "nav": NAV}
    return render(request, "web/people/roles.html", context)


def _role_form_page(request: HttpRequest, role: Role | None) -> HttpResponse:
    initial = {"scope": "own"}
    if role is not None:
        initial = {
            "slug": role.slug,
            "name": role.name,
            "description": role.description,
            "capabilities": list(role.capabilities or []),
            "scope": role.scope,
            "by_region": role.by_region,
        }
    deleting = request.method == "POST" and role is not None and "delete" in request.POST
    form = forms.RoleForm(None if deleting else (request.POST or None), initial=initial, role=role)
    if deleting:
        try:
            services.role_delete(actor=request.user, role=role)
        except services.InvalidInput as exc:
            form.add_error(None, exc.localized())
        else:
            messages.success(request, _("The role was deleted."))
            return redirect("people_role_list")
    elif request.method == "POST" and form.is_valid():
        saved = _apply(form, services.role_save, actor=request.user, role=role, **form.cleaned_data)
        if saved is not None:
            messages.success(request, _("Saved."))
            return redirect("people_role_list")
        if role is not None:
            role.refresh_from_db()
    users = User.objects.filter(role=role).order_by("username") if role else User.objects.none()
    context = {"form": form, "role": role, "users": users, "nav": NAV}
    return render(request, "web/people/role_form.html", context)


@login_required
@_managers_only(names_record=False)
@_reauth_on_post
@require_http_methods(["GET", "POST"])
def role_create(request: HttpRequest) -> HttpResponse:
    """Add a role: a code, a name, capabilities, a data scope."""
    return _role_form_page(request, None)


@login_required
@_managers_only(names_record=True)
@_reauth_on_post
@require_http_methods(["GET", "POST"])
def role_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Change a role's capabilities, data scope and region flag (or delete an unused one)."""
    return _role_form_page(request, get_object_or_404(Role, pk=pk))


# --- Assigning an account ---------------------------------------------------------------


@login_required
@require_POST
def account_assign(request: HttpRequest, pk: int) -> HttpResponse:
    """Give the account (and its contacts) to another user: needs the assign capability."""
    try:
        account = account_get_for(request.user, pk)  # out of scope: 404, before anything else
    except NotFound:
        raise Http404 from None
    if not can(request.user, Capability.ASSIGN):
        raise PermissionDenied
    form = forms.AssignForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose the new owner among the active users."))
        return redirect("account_detail", pk=account.pk)
    owner = form.cleaned_data["owner"]
    try:
        crm_services.accounts_assign(actor=request.user, account=account, owner=owner)
    except crm_services.InvalidChange as exc:
        messages.error(request, exc.localized())
    except NotFound:
        raise Http404 from None
    else:
        messages.success(
            request,
            _("%(account)s now belongs to %(owner)s.") % {"account": account.name, "owner": owner},
        )
        if not _still_sees(request.user, account.pk):  # given away out of one's own scope
            return redirect("account_list")
    return redirect("account_detail", pk=account.pk)


def _still_sees(user: User, account_id: int) -> bool:
    forget_reach(user)
    try:
        account_get_for(user, account_id)
    except NotFound:
        return False
    return True
