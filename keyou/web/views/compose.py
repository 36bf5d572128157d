"""Writing mail: the compose page, the sender's outbox and retrying a failed message.

The views only compose and queue: delivery runs in the background (keyou.mail.send).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from keyou.crm.selectors import NotFound
from keyou.mail.models import Message, OutgoingKind, OutgoingStatus
from keyou.mail.selectors import message_get_for
from keyou.mail.send import (
    AttachmentIn,
    ComposeInvalid,
    compose_defaults,
    mailboxes_sendable_by,
    message_compose,
    outbox_for,
    outbox_retry,
)
from keyou.web.compose_forms import ComposeForm

OUTBOX_PER_PAGE = 50


def _parent(request: HttpRequest, value: object) -> Message | None:
    if value in (None, ""):
        return None
    try:
        return message_get_for(request.user, int(value))
    except (NotFound, ValueError, TypeError):
        raise Http404(_("No such message.")) from None


def _kind(value: object, parent: Message | None) -> str:
    kind = str(value or OutgoingKind.NEW)
    if kind not in OutgoingKind.values:
        raise Http404(_("No such page."))
    if parent is None and kind != OutgoingKind.NEW:
        raise Http404(_("No such message."))
    return kind


def _mailbox_for(mailboxes: list, parent: Message | None):
    """Return the mailbox a reply goes out from: one the parent was seen in, if any."""
    if parent is not None:
        held = set(parent.copies.values_list("mailbox_id", flat=True))
        for box in mailboxes:
            if box.pk in held:
                return box
    return mailboxes[0] if mailboxes else None


@login_required
@require_http_methods(["GET", "POST"])
def compose(request: HttpRequest) -> HttpResponse:
    """Write a new message, a reply, a reply to all or a forward, and queue it."""
    source = request.POST if request.method == "POST" else request.GET
    parent = _parent(request, source.get("parent"))
    kind = _kind(source.get("kind"), parent)
    mailboxes = list(mailboxes_sendable_by(request.user))
    if not mailboxes:
        return render(request, "web/mail/compose.html", {"no_mailbox": True}, status=403)
    defaults = compose_defaults(request.user, kind=kind, parent=parent)
    originals = defaults.attachments
    if request.method == "POST":
        form = ComposeForm(request.POST, request.FILES, mailboxes=mailboxes, originals=originals)
        if form.is_valid():
            response = _send(request, form, kind=kind, parent=parent, mailboxes=mailboxes)
            if response is not None:
                return response
    else:
        to = defaults.to or [v for v in request.GET.getlist("to") if v][:20]
        chosen = _mailbox_for(mailboxes, parent)
        form = ComposeForm(
            initial={
                "mailbox": chosen.pk if chosen else None,
                "to": ", ".join(to),
                "cc": ", ".join(defaults.cc),
                "subject": defaults.subject or request.GET.get("subject", "")[:900],
                "include_quote": True,
                "keep": [a.pk for a in originals],
                "kind": kind,
                "parent": parent.pk if parent else None,
            },
            mailboxes=mailboxes,
            originals=originals,
        )
    context = {"form": form, "kind": kind, "parent": parent, "quote": defaults.quote}
    return render(request, "web/mail/compose.html", context)


def _send(request: HttpRequest, form: ComposeForm, *, kind, parent, mailboxes):
    data = form.cleaned_data
    mailbox = next((b for b in mailboxes if b.pk == data["mailbox"]), None)
    if mailbox is None:
        raise Http404(_("No such mailbox."))
    files = [
        AttachmentIn(
            filename=upload.name,
            content_type=upload.content_type or "application/octet-stream",
            data=upload.read(),
        )
        for upload in data["files"]
    ]
    kept = [AttachmentIn(attachment_id=pk) for pk in data.get("keep") or []]
    try:
        row = message_compose(
            request.user,
            mailbox=mailbox,
            to=[data["to"]],
            cc=[data["cc"]],
            bcc=[data["bcc"]],
            subject=data["subject"],
            body=data["body"],
            attachments=kept + files,
            kind=kind,
            parent=parent,
            quote=bool(data["include_quote"]),
        )
    except NotFound:
        raise Http404(_("No such message.")) from None
    except ComposeInvalid as exc:
        for name, errors in exc.errors.items():
            field = name if name in form.fields else ("files" if name == "attachments" else None)
            for error in errors:
                form.add_error(field, error)
        return None
    messages.success(request, _("Your message is queued for sending. Its status shows below it."))
    if row.filed is not None and row.filed.thread_id is not None:
        return redirect(reverse("thread_detail", args=[row.filed.thread_id]) + f"#m{row.filed_id}")
    return redirect("outbox")


@login_required
@require_safe
def outbox(request: HttpRequest) -> HttpResponse:
    """List the user's messages that are not sent yet: queued, being sent or failed."""
    page = Paginator(outbox_for(request.user), OUTBOX_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "web/mail/outbox.html", {"page": page, "Status": OutgoingStatus})


@login_required
@require_POST
def outbox_retry_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Queue a failed message again, then go back to where the button was."""
    try:
        row = outbox_retry(request.user, pk)
    except NotFound:
        raise Http404(_("No such message.")) from None
    messages.success(request, _("The message is queued for sending again."))
    if request.POST.get("next") == "outbox" or row.filed is None or row.filed.thread_id is None:
        return redirect("outbox")
    return redirect(reverse("thread_detail", args=[row.filed.thread_id]) + f"#m{row.filed_id}")
