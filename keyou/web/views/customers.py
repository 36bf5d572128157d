"""Customers made by hand: the new-account form, the live duplicate check, the import.

The duplicate check (查重) shows who owns a match without revealing what the user may
not see: an account outside their scope is "an account owned by <name> (team <team>)",
with a button to request access, never its name or contacts. The form runs the same
check on submit, so it works without JavaScript; htmx only shows the matches earlier.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from keyou.crm.customers import DuplicateFound, account_create, duplicate_mode
from keyou.crm.duplicates import duplicates_find
from keyou.crm.imports import ImportFileError, accounts_import, import_table_read
from keyou.crm.services import InvalidChange
from keyou.people.access import require
from keyou.people.models import Capability
from keyou.web.customer_forms import (
    AccountCreateForm,
    ImportConfirmForm,
    ImportUploadForm,
    split_values,
)

TEMPLATES = "web/customers/"
PARTIALS = "web/customers/partials/"
# The live check answers for at most this many typed values of each kind.
_MAX_VALUES = 10
# Rows a file may hold on the web: each row takes ~10 ms to check and create, twice
# (preview and import), inside one request. The command line takes 5,000.
WEB_IMPORT_MAX_ROWS = 1000


@login_required
@require_http_methods(["GET", "POST"])
def account_new(request: HttpRequest) -> HttpResponse:
    """Create an account; a possible duplicate sends the form back with the matches."""
    require(request.user, Capability.CREATE_CUSTOMERS)
    context: dict = {"nav": "customers", "mode": duplicate_mode()}
    if request.method == "POST":
        form = AccountCreateForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                account = account_create(
                    actor=request.user,
                    name=data["name"],
                    domains=split_values(data["domain"]),
                    country=data["country"],
                    source=data["source"],
                    lifecycle=data["lifecycle"],
                    tier=data["tier"],
                    contact=form.contact(),
                    confirm_duplicates=data["confirm_duplicates"],
                )
            except DuplicateFound as exc:
                context.update(matches=exc.matches, blocking=exc.blocking, checked=True)
            except InvalidChange as exc:
                form.add_error(None, exc.localized())
            else:
                messages.success(request, _("Customer created."))
                return redirect("account_detail", pk=account.pk)
    else:
        form = AccountCreateForm()
    context["form"] = form
    return render(request, TEMPLATES + "new.html", context)


@login_required
@require_GET
def duplicate_check(request: HttpRequest) -> HttpResponse:
    """Return the matches for ?name=&domain=&email=&phone=&country= as an htmx fragment."""
    require(request.user, Capability.CREATE_CUSTOMERS)
    query = request.GET

    def values(key: str) -> list[str]:
        typed = [v for raw in query.getlist(key) for v in split_values(raw[:1000])]
        return typed[:_MAX_VALUES]

    name = query.get("name", "").strip()[:255]
    matches = duplicates_find(
        request.user,
        name=name,
        domains=values("domain"),
        emails=values("email"),
        phones=[p.strip() for p in query.getlist("phone") if p.strip()][:_MAX_VALUES],
        country=query.get("country", "").strip()[:2],
    )
    context = {"matches": matches, "checked": True, "mode": duplicate_mode(), "live": True}
    return render(request, PARTIALS + "matches.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def account_import(request: HttpRequest) -> HttpResponse:
    """Upload a CSV or XLSX file, preview what it would do (a dry run), then import it."""
    require(request.user, Capability.CREATE_CUSTOMERS)
    context: dict = {
        "nav": "customers",
        "mode": duplicate_mode(),
        "max_rows": WEB_IMPORT_MAX_ROWS,
    }
    upload = ImportUploadForm()
    if request.method == "POST" and "payload" in request.POST:
        confirm = ImportConfirmForm(request.POST)
        carried = confirm.table_for(request.user.pk) if confirm.is_valid() else None
        if carried is None:
            messages.error(request, _("The preview has expired. Upload the file again."))
            return redirect("account_import")
        table, filename = carried
        report = accounts_import(
            actor=request.user,
            table=table,
            allow_duplicates=confirm.cleaned_data["allow_duplicates"],
        )
        context.update(report=report, filename=filename)
        return render(request, TEMPLATES + "import.html", context)
    if request.method == "POST":
        upload = ImportUploadForm(request.POST, request.FILES)
        if upload.is_valid():
            file = upload.cleaned_data["file"]
            try:
                table = import_table_read(file.read(), file.name, max_rows=WEB_IMPORT_MAX_ROWS)
                report = accounts_import(actor=request.user, table=table, dry_run=True)
            except ImportFileError as exc:
                upload.add_error("file", exc.localized())
            else:
                payload = ImportConfirmForm.sign(table, request.user.pk, file.name)
                context.update(
                    report=report,
                    filename=file.name,
                    confirm=ImportConfirmForm(initial={"payload": payload}),
                )
    context["upload"] = upload
    return render(request, TEMPLATES + "import.html", context)
