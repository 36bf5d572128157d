"""The audit log, for users whose role may view it (403 for the others)."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from keyou.audit.models import AuditEntry
from keyou.audit.selectors import audit_entries
from keyou.crm.selectors import accounts_visible_to
from keyou.web.forms import parse_page
from keyou.web.grant_forms import AuditFilterForm

PER_PAGE = 50
MAX_PAGE = 1000  # deep offsets get slow; narrow the filters instead
SUMMARY_CHARS = 120


@dataclass(frozen=True)
class AuditRow:
    entry: AuditEntry
    account_name: str  # set when the entry names an account the viewer may see
    summary: str


def data_summary(data: dict) -> str:
    """Return DATA as one short line: "key=value, key=value…"."""
    parts = []
    for key, value in (data or {}).items():
        if isinstance(value, list):
            value = ",".join(str(v) for v in value)
        parts.append(f"{key}={value}")
    text = ", ".join(parts)
    return text if len(text) <= SUMMARY_CHARS else text[: SUMMARY_CHARS - 1] + "…"


@login_required
@require_GET
def audit_log(request: HttpRequest) -> HttpResponse:
    """Filter and page the audit log, newest first, 50 a page; times in the viewer's zone."""
    form = AuditFilterForm(request.GET)
    form.is_valid()  # invalid fields are shown as errors and left out of the filters
    entries = audit_entries(request.user, **form.filters())  # NotAllowed is a 403
    page = min(parse_page(request.GET.get("page")), MAX_PAGE)
    offset = (page - 1) * PER_PAGE
    found = list(entries[offset : offset + PER_PAGE + 1])
    has_next = len(found) > PER_PAGE and page < MAX_PAGE
    found = found[:PER_PAGE]
    account_ids = {
        int(e.object_id) for e in found if e.object_type == "account" and e.object_id.isdigit()
    }
    names = dict(
        accounts_visible_to(request.user).filter(pk__in=account_ids).values_list("pk", "name")
    )
    rows = [
        AuditRow(
            entry=e,
            account_name=names.get(int(e.object_id), "")
            if e.object_type == "account" and e.object_id.isdigit()
            else "",
            summary=data_summary(e.data),
        )
        for e in found
    ]
    context = {
        "form": form,
        "rows": rows,
        "page": page,
        "has_next": has_next,
        "has_previous": page > 1,
        "nav": "audit",
    }
    return render(request, "web/grants/audit.html", context)
