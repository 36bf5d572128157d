"""Temporary grants, access requests, and the page-not-found page that offers to ask for access.

Views parse a form, call one service of `keyou.people.grants` and render or
redirect. Giving, approving and revoking access ask for the password again when
the login is old (`recent_auth_required`).
"""

from __future__ import annotations

import re

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from keyou.crm.selectors import NotFound
from keyou.people import grants as service
from keyou.people.access import NotAllowed
from keyou.people.services import InvalidInput
from keyou.web.grant_forms import AccessRequestForm, DecideForm, GrantForm, default_until
from keyou.web.reauth import recent_auth_required

# The account pages whose 404 offers "Request access" (ids beyond 18 digits name nothing).
ACCOUNT_PATH = re.compile(r"^/accounts/(\d{1,18})/")


# --- Grants ----------------------------------------------------------------------


def _grants_page(request: HttpRequest, form: GrantForm | None = None) -> HttpResponse:
    received, given = service.grants_given_and_received(request.user)
    allowed = service.may_grant(request.user)
    context = {
        "received": received,
        "given": given,
        "my_requests": list(service.access_requests_of(request.user)[:50]),
        "may_grant": allowed,
        "form": form or (GrantForm(initial={"until": default_until()}) if allowed else None),
        "nav": "grants",
    }
    return render(request, "web/grants/list.html", context)


@login_required
@require_GET
def grant_list(request: HttpRequest) -> HttpResponse:
    """Show the grants the user holds and gave (active and recent), and the form to give one."""
    return _grants_page(request)


@login_required
@require_http_methods(["GET", "POST"])
@recent_auth_required
def grant_create(request: HttpRequest) -> HttpResponse:
    """Give a grant (GET, after a password check, just goes back to the list)."""
    if request.method == "GET":
        return redirect("grant_list")
    if not service.may_grant(request.user):
        raise PermissionDenied
    form = GrantForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            grant = service.grant_add(
                actor=request.user,
                user=data["user"],
                accounts=form.account_refs(),
                team=data["team"],
                until=data["until"],
                edit=data["access"] == "edit",
                reason=data["reason"],
                http_request=request,
            )
        except (InvalidInput, NotAllowed, NotFound) as exc:
            form.add_error(None, str(exc))
        else:
            until = timezone.localtime(grant.expires_at).strftime("%Y-%m-%d %H:%M")
            messages.success(
                request,
                _("Access given to %(user)s until %(until)s.")
                % {"user": grant.user.get_username(), "until": until},
            )
            return redirect("grant_list")
    return _grants_page(request, form)


@login_required
@require_http_methods(["GET", "POST"])
@recent_auth_required
def grant_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    """End a grant the user gave, holds, or oversees."""
    try:
        grant = service.grant_get_for(request.user, pk)
    except NotFound:
        raise Http404 from None
    if request.method == "POST":
        try:
            service.grant_revoke(actor=request.user, grant=grant, http_request=request)
        except InvalidInput as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("The grant is revoked."))
    return redirect("grant_list")


# --- Access requests ---------------------------------------------------------------


@login_required
@require_POST
def access_request_new(request: HttpRequest) -> HttpResponse:
    """Ask for access to a customer by number; the answer never says whether it exists."""
    form = AccessRequestForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Name the customer by its number."))
        return redirect("grant_list")
    try:
        service.access_request_create(
            requester=request.user,
            account_id=form.cleaned_data["account_id"],
            reason=form.cleaned_data["reason"],
            http_request=request,
        )
    except InvalidInput as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Your request is sent. You will be notified of the answer."))
    return redirect("grant_list")


@login_required
@require_GET
def access_request_list(request: HttpRequest) -> HttpResponse:
    """The open requests this user may decide, each with approve and refuse."""
    if not service.may_grant(request.user):
        raise PermissionDenied
    rows = service.access_requests_for(request.user)
    context = {
        "rows": rows,
        "until": default_until(),
        "nav": "access_requests",
    }
    return render(request, "web/grants/requests.html", context)


@login_required
@require_http_methods(["GET", "POST"])
@recent_auth_required
def access_request_decide(request: HttpRequest, pk: int) -> HttpResponse:
    """Approve (creating a grant) or refuse an access request."""
    try:
        access_request = service.access_request_get_for(request.user, pk)
    except NotFound:
        raise Http404 from None
    if request.method == "GET":
        return redirect("access_request_list")
    form = DecideForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect("access_request_list")
    grant = form.cleaned_data["decision"] == "grant"
    try:
        service.access_request_decide(
            actor=request.user,
            request=access_request,
            grant=grant,
            until=form.cleaned_data["until"],
            edit=form.cleaned_data["edit"],
            http_request=request,
        )
    except NotFound:
        raise Http404 from None
    except (InvalidInput, NotAllowed) as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Access given.") if grant else _("Request refused."))
    return redirect("access_request_list")


# --- Page not found ------------------------------------------------------------------


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """The 404 page. On a customer's page it offers to ask for access.

    It reads only the path, never the database: a missing customer and one the
    user may not see get the same page, word for word.
    """
    context: dict = {}
    user = getattr(request, "user", None)
    match = ACCOUNT_PATH.match(request.path_info)
    if match and user is not None and user.is_authenticated:
        number = int(match.group(1))
        context["account_number"] = number
        context["request_form"] = AccessRequestForm(initial={"account_id": number})
    return render(request, "web/404.html", context, status=404)
