"""Schemas of /contacts."""

from __future__ import annotations

from ninja import Schema

from keyou.api.schemas.accounts import contact_emails
from keyou.api.schemas.common import AccountRef, UtcDateTime
from keyou.crm.models import Contact


class ContactWithAccountOut(Schema):
    id: int
    name: str
    title: str
    emails: list[str]
    phones: list[str]
    account: AccountRef
    created_at: UtcDateTime


class ContactList(Schema):
    items: list[ContactWithAccountOut]


def contact_with_account_out(contact: Contact) -> ContactWithAccountOut:
    """Render CONTACT (account and emails loaded)."""
    return ContactWithAccountOut(
        id=contact.pk,
        name=contact.name,
        title=contact.title,
        emails=contact_emails(contact),
        phones=list(contact.phones or []),
        account=AccountRef(id=contact.account.pk, name=contact.account.name),
        created_at=contact.created_at,
    )
