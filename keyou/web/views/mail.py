"""Mail pages: a thread, a message's HTML body, its raw source and parts, and problem mail.

Inbound HTML is hostile. It is never put into a Keyou page: `message_body` serves it
as a document of its own, shown in an `<iframe sandbox="">` and locked down by a
Content-Security-Policy that allows no script, form, frame or (until the reader asks)
remote image.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from urllib.parse import quote, unquote

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core import signing
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_POST, require_safe

from keyou.audit.services import record_view
from keyou.crm import services as crm_services
from keyou.crm.models import Account, ActivityKind
from keyou.crm.selectors import NotFound, account_get_for, accounts_search, accounts_visible_to
from keyou.mail import services as mail_services
from keyou.mail.blobs import blob_path
from keyou.mail.models import AddressRole, Attachment, Message, OutgoingMessage
from keyou.mail.parse import block_remote_images
from keyou.mail.selectors import (
    attachment_get_for,
    may_read_bodies,
    message_get_for,
    problem_messages,
    thread_get_for,
    thread_messages,
    thread_participant,
)
from keyou.mail.send import mailboxes_sendable_by, outgoing_by_message
from keyou.people.access import Actor, NotAllowed, sees_everything
from keyou.people.models import User
from keyou.web.views.comments import comments_context

BODY_CSP = (
    "default-src 'none'; img-src {images}; style-src 'unsafe-inline'; font-src 'none'; "
    "frame-ancestors 'self'; form-action 'none'; base-uri 'none'"
)
LOCAL_IMAGES = "'self' data:"
REMOTE_IMAGES = "'self' data: https: http:"
# What a downloaded part may never do, even if a browser ignores the disposition.
DOWNLOAD_CSP = "default-src 'none'; sandbox"
# Raster formats only: an SVG is an image/* type that can carry script.
INLINE_IMAGE_TYPES = frozenset(
    {"image/png", "image/gif", "image/jpeg", "image/pjpeg", "image/webp", "image/bmp", "image/avif"}
)
PROBLEMS_PER_PAGE = 50
ACCOUNT_CHOICES = 20

# A sandboxed frame has an opaque origin, so browsers send no session cookie with the
# requests it makes: inline-image URLs carry a short-lived token naming the reader.
_CID_SALT = "keyou.web.mail.cid"
_CID_TOKEN_AGE = 12 * 3600
_CID_ATTR = re.compile(r'(\s(?:src|background)=")cid:([^"]*)(")', re.IGNORECASE)
_CID_CSS = re.compile(r"(url\(\s*(?:&quot;|&#39;|['\"])?\s*)cid:([^)'\"&\s]*)", re.IGNORECASE)
_CONTENT_TYPE = re.compile(r"[a-z0-9][a-z0-9!#$&^_.+-]*/[a-z0-9][a-z0-9!#$&^_.+-]*")
_UNSAFE_FILENAME = re.compile(r'[\x00-\x1f\x7f"\\/]+')


# -- the thread page ------------------------------------------------------------------


@dataclass
class MessageView:
    """One message of a thread as the page shows it."""

    message: Message
    to: list = field(default_factory=list)
    cc: list = field(default_factory=list)
    mailboxes: list[tuple[str, str]] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)
    accounts: list[Account] = field(default_factory=list)
    blocked_images: int = 0
    quoted: bool = False  # the full text holds more than the visible text
    find: str = ""  # what the reader searched for to re-file this message
    account_choices: list[Account] = field(default_factory=list)
    outgoing: OutgoingMessage | None = None  # when the reader wrote it in Keyou


@login_required
@require_safe
def thread_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Show a thread's messages, oldest first, with their parts and where they are filed."""
    try:
        thread = thread_get_for(request.user, pk)
    except NotFound:
        raise Http404(_("No such conversation.")) from None
    rows = list(thread_messages(request.user, thread))
    visible_accounts = _visible_filed_accounts(request.user, rows)
    find = request.GET.get("find", "").strip()[:200]
    find_for = request.GET.get("m", "")
    outgoing = outgoing_by_message(request.user, [m.pk for m in rows])
    views = []
    for message in rows:
        view = _message_view(message, visible_accounts)
        view.outgoing = outgoing.get(message.pk)
        if find and find_for == str(message.pk):
            view.find = find
            filed = {a.pk for a in view.accounts}
            view.account_choices = [
                a
                for a in accounts_search(request.user, q=find, limit=ACCOUNT_CHOICES)
                if a.pk not in filed
            ]
        views.append(view)
    can_send = mailboxes_sendable_by(request.user).exists()
    record_view(request.user, thread, request=request)
    context = {
        "thread": thread,
        "views": views,
        "can_send": can_send,
        "may_set_private": sees_everything(request.user)
        or thread_participant(request.user, thread),
        "bodies_hidden": not may_read_bodies(request.user),
        **comments_context(request.user, thread=thread),
    }
    return render(request, "web/mail/thread.html", context)


@login_required
@require_POST
def thread_privacy(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark a thread private (participants and admins only) or shared with the customer's team."""
    try:
        thread = thread_get_for(request.user, pk)
    except NotFound:
        raise Http404(_("No such conversation.")) from None
    private = request.POST.get("private") == "1"
    try:
        mail_services.thread_set_private(
            actor=request.user, thread=thread, private=private, request=request
        )
    except NotAllowed:
        raise PermissionDenied(
            _("Only people who took part in a conversation can change who sees it.")
        ) from None
    if private:
        messages.success(request, _("Only the people in this conversation and admins see it now."))
    else:
        messages.success(
            request, _("Everyone who may see the customer sees this conversation now.")
        )
    return redirect("thread_detail", pk=thread.pk)


def _visible_filed_accounts(actor: Actor, rows: list[Message]) -> set[int]:
    """Return the ids of the accounts ROWS are filed to that ACTOR may see."""
    ids = {
        activity.account_id
        for message in rows
        for activity in message.activities.all()
        if activity.kind == ActivityKind.EMAIL
    }
    if not ids:
        return set()
    return set(accounts_visible_to(actor).filter(pk__in=ids).values_list("pk", flat=True))


def _message_view(message: Message, visible_accounts: set[int]) -> MessageView:
    view = MessageView(message=message)
    for address in message.addresses.all():
        if address.role == AddressRole.TO:
            view.to.append(address)
        elif address.role == AddressRole.CC:
            view.cc.append(address)
    seen = set()
    for copy in message.copies.all():
        key = (copy.mailbox.address, copy.folder)
        if key not in seen:
            seen.add(key)
            view.mailboxes.append(key)
    view.mailboxes.sort()
    shown_inline = _cids_in(message.html_body) if message.html_body else set()
    view.attachments = [a for a in message.attachments.all() if not _shown_inline(a, shown_inline)]
    view.accounts = sorted(
        {
            activity.account
            for activity in message.activities.all()
            if activity.kind == ActivityKind.EMAIL and activity.account_id in visible_accounts
        },
        key=lambda a: (a.name, a.pk),
    )
    if message.html_body:
        view.blocked_images = block_remote_images(message.html_body)[1]
    full = " ".join(message.text_body.split())
    view.quoted = bool(full) and full != " ".join(message.visible_text.split())
    return view


def _shown_inline(attachment: Attachment, cids: set[str]) -> bool:
    """Return True when ATTACHMENT is an image the HTML view shows (so not listed again)."""
    return (
        bool(attachment.content_id)
        and attachment.content_id in cids
        and attachment.content_type in INLINE_IMAGE_TYPES
    )


# -- re-filing ------------------------------------------------------------------------


@login_required
@require_POST
def message_refile(request: HttpRequest, pk: int) -> HttpResponse:
    """Move a message from one customer's timeline to another's, then go back."""
    message = _message_or_404(request.user, pk)
    try:
        from_account = account_get_for(
            request.user, request.POST.get("from_account", ""), write=True
        )
    except NotFound:
        raise Http404(_("No such customer.")) from None
    back = _thread_url(request.user, message)
    to_ref = request.POST.get("to_account", "").strip()[:253]
    if not to_ref:
        messages.error(request, _("Choose the customer to move the message to."))
        return redirect(back or reverse("account_detail", args=[from_account.pk]))
    try:
        to_account = account_get_for(request.user, to_ref, write=True)
    except NotFound:
        messages.error(request, _("No customer you can see matches “%(ref)s”.") % {"ref": to_ref})
        return redirect(back or reverse("account_detail", args=[from_account.pk]))
    try:
        crm_services.message_refile(
            actor=request.user,
            message_id=message.pk,
            from_account=from_account,
            to_account=to_account,
        )
    except crm_services.InvalidChange:
        if from_account.pk == to_account.pk:
            messages.error(request, _("The message is already filed to that customer."))
        else:
            messages.error(
                request, _("The message is not filed to %(name)s.") % {"name": from_account.name}
            )
        return redirect(back or reverse("account_detail", args=[from_account.pk]))
    messages.success(
        request,
        _("Moved the message from %(old)s to %(new)s.")
        % {"old": from_account.name, "new": to_account.name},
    )
    # Re-filing can take the message out of the reader's sight; then show its new home.
    return redirect(
        _thread_url(request.user, message) or reverse("account_detail", args=[to_account.pk])
    )


def _thread_url(actor: Actor, message: Message) -> str:
    """Return the URL of MESSAGE's thread if ACTOR may still see it, else ''."""
    if message.thread_id is None:
        return ""
    try:
        thread_get_for(actor, message.thread_id)
    except NotFound:
        return ""
    return reverse("thread_detail", args=[message.thread_id]) + f"#m{message.pk}"


# -- the HTML body, its inline images, raw source and attachments ----------------------


@login_required
@xframe_options_sameorigin
@require_safe
def message_body(request: HttpRequest, pk: int) -> HttpResponse:
    """Serve a message's sanitized HTML as a locked-down document for a sandboxed frame.

    Remote images stay blocked unless ``?images=1``; ``cid:`` images point at
    `message_cid`.
    """
    message = _message_or_404(request.user, pk, body=True)
    if not message.html_body:
        raise Http404(_("This message has no HTML part."))
    remote = request.GET.get("images") == "1"
    body = message.html_body if remote else block_remote_images(message.html_body)[0]
    body = _link_inline_images(request.user, message, body)
    response = render(request, "web/mail/body.html", {"message": message, "body": mark_safe(body)})
    response["Content-Security-Policy"] = BODY_CSP.format(
        images=REMOTE_IMAGES if remote else LOCAL_IMAGES
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Referrer-Policy"] = "no-referrer"
    response["Cache-Control"] = "private, no-cache"
    return response


def _cids_in(body: str) -> set[str]:
    """Return the content ids BODY refers to with ``cid:`` URLs."""
    found = [m.group(2) for m in _CID_ATTR.finditer(body)]
    found += [m.group(2) for m in _CID_CSS.finditer(body)]
    return {_content_id(ref) for ref in found}


def _content_id(ref: str) -> str:
    # A cid: URL is the content id, URL-encoded (RFC 2392), inside an HTML attribute.
    return unquote(html.unescape(ref)).strip().strip("<>")


def _link_inline_images(actor: Actor, message: Message, body: str) -> str:
    """Return BODY with ``cid:`` references to its inline images turned into Keyou URLs."""
    if "cid:" not in body.lower():
        return body
    images = {
        a.content_id: a
        for a in message.attachments.all()
        if a.content_id and a.content_type in INLINE_IMAGE_TYPES
    }
    if not images:
        return body
    folded = {cid.casefold(): a for cid, a in images.items()}
    token = _cid_token(actor, message.pk)

    def url_for(ref: str) -> str | None:
        cid = _content_id(ref)
        attachment = images.get(cid) or folded.get(cid.casefold())
        if attachment is None:
            return None
        url = reverse("message_cid", args=[message.pk, attachment.content_id])
        return html.escape(f"{url}?t={quote(token)}", quote=True)

    def in_attribute(match: re.Match[str]) -> str:
        url = url_for(match.group(2))
        return match.group(0) if url is None else match.group(1) + url + match.group(3)

    def in_style(match: re.Match[str]) -> str:
        url = url_for(match.group(2))
        return match.group(0) if url is None else match.group(1) + url

    return _CID_CSS.sub(in_style, _CID_ATTR.sub(in_attribute, body))


def _cid_token(actor: Actor, message_pk: int) -> str:
    return signing.TimestampSigner(salt=_CID_SALT).sign(f"{actor.pk}.{message_pk}")


def _cid_reader(request: HttpRequest, message_pk: int) -> Actor | None:
    """Return who reads MESSAGE_PK's inline images: the session's user, else the token's."""
    if request.user.is_authenticated:
        return request.user
    try:
        value = signing.TimestampSigner(salt=_CID_SALT).unsign(
            request.GET.get("t", ""), max_age=_CID_TOKEN_AGE
        )
    except signing.BadSignature:
        return None
    user_pk, _dot, token_message = value.partition(".")
    if token_message != str(message_pk) or not user_pk.isdigit():
        return None
    return User.objects.filter(pk=int(user_pk), is_active=True).first()


@require_safe
def message_cid(request: HttpRequest, pk: int, cid: str) -> HttpResponse:
    """Serve the inline image with content id CID of message PK (raster images only)."""
    reader = _cid_reader(request, pk)
    if reader is None:
        return redirect_to_login(request.get_full_path())
    message = _message_or_404(reader, pk, body=True)
    wanted = cid.strip().strip("<>")  # the URL path is decoded already
    attachment = (
        message.attachments.filter(content_id=wanted).first()
        or message.attachments.filter(content_id__iexact=wanted).first()
    )
    if attachment is None or attachment.content_type not in INLINE_IMAGE_TYPES:
        raise Http404(_("No such image."))
    response = _blob_response(attachment.sha256, attachment.content_type)
    response["Content-Disposition"] = _disposition(attachment.filename, attachment=False)
    response["Cache-Control"] = "private, max-age=3600"
    return response


@login_required
@require_safe
def message_raw(request: HttpRequest, pk: int) -> HttpResponse:
    """Download a message's original bytes as an .eml file."""
    message = _message_or_404(request.user, pk, body=True)
    response = _blob_response(message.raw_sha256, "message/rfc822")
    response["Content-Disposition"] = _disposition(f"message-{message.pk}.eml")
    return response


@login_required
@require_safe
def attachment_download(request: HttpRequest, pk: int) -> HttpResponse:
    """Download an attachment, always as a file (never shown in the browser)."""
    try:
        attachment = attachment_get_for(request.user, pk)
    except NotFound:
        raise Http404(_("No such attachment.")) from None
    ctype = attachment.content_type.strip().lower()
    if not _CONTENT_TYPE.fullmatch(ctype):
        ctype = "application/octet-stream"
    response = _blob_response(attachment.sha256, ctype)
    response["Content-Disposition"] = _disposition(attachment.filename)
    return response


def _message_or_404(actor: Actor, pk: int, *, body: bool = False) -> Message:
    try:
        return message_get_for(actor, pk, body=body)
    except NotFound:
        raise Http404(_("No such message.")) from None


def _blob_response(sha256: str, content_type: str) -> FileResponse:
    try:
        handle = blob_path(sha256).open("rb")
    except FileNotFoundError:
        raise Http404(_("The stored file is missing.")) from None
    response = FileResponse(handle, content_type=content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = DOWNLOAD_CSP
    response["Referrer-Policy"] = "no-referrer"
    return response


def _disposition(filename: str, *, attachment: bool = True) -> str:
    """Return a Content-Disposition value for FILENAME (RFC 5987 form when not ASCII)."""
    name = _UNSAFE_FILENAME.sub("_", filename).strip(" .") or "attachment"
    return content_disposition_header(attachment, name)


# -- problem mail (admins) -------------------------------------------------------------

# Problem codes (see keyou.mail.parse and keyou.mail.ingest) by prefix, for people.
PROBLEM_LABELS = {
    "unparseable": gettext_lazy("Not readable as mail"),
    "parser_error": gettext_lazy("The parser failed on it"),
    "message_id_conflict": gettext_lazy("Another message has the same Message-ID"),
    "bad_address_header": gettext_lazy("An address header could not be read"),
    "bad_date": gettext_lazy("Unreadable date"),
    "no_date": gettext_lazy("No date"),
    "decode_error": gettext_lazy("Part of it could not be decoded"),
    "missing_message_id": gettext_lazy("No Message-ID"),
    "too_deep": gettext_lazy("Parts nested too deeply"),
    "uuencode_malformed": gettext_lazy("A broken uuencoded part"),
    "charset": gettext_lazy("Character set guessed"),
    "cte_unknown": gettext_lazy("Unknown transfer encoding"),
    "defect": gettext_lazy("Defect in the MIME structure"),
}


@dataclass
class ProblemRow:
    message: Message
    problems: list[tuple[str, str]]  # (label, code)
    mailboxes: list[tuple[str, str]]


@login_required
@require_safe
def problem_list(request: HttpRequest) -> HttpResponse:
    """List flagged messages, newest first, with what was wrong with each (admins only)."""
    if not sees_everything(request.user):
        raise Http404(_("No such page."))
    rows = problem_messages(request.user).prefetch_related("copies__mailbox")
    page = Paginator(rows, PROBLEMS_PER_PAGE).get_page(request.GET.get("page"))
    page_rows = [
        ProblemRow(
            message=message,
            problems=[(_problem_label(code), code) for code in message.problems or []],
            mailboxes=sorted({(c.mailbox.address, c.folder) for c in message.copies.all()}),
        )
        for message in page.object_list
    ]
    return render(request, "web/mail/problems.html", {"page": page, "rows": page_rows})


def _problem_label(code: str) -> str:
    key = str(code).split(":", 1)[0]
    if key.startswith("charset_"):
        key = "charset"
    label = PROBLEM_LABELS.get(key)
    return str(label) if label is not None else str(code)
