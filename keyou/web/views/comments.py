"""Internal comments on an account or a thread: the list and the form on their pages.

Posting answers htmx with the comments card (new comment, fresh form, who could
not be notified), else redirects back to the page with the same news as a message.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from keyou.crm.comments import comment_add, comments_for
from keyou.crm.models import Account
from keyou.crm.selectors import NotFound, account_get_for
from keyou.crm.services import InvalidChange
from keyou.mail.models import Thread
from keyou.mail.selectors import thread_get_for
from keyou.people.access import Actor
from keyou.web.task_forms import CommentForm

PARTIAL = "web/partials/comments.html"


def comments_context(
    actor: Actor,
    *,
    account: Account | None = None,
    thread: Thread | None = None,
    form: CommentForm | None = None,
    cannot_see: list | None = None,
) -> dict:
    """Return what the comments card needs for ACCOUNT or THREAD (already visible to ACTOR)."""
    if account is not None:
        url = reverse("account_comment_create", args=[account.pk])
        rows = comments_for(actor, account=account)
    else:
        url = reverse("thread_comment_create", args=[thread.pk])
        rows = comments_for(actor, thread=thread)
    return {
        "comments": list(rows),
        "comment_form": form or CommentForm(),
        "comment_url": url,
        "comment_on_account": account is not None,
        "cannot_see": cannot_see or [],
    }


def _cannot_see_message(users: list, *, on_account: bool) -> str:
    names = ", ".join(u.get_username() for u in users)
    if on_account:
        return _("%(names)s cannot see this customer and was not notified.") % {"names": names}
    return _("%(names)s cannot see this conversation and was not notified.") % {"names": names}


def _post(
    request: HttpRequest, *, account: Account | None, thread: Thread | None, page: str
) -> HttpResponse:
    form = CommentForm(request.POST)
    cannot_see: list = []
    ok = False
    if form.is_valid():
        try:
            comment = comment_add(
                actor=request.user, body=form.cleaned_data["body"], account=account, thread=thread
            )
        except InvalidChange as exc:
            form.add_error(None, exc.localized())
        else:
            ok, cannot_see = True, comment.cannot_see
    if getattr(request, "htmx", False):
        context = comments_context(
            request.user,
            account=account,
            thread=thread,
            form=None if ok else form,
            cannot_see=cannot_see,
        )
        return render(request, PARTIAL, context)
    if ok:
        if cannot_see:
            messages.warning(
                request, _cannot_see_message(cannot_see, on_account=account is not None)
            )
        return redirect(page + "#comments")
    for errors in form.errors.values():
        for error in errors:
            messages.error(request, error)
    return redirect(page + "#comments")


@login_required
@require_POST
def account_comment_create(request: HttpRequest, pk: int) -> HttpResponse:
    """Comment on an account (anyone who may see it); @mentions notify."""
    try:
        account = account_get_for(request.user, pk)
    except NotFound:
        raise Http404 from None
    page = reverse("account_detail", args=[account.pk])
    return _post(request, account=account, thread=None, page=page)


@login_required
@require_POST
def thread_comment_create(request: HttpRequest, pk: int) -> HttpResponse:
    """Comment on a thread (anyone who may see it); @mentions notify."""
    try:
        thread = thread_get_for(request.user, pk)
    except NotFound:
        raise Http404 from None
    page = reverse("thread_detail", args=[thread.pk])
    return _post(request, account=None, thread=thread, page=page)
