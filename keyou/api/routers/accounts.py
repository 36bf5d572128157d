"""/accounts: scoped lists, details, timelines, and adding notes."""

from __future__ import annotations

from typing import Annotated, Literal

from django.http import HttpRequest
from ninja import Query, Router, Status

from keyou.api.errors import ApiError, ErrorOut
from keyou.api.pagination import DEFAULT_LIMIT, Keyset, paginate
from keyou.api.routers.common import COMMON_ERRORS, Cursor, Limit
from keyou.api.schemas.accounts import (
    AccountDetailOut,
    AccountPage,
    NoteIn,
    NoteOut,
    TimelinePage,
    account_detail_out,
    account_out,
    note_out,
    timeline_entry_out,
)
from keyou.audit.services import record_view
from keyou.crm import selectors, services
from keyou.crm.models import ActivityKind, Lifecycle
from keyou.mail.selectors import redact_bodies
from keyou.people.models import User

router = Router(tags=["accounts"])

# The sorts of accounts_list, and how each orders rows (for the cursor).
ACCOUNT_KEYSETS = {
    "name": Keyset("name"),
    "-name": Keyset("name", descending=True),
    "last_contact": Keyset("last_inbound_at", nullable=True, is_datetime=True),
    "-last_contact": Keyset("last_inbound_at", descending=True, nullable=True, is_datetime=True),
    "created": Keyset("created_at", is_datetime=True),
    "-created": Keyset("created_at", descending=True, is_datetime=True),
}
TIMELINE_KEYSET = Keyset("occurred_at", descending=True, is_datetime=True)
AccountSort = Literal["-last_contact", "last_contact", "name", "-name", "-created", "created"]


def _owner_id(username: str) -> int:
    owner = User.objects.filter(username=username).values_list("pk", flat=True).first()
    if owner is None:
        raise ApiError(400, "bad_param", f"owner: no user named {username!r}")
    return owner


@router.get("", response={200: AccountPage, **COMMON_ERRORS}, summary="List accounts")
def list_accounts(
    request: HttpRequest,
    q: Annotated[str, Query(max_length=200, description="name, domain or contact")] = "",
    owner: Annotated[str, Query(max_length=150, description="the owner's username")] = "",
    tag: Annotated[str, Query(max_length=80)] = "",
    lifecycle: Lifecycle | None = None,
    sort: Annotated[AccountSort, Query(description="'-' puts newest / Z first")] = "-last_contact",
    cursor: Cursor = None,
    limit: Limit = DEFAULT_LIMIT,
):
    """Return one page of the accounts you may see, narrowed by the filters."""
    filters = selectors.AccountFilters(
        q=q,
        owner_id=_owner_id(owner) if owner else None,
        tag=tag.strip(),
        lifecycle=lifecycle or "",
        sort=sort,
    )
    qs = selectors.accounts_list(request.auth, filters).select_related("owner", "team")
    rows, next_cursor = paginate(
        qs.prefetch_related("domains", "tags"),
        listing=f"accounts:{sort}",
        keyset=ACCOUNT_KEYSETS[sort],
        cursor=cursor,
        limit=limit,
    )
    return AccountPage(items=[account_out(a) for a in rows], next_cursor=next_cursor)


@router.get(
    "/{int:account_id}", response={200: AccountDetailOut, **COMMON_ERRORS}, summary="Get an account"
)
def get_account(request: HttpRequest, account_id: int):
    """Return the account with its domains, contacts and timeline counts."""
    account = selectors.account_get_for(request.auth, account_id)
    record_view(request.auth, account, request=request)
    contacts = list(selectors.account_contacts(request.auth, account))
    return account_detail_out(account, contacts, selectors.account_counts(account))


@router.get(
    "/{int:account_id}/timeline",
    response={200: TimelinePage, **COMMON_ERRORS},
    by_alias=True,
    summary="An account's timeline",
)
def account_timeline(
    request: HttpRequest,
    account_id: int,
    kind: Annotated[list[ActivityKind] | None, Query(description="only these (repeatable)")] = None,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_LIMIT,
):
    """Return one page of the account's timeline, newest first."""
    entries = selectors.timeline_for(request.auth, account_id, kinds=set(kind or ()))
    rows, next_cursor = paginate(
        entries.prefetch_related("contacts__emails"),
        listing=f"timeline:{account_id}",
        keyset=TIMELINE_KEYSET,
        cursor=cursor,
        limit=limit,
    )
    redact_bodies(request.auth, [a.message for a in rows if a.message is not None])
    return TimelinePage(items=[timeline_entry_out(a) for a in rows], next_cursor=next_cursor)


@router.post(
    "/{int:account_id}/notes",
    response={201: NoteOut, **COMMON_ERRORS, 413: ErrorOut, 415: ErrorOut},
    summary="Add a note",
)
def add_note(request: HttpRequest, account_id: int, payload: NoteIn):
    """Add a note to the account's timeline."""
    account = selectors.account_get_for(request.auth, account_id, write=True)
    note = services.note_add(actor=request.auth, account=account, body=payload.body)
    return Status(201, note_out(note))
