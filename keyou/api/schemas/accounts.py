"""Schemas of /accounts: lists, details, timelines and notes."""

from __future__ import annotations

from ninja import Field, Schema
from pydantic import ConfigDict

from keyou.api.schemas.common import AddressOut, ContactRef, UtcDateTime
from keyou.crm.models import Account, Activity, ActivityKind, Contact, Lifecycle, Note
from keyou.mail.models import Direction


class AccountOut(Schema):
    id: int
    name: str
    domains: list[str]
    country: str = Field(description="ISO 3166 two-letter code, or empty")
    source: str
    lifecycle: Lifecycle
    is_person: bool = Field(description="a person writing from free mail, not a company")
    owner: str | None = Field(description="username of the owning salesperson")
    team: str | None
    tags: list[str]
    first_contact_at: UtcDateTime | None
    last_inbound_at: UtcDateTime | None
    last_outbound_at: UtcDateTime | None
    created_at: UtcDateTime
    updated_at: UtcDateTime


class AccountPage(Schema):
    items: list[AccountOut]
    next_cursor: str | None = Field(description="pass as ?cursor= for the next page; null at end")


class ContactOut(Schema):
    id: int
    name: str
    title: str
    emails: list[str] = Field(description="primary address first")
    phones: list[str] = Field(description="E.164")


class AccountCounts(Schema):
    contacts: int
    emails: int
    notes: int
    calls: int
    meetings: int
    threads: int


class AccountDetailOut(AccountOut):
    contacts: list[ContactOut]
    counts: AccountCounts


class TimelineEntryOut(Schema):
    model_config = ConfigDict(from_attributes=True, populate_by_name=True)

    id: int
    kind: ActivityKind
    time: UtcDateTime
    subject: str = Field(description="the email's subject; empty for other kinds")
    summary: str = Field(description="the email's snippet, or the note / call / meeting text")
    direction: Direction | None
    from_: AddressOut | None = Field(alias="from", description="the email's sender")
    actor: str | None = Field(description="username who wrote the note or logged the call")
    thread_id: int | None
    message_id: int | None
    note_id: int | None
    automated: bool
    mailboxes: list[str] = Field(description="our mailboxes holding a copy of the email")
    contacts: list[ContactRef]


class TimelinePage(Schema):
    items: list[TimelineEntryOut]
    next_cursor: str | None


class NoteIn(Schema):
    body: str = Field(description="the note's text (1 to 20,000 characters)")


class NoteOut(Schema):
    id: int
    account_id: int
    body: str
    author: str | None
    created_at: UtcDateTime


def contact_emails(contact: Contact) -> list[str]:
    """Return CONTACT's addresses, primary first (from prefetched emails)."""
    emails = sorted(contact.emails.all(), key=lambda e: (not e.is_primary, e.pk))
    return [e.email for e in emails]


def account_out(account: Account) -> AccountOut:
    """Render ACCOUNT (with owner, team, domains and tags loaded)."""
    return AccountOut(
        id=account.pk,
        name=account.name,
        domains=[d.domain for d in account.domains.all()],
        country=account.country,
        source=account.source,
        lifecycle=account.lifecycle,
        is_person=account.is_person,
        owner=account.owner.username if account.owner else None,
        team=account.team.name if account.team else None,
        tags=[t.name for t in account.tags.all()],
        first_contact_at=account.first_contact_at,
        last_inbound_at=account.last_inbound_at,
        last_outbound_at=account.last_outbound_at,
        created_at=account.created_at,
        updated_at=account.updated_at,
    )


def account_detail_out(
    account: Account, contacts: list[Contact], counts: dict[str, int]
) -> AccountDetailOut:
    """Render ACCOUNT with its CONTACTS and timeline COUNTS."""
    return AccountDetailOut(
        **account_out(account).model_dump(),
        contacts=[
            ContactOut(
                id=c.pk,
                name=c.name,
                title=c.title,
                emails=contact_emails(c),
                phones=list(c.phones or []),
            )
            for c in contacts
        ],
        counts=AccountCounts(**counts),
    )


def timeline_entry_out(activity: Activity) -> TimelineEntryOut:
    """Render one timeline entry (message, copies, contacts and emails prefetched)."""
    message = activity.message
    data = activity.data or {}
    contacts = [
        ContactRef(id=c.pk, name=c.name, email=next(iter(contact_emails(c)), ""))
        for c in sorted(activity.contacts.all(), key=lambda c: (c.name, c.pk))
    ]
    if message is not None:
        return TimelineEntryOut(
            id=activity.pk,
            kind=activity.kind,
            time=activity.occurred_at,
            subject=message.subject,
            summary=message.snippet,
            direction=message.direction,
            from_=AddressOut(name=message.from_name, email=message.from_email),
            actor=None,
            thread_id=activity.thread_id,
            message_id=message.pk,
            note_id=None,
            automated=message.is_automated,
            mailboxes=sorted({c.mailbox.address for c in message.copies.all()}),
            contacts=contacts,
        )
    return TimelineEntryOut(
        id=activity.pk,
        kind=activity.kind,
        time=activity.occurred_at,
        subject="",
        summary=str(data.get("summary", "")),
        direction=None,
        from_=None,
        actor=activity.actor.username if activity.actor else None,
        thread_id=activity.thread_id,
        message_id=None,
        note_id=data.get("note_id"),
        automated=False,
        mailboxes=[],
        contacts=contacts,
    )


def note_out(note: Note) -> NoteOut:
    return NoteOut(
        id=note.pk,
        account_id=note.account_id,
        body=note.body,
        author=note.author.username if note.author else None,
        created_at=note.created_at,
    )
