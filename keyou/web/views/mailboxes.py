"""Mailbox pages: the list, a mailbox's sync status, its connection settings.

Connecting, testing and syncing are services in keyou.mail; these views parse the
form, call them, and render. The password is never sent back to the browser.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from keyou.crm.selectors import NotFound
from keyou.mail import selectors
from keyou.mail.models import Mailbox
from keyou.mail.services import folder_set_enabled
from keyou.people.services import InvalidInput
from keyou.web.mailbox_forms import MailboxConnectForm


def _sync():
    """The sync services (imported when used: they pull in the IMAP client)."""
    from keyou.mail import sync

    return sync


def _mailbox_or_404(request: HttpRequest, pk: int, *, manage: bool = False) -> Mailbox:
    try:
        return selectors.mailbox_get_for(request.user, pk, manage=manage)
    except NotFound:
        raise Http404 from None


@login_required
@require_GET
def mailbox_list(request: HttpRequest) -> HttpResponse:
    """The mailboxes the user may see, with their sync state."""
    rows = [
        {"mailbox": m, "status": selectors.mailbox_status(m, log_limit=0)}
        for m in selectors.mailboxes_visible_to(request.user).prefetch_related("owners")
    ]
    return render(request, "web/mailboxes/list.html", {"rows": rows, "nav": "mailboxes"})


@login_required
@require_http_methods(["GET", "POST"])
def mailbox_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Status of one mailbox, and (for its owners and admins) its connection form."""
    mailbox = _mailbox_or_404(request, pk)
    manage = selectors.mailbox_may_manage(request.user, mailbox)
    form = None
    if manage:
        form = MailboxConnectForm(request.POST or None, mailbox=mailbox)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                _sync().mailbox_connect(
                    mailbox.address,
                    preset=data["preset"],
                    imap_host=data["imap_host"],
                    imap_port=data["imap_port"],
                    imap_security=data["imap_security"],
                    smtp_host=data["smtp_host"],
                    smtp_port=data["smtp_port"],
                    smtp_security=data["smtp_security"],
                    username=data["username"],
                    password=data["password"] or None,
                    sync_months=data["sync_months"],
                    actor=request.user,
                    request=request,
                )
            except InvalidInput as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(
                    request, _("Connection saved. Keyou starts fetching this mailbox's history.")
                )
                _sync().mailbox_sync_soon(mailbox.pk)
                return redirect("mailbox_detail", pk=mailbox.pk)
    elif request.method == "POST":
        raise Http404
    context = {
        "mailbox": mailbox,
        "manage": manage,
        "form": form,
        "status": selectors.mailbox_status(mailbox),
        "nav": "mailboxes",
    }
    return render(request, "web/mailboxes/detail.html", context)


@login_required
@require_GET
def mailbox_status(request: HttpRequest, pk: int) -> HttpResponse:
    """The status block alone, polled by the page while a sync runs."""
    mailbox = _mailbox_or_404(request, pk)
    context = {
        "mailbox": mailbox,
        "status": selectors.mailbox_status(mailbox),
        "manage": selectors.mailbox_may_manage(request.user, mailbox),
    }
    return render(request, "web/mailboxes/partials/status.html", context)


@login_required
@require_POST
def mailbox_test(request: HttpRequest, pk: int) -> HttpResponse:
    """Try the saved IMAP and SMTP settings now and say what happened."""
    mailbox = _mailbox_or_404(request, pk, manage=True)
    result = _sync().mailbox_test_connection(mailbox)
    context = {"mailbox": mailbox, "result": result}
    if request.htmx:
        return render(request, "web/mailboxes/partials/test_result.html", context)
    for line in result.lines():
        (messages.success if line.ok else messages.error)(request, line.text)
    return redirect("mailbox_detail", pk=mailbox.pk)


@login_required
@require_POST
def mailbox_sync_now(request: HttpRequest, pk: int) -> HttpResponse:
    """Queue a sync pass now (the worker runs it)."""
    mailbox = _mailbox_or_404(request, pk, manage=True)
    if mailbox.read_only:
        messages.error(
            request, _("This mailbox is kept read-only after a handover: it no longer syncs.")
        )
        return redirect("mailbox_detail", pk=mailbox.pk)
    _sync().mailbox_sync_soon(mailbox.pk)
    messages.info(request, _("A sync has been queued."))
    return redirect("mailbox_detail", pk=mailbox.pk)


@login_required
@require_POST
def folder_toggle(request: HttpRequest, pk: int, folder_pk: int) -> HttpResponse:
    """Turn syncing of one folder on or off."""
    mailbox = _mailbox_or_404(request, pk, manage=True)
    folder = mailbox.folders.filter(pk=folder_pk).first()
    if folder is None:
        raise Http404
    folder_set_enabled(folder, enabled=request.POST.get("enabled") == "1")
    return redirect("mailbox_detail", pk=mailbox.pk)
