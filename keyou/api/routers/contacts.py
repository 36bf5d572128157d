"""/contacts: find the contacts you may see by email address."""

from __future__ import annotations

from typing import Annotated

from django.http import HttpRequest
from ninja import Query, Router

from keyou.api.routers.common import COMMON_ERRORS
from keyou.api.schemas.contacts import ContactList, contact_with_account_out
from keyou.crm import selectors

router = Router(tags=["contacts"])


@router.get("", response={200: ContactList, **COMMON_ERRORS}, summary="Find contacts by email")
def find_contacts(
    request: HttpRequest,
    email: Annotated[str, Query(min_length=1, max_length=320, description="an address, any case")],
):
    """Return the contacts you may see that have the address EMAIL."""
    contacts = selectors.contacts_by_email(request.auth, email).order_by("name", "id")
    return ContactList(items=[contact_with_account_out(c) for c in contacts])
