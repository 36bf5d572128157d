"""Customer pages: the accounts list, the account 360 and the changes made on it.

Each view parses input with a form, calls one selector or service and renders.
htmx requests get the fragment they swap (templates under
`web/accounts/partials/`); the same URLs work as plain pages without JS.
"""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import reswap, retarget

from keyou.audit.services import record_view
from keyou.crm import services
from keyou.crm.models import Account, ActivityKind
from keyou.crm.selectors import NotFound, account_contacts, account_get_for
from keyou.web import forms
from keyou.web import selectors as pages
from keyou.web.views.tasks import account_panels

PARTIALS = "web/accounts/partials/"

# Column → the sort its first click asks for (names ascend, dates start newest).
SORT_COLUMNS = {"name": "name", "last_contact": "-last_contact", "created": "-created"}


def htmx_target(request: HttpRequest) -> str | None:
    """Return the id of the element an htmx request swaps ("" if none), or None for a page load.

    History-restore requests want the full page, so they count as page loads.
    """
    htmx = getattr(request, "htmx", None)
    if not htmx or htmx.history_restore_request or htmx.boosted:
        return None
    return htmx.target or ""


def _account_or_404(request: HttpRequest, pk: int, *, write: bool = False) -> Account:
    try:
        return account_get_for(request.user, pk, write=write)
    except NotFound:
        raise Http404 from None


def _apply(form, change: Callable, **kwargs) -> bool:
    """Run the service CHANGE; turn its InvalidChange into a form error. Return success."""
    try:
        change(**kwargs)
    except services.InvalidChange as exc:
        form.add_error(None, exc.localized())
        # A duplicate the user may confirm (keyou.crm.customers.DuplicateFound) offers a box.
        form.confirmable = getattr(exc, "blocking", True) is False
        return False
    return True


# --- List ----------------------------------------------------------------------


def _sort_links(current: str) -> dict[str, dict[str, str]]:
    links = {}
    for column, first in SORT_COLUMNS.items():
        if current == column:
            links[column] = {"sort": f"-{column}", "arrow": "↑"}
        elif current == f"-{column}":
            links[column] = {"sort": column, "arrow": "↓"}
        else:
            links[column] = {"sort": first, "arrow": ""}
    return links


@login_required
@require_GET
def account_list(request: HttpRequest) -> HttpResponse:
    """List the accounts the user may see, filtered, sorted and paged (50 a page)."""
    form = forms.AccountFilterForm(request.GET)
    form.is_valid()  # invalid fields are shown as errors and left out of the filters
    filters = form.filters()
    page = pages.account_list_page(
        request.user, filters, page=forms.parse_page(request.GET.get("page"))
    )
    context = {
        "form": form,
        "page": page,
        "sort": filters.sort,
        "sort_links": _sort_links(filters.sort),
        "nav": "customers",
    }
    if htmx_target(request) is not None:
        return render(request, PARTIALS + "results.html", {**context, "fragment": True})
    return render(request, "web/accounts/list.html", context)


# --- Account 360 -------------------------------------------------------------------


def _timeline_context(
    account: Account, timeline: pages.TimelinePage, tl_form: forms.TimelineFilterForm | None
) -> dict:
    url = reverse("account_detail", args=[account.pk])
    query = tl_form.query() if tl_form is not None else {}
    more = urlencode({**query, "before": timeline.next_cursor or ""}, doseq=True)
    return {
        "account": account,
        "timeline": timeline,
        "timeline_form": tl_form,
        "timeline_kinds": ActivityKind.choices,
        "selected_kinds": set(query.get("kind", ())),
        "selected_contact": query.get("contact"),
        "timeline_url": url,
        "more_url": f"{url}?{more}" if timeline.next_cursor else "",
        "filtered": bool(query),
    }


def _interaction_form(request: HttpRequest, account: Account, data=None):
    now = timezone.localtime()
    initial = {"kind": ActivityKind.CALL, "day": now.date(), "at": now.strftime("%H:%M")}
    return forms.InteractionForm(
        data, contacts=account_contacts(request.user, account), initial=initial
    )


def _render_detail(
    request: HttpRequest,
    account: Account | int,
    tl_form: forms.TimelineFilterForm | None = None,
    **bound,
) -> HttpResponse:
    """Render the full account page; BOUND replaces default forms (to show their errors)."""
    options = tl_form.options() if tl_form is not None else {}
    try:
        data = pages.account_360(request.user, account, **options)
    except NotFound:
        raise Http404 from None
    context = {
        **_timeline_context(data.account, data.timeline, tl_form),
        "data": data,
        "contacts": data.contacts,
        "counts": data.counts,
        "note_form": forms.NoteForm(),
        "interaction_form": _interaction_form(request, data.account),
        "tag_form": forms.TagForm(),
        "contact_form": forms.ContactCreateForm(),
        "nav": "customers",
        **account_panels(request.user, data.account),
        **bound,
    }
    return render(request, "web/accounts/detail.html", context)


@login_required
@require_GET
def account_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Show an account: header, contacts, counts and its timeline (emails one row per thread).

    htmx: swap only the timeline (filters) or append older entries (target `timeline-more`).
    """
    tl_form = forms.TimelineFilterForm(request.GET)
    tl_form.is_valid()
    target = htmx_target(request)
    if target is None:
        try:
            account = account_get_for(request.user, pk)
        except NotFound:
            raise Http404 from None
        record_view(request.user, account, request=request)
        return _render_detail(request, account, tl_form)
    try:
        account, timeline = pages.account_timeline(request.user, pk, **tl_form.options())
    except NotFound:
        raise Http404 from None
    template = "timeline_more.html" if target == "timeline-more" else "timeline.html"
    return render(request, PARTIALS + template, _timeline_context(account, timeline, tl_form))


def _timeline_changed(request: HttpRequest, account: Account, **fresh_forms) -> HttpResponse:
    """After a note or a logged call: the new timeline for htmx, else back to the page."""
    if htmx_target(request) is None:
        return redirect("account_detail", pk=account.pk)
    _account, timeline = pages.account_timeline(request.user, account.pk)
    context = {
        **_timeline_context(account, timeline, None),
        "contacts": account_contacts(request.user, account),
        **fresh_forms,
        "oob": True,
    }
    return render(request, PARTIALS + "timeline_changed.html", context)


def _form_failed(
    request: HttpRequest, account: Account, partial: str, target: str, **bound
) -> HttpResponse:
    """Show a form with its errors: the fragment for htmx, else the whole account page."""
    if htmx_target(request) is None:
        return _render_detail(request, account, **bound)
    context = {"account": account, **bound}
    if "contact_form" in bound:
        context["contacts"] = account_contacts(request.user, account)
    response = render(request, PARTIALS + partial, context)
    return reswap(retarget(response, target), "outerHTML")


@login_required
@require_POST
def note_create(request: HttpRequest, pk: int) -> HttpResponse:
    """Add a note to the account's timeline."""
    account = _account_or_404(request, pk, write=True)
    form = forms.NoteForm(request.POST)
    if form.is_valid() and _apply(
        form,
        services.note_add,
        actor=request.user,
        account=account,
        body=form.cleaned_data["body"],
    ):
        return _timeline_changed(request, account, note_form=forms.NoteForm())
    return _form_failed(request, account, "note_form.html", "#note-form", note_form=form)


@login_required
@require_POST
def interaction_create(request: HttpRequest, pk: int) -> HttpResponse:
    """Log a call or meeting; its time is read in the user's zone and stored in UTC."""
    account = _account_or_404(request, pk, write=True)
    form = _interaction_form(request, account, request.POST)
    if form.is_valid() and _apply(
        form,
        services.interaction_log,
        actor=request.user,
        account=account,
        kind=form.cleaned_data["kind"],
        occurred_at=form.occurred_at(),
        summary=form.cleaned_data["summary"],
        outcome=form.cleaned_data["outcome"],
        next_step=form.cleaned_data["next_step"],
        duration_minutes=form.cleaned_data["duration_minutes"],
        contact_ids=[c.pk for c in form.cleaned_data["contacts"]],
    ):
        return _timeline_changed(
            request, account, interaction_form=_interaction_form(request, account)
        )
    return _form_failed(
        request, account, "interaction_form.html", "#interaction-form", interaction_form=form
    )


def _tags_changed(request: HttpRequest, account: Account, form: forms.TagForm, ok: bool):
    if htmx_target(request) is not None:
        context = {"account": account, "tag_form": form if not ok else forms.TagForm()}
        return render(request, PARTIALS + "tags.html", context)
    if ok:
        return redirect("account_detail", pk=account.pk)
    return _render_detail(request, account, tag_form=form)


@login_required
@require_POST
def tag_add(request: HttpRequest, pk: int) -> HttpResponse:
    """Tag the account (a new tag name creates the tag)."""
    account = _account_or_404(request, pk, write=True)
    form = forms.TagForm(request.POST)
    ok = form.is_valid() and _apply(
        form,
        services.account_tag_add,
        actor=request.user,
        account=account,
        name=form.cleaned_data["name"],
    )
    return _tags_changed(request, account, form, ok)


@login_required
@require_POST
def tag_remove(request: HttpRequest, pk: int) -> HttpResponse:
    """Remove a tag from the account."""
    account = _account_or_404(request, pk, write=True)
    form = forms.TagForm(request.POST)
    ok = form.is_valid() and _apply(
        form,
        services.account_tag_remove,
        actor=request.user,
        account=account,
        name=form.cleaned_data["name"],
    )
    # The remove form is a button, not a text field: show its error beside the add form.
    return _tags_changed(request, account, form, ok)


@login_required
@require_http_methods(["GET", "POST"])
def account_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Edit the account's name, country, source and lifecycle."""
    account = _account_or_404(request, pk, write=True)
    inline = htmx_target(request) is not None
    if request.method == "POST":
        form = forms.AccountEditForm(request.POST)
        if form.is_valid() and _apply(
            form, services.account_update, actor=request.user, account=account, **form.cleaned_data
        ):
            if inline:
                return render(request, PARTIALS + "header.html", {"account": account})
            messages.success(request, _("Saved."))
            return redirect("account_detail", pk=account.pk)
    else:
        form = forms.AccountEditForm(
            initial={
                "name": account.name,
                "country": account.country,
                "source": account.source,
                "lifecycle": account.lifecycle,
            }
        )
    context = {"account": account, "form": form, "nav": "customers"}
    template = PARTIALS + "edit_form.html" if inline else "web/accounts/edit.html"
    return render(request, template, context)


@login_required
@require_POST
def contact_create(request: HttpRequest, pk: int) -> HttpResponse:
    """Add a contact (name, email, phone, title) to the account; 查重 runs on email and phone."""
    account = _account_or_404(request, pk, write=True)
    form = forms.ContactCreateForm(request.POST)
    if form.is_valid() and _apply(
        form,
        services.contact_add,
        actor=request.user,
        account=account,
        name=form.cleaned_data["name"],
        email=form.cleaned_data["email"],
        title=form.cleaned_data["title"],
        phone=form.cleaned_data["phone"],
        confirm_duplicates=form.cleaned_data["confirm_duplicates"],
    ):
        if htmx_target(request) is None:
            return redirect("account_detail", pk=account.pk)
        context = {
            "account": account,
            "contacts": account_contacts(request.user, account),
            "contact_form": forms.ContactCreateForm(),
        }
        return render(request, PARTIALS + "contacts.html", context)
    return _form_failed(request, account, "contacts.html", "#account-contacts", contact_form=form)
