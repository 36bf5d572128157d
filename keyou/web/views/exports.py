"""Exports: the list of exports made, and the downloads (CSV or XLSX) of customer data.

Each download asks for the password again when the login is old, then calls
`export_build`, which scopes, limits, watermarks and audits the file. An account
the user may not see is a 404 before anything else; a role without the export
capability gets a 403 (the refusal is audited by the service).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseForbidden
from django.shortcuts import render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from keyou.audit import exports
from keyou.audit.selectors import exports_visible_to
from keyou.crm.selectors import NotFound
from keyou.people.access import NotAllowed
from keyou.web.reauth import recent_auth_required

EXPORTS_PER_PAGE = 50


@login_required
@require_GET
def export_list(request: HttpRequest) -> HttpResponse:
    """List the user's exports (everyone's for admins and auditors), newest first."""
    page = Paginator(exports_visible_to(request.user), EXPORTS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(request, "web/exports/list.html", {"page": page, "nav": "exports"})


def _download(
    request: HttpRequest, kind: str, file_format: str, params: Mapping[str, Any]
) -> HttpResponse:
    try:
        result = exports.export_build(
            request.user, kind, file_format, params=params, request=request
        )
    except NotFound:
        raise Http404 from None
    except NotAllowed:
        return export_refused()
    return export_file(result)


def export_refused() -> HttpResponse:
    """The answer to an export the role does not allow (answered, not raised: the
    refusal's audit entry is kept whatever wraps the request)."""
    return HttpResponseForbidden(
        _("Your role does not allow exports. Ask an admin if you need one."),
        content_type="text/plain; charset=utf-8",
    )


def export_file(result: exports.ExportResult) -> HttpResponse:
    """The export RESULT as a download that no cache keeps."""
    response = HttpResponse(result.content, content_type=result.content_type)
    response["Content-Disposition"] = content_disposition_header(True, result.filename)
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_GET
@recent_auth_required
def accounts_export(request: HttpRequest, file_format: str) -> HttpResponse:
    """Download the accounts the user may see, filtered by the accounts list's query string."""
    return _download(request, "accounts", file_format, request.GET)


@login_required
@require_GET
@recent_auth_required
def contacts_export(request: HttpRequest, file_format: str) -> HttpResponse:
    """Download the contacts of the accounts the user may see."""
    return _download(request, "contacts", file_format, {})


@login_required
@require_GET
@recent_auth_required
def account_timeline_export(request: HttpRequest, pk: int, file_format: str) -> HttpResponse:
    """Download one account's timeline (404 when the user may not see the account)."""
    return _download(request, "timeline", file_format, {"account": pk})
