"""/search: accounts, contacts and messages you may see, by full text."""

from __future__ import annotations

from typing import Annotated

from django.db.models import prefetch_related_objects
from django.http import HttpRequest
from ninja import Query, Router

from keyou.api.routers.common import COMMON_ERRORS
from keyou.api.schemas.accounts import account_out
from keyou.api.schemas.contacts import contact_with_account_out
from keyou.api.schemas.mail import message_summary_out
from keyou.api.schemas.search import SearchOut
from keyou.search.scoped import search_for

router = Router(tags=["search"])

MAX_SEARCH_LIMIT = 100


@router.get("", response={200: SearchOut, **COMMON_ERRORS}, by_alias=True, summary="Search")
def search(
    request: HttpRequest,
    q: Annotated[str, Query(min_length=1, max_length=500, description="words; 中文 works too")],
    limit: Annotated[int, Query(ge=1, le=MAX_SEARCH_LIMIT, description="hits per kind")] = 20,
):
    """Return the accounts, contacts and messages you may see that match Q, best first."""
    results = search_for(request.auth, q, limit=limit)
    accounts = list(results.accounts)
    contacts = list(results.contacts)
    messages = list(results.messages)
    prefetch_related_objects(accounts, "owner", "team", "domains", "tags")
    prefetch_related_objects(contacts, "account", "emails")
    return SearchOut(
        query=q,
        accounts=[account_out(a) for a in accounts],
        contacts=[contact_with_account_out(c) for c in contacts],
        messages=[message_summary_out(m) for m in messages],
    )
