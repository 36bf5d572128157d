"""Reads of customer data, always scoped to the actor."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet

from keyou.crm.models import Account, AccountDomain, Activity, ActivityKind, Contact, Lifecycle
from keyou.people.access import Actor, NotAllowed, scope_q


class NotFound(LookupError):
    """The record does not exist, or the actor may not see it (never say which)."""


def accounts_visible_to(actor: Actor) -> QuerySet[Account]:
    """Return the accounts ACTOR may see."""
    return Account.objects.filter(scope_q(actor))


ACCOUNT_SORTS = {
    "name": ("name", "id"),
    "-name": ("-name", "-id"),
    "last_contact": ("last_inbound_at", "id"),
    "-last_contact": ("-last_inbound_at", "-id"),
    "created": ("created_at", "id"),
    "-created": ("-created_at", "-id"),
}


@dataclass(frozen=True)
class AccountFilters:
    """What an accounts list may be narrowed by; every field optional."""

    q: str = ""
    owner_id: int | None = None
    team_id: int | None = None
    tag: str = ""
    lifecycle: str = ""
    country: str = ""
    last_contact_before: datetime | None = None
    last_contact_after: datetime | None = None
    awaiting_reply: bool = False
    sort: str = "-last_contact"


def accounts_list(actor: Actor, filters: AccountFilters | None = None) -> QuerySet[Account]:
    """Return ACTOR's accounts narrowed by FILTERS and sorted (stable: id breaks ties)."""
    f = filters or AccountFilters()
    qs = accounts_visible_to(actor)
    if f.q:
        text = f.q.strip()
        matching_contacts = Contact.objects.filter(
            Q(name__icontains=text) | Q(emails__email__icontains=text.casefold())
        ).values("account_id")
        qs = qs.filter(
            Q(name__icontains=text)
            | Q(
                pk__in=AccountDomain.objects.filter(domain__icontains=text.casefold()).values(
                    "account_id"
                )
            )
            | Q(pk__in=matching_contacts)
        )
    if f.owner_id:
        qs = qs.filter(owner_id=f.owner_id)
    if f.team_id:
        qs = qs.filter(team_id=f.team_id)
    if f.tag:
        qs = qs.filter(tags__name=f.tag)
    if f.lifecycle and f.lifecycle in Lifecycle.values:
        qs = qs.filter(lifecycle=f.lifecycle)
    if f.country:
        qs = qs.filter(country=f.country.upper())
    if f.last_contact_before:
        qs = qs.filter(last_inbound_at__lt=f.last_contact_before)
    if f.last_contact_after:
        qs = qs.filter(last_inbound_at__gte=f.last_contact_after)
    if f.awaiting_reply:
        qs = qs.filter(Exists(_awaiting_threads()))
    order = ACCOUNT_SORTS.get(f.sort, ACCOUNT_SORTS["-last_contact"])
    if order[0].lstrip("-") == "last_inbound_at":
        from django.db.models import F

        field = F("last_inbound_at")
        first = (
            field.desc(nulls_last=True) if order[0].startswith("-") else field.asc(nulls_last=True)
        )
        return qs.order_by(first, order[1])
    return qs.order_by(*order)


def _awaiting_threads() -> QuerySet[Activity]:
    return Activity.objects.filter(
        account_id=OuterRef("pk"), kind=ActivityKind.EMAIL, thread__awaiting_since__isnull=False
    )


def accounts_search(actor: Actor, *, q: str = "", limit: int | None = None) -> QuerySet[Account]:
    """Return ACTOR's accounts whose name, domain or contact matches Q, by name."""
    qs = accounts_list(actor, AccountFilters(q=q, sort="name"))
    return qs[:limit] if limit else qs


def account_get_for(actor: Actor, ref: str | int, *, write: bool = False) -> Account:
    """Return the account with id or domain REF that ACTOR may see, else raise NotFound.

    With WRITE, an account ACTOR may see but not change (a read-only grant, a
    role without the edit capability) raises NotAllowed instead.
    """
    qs = accounts_visible_to(actor).select_related("owner", "team")
    text = str(ref).strip()
    if text.isdigit():
        account = qs.filter(pk=int(text)).first()
    else:
        from keyou.mail.domains import registrable_domain

        domain = registrable_domain(text) or text.casefold()
        hit = AccountDomain.objects.filter(domain=domain).values_list("account_id", flat=True)
        account = qs.filter(pk__in=list(hit)).first()
    if account is None:
        raise NotFound(f"account {ref!r} not found")
    if write and not Account.objects.filter(scope_q(actor, write=True), pk=account.pk).exists():
        raise NotAllowed("edit_customers")
    return account


def contacts_visible_to(actor: Actor) -> QuerySet[Contact]:
    """Return the contacts of the accounts ACTOR may see."""
    return Contact.objects.filter(account__in=accounts_visible_to(actor).values("pk"))


def contact_get_for(actor: Actor, contact_id: int) -> Contact:
    """Return the contact CONTACT_ID if ACTOR may see its account, else raise NotFound."""
    contact = (
        contacts_visible_to(actor)
        .select_related("account")
        .prefetch_related("emails")
        .filter(pk=contact_id)
        .first()
    )
    if contact is None:
        raise NotFound(f"contact {contact_id!r} not found")
    return contact


def contacts_by_email(actor: Actor, email: str) -> QuerySet[Contact]:
    """Return ACTOR's contacts having the address EMAIL (case-folded)."""
    from keyou.mail.parse import normalize_email

    return (
        contacts_visible_to(actor)
        .filter(emails__email=normalize_email(email))
        .select_related("account")
        .prefetch_related("emails")
    )


def account_contacts(actor: Actor, account: Account) -> QuerySet[Contact]:
    """Return the contacts of ACCOUNT (which ACTOR already may see), with their emails."""
    return Contact.objects.filter(account=account).prefetch_related("emails").order_by("name", "id")


def account_counts(account: Account) -> dict[str, int]:
    """Return timeline counts of ACCOUNT by activity kind, plus contacts and threads."""
    kinds = dict(
        Activity.objects.filter(account=account)
        .values_list("kind")
        .annotate(n=Count("id"))
        .values_list("kind", "n")
    )
    threads = (
        Activity.objects.filter(account=account, kind=ActivityKind.EMAIL)
        .exclude(thread=None)
        .values("thread")
        .distinct()
        .count()
    )
    return {
        "contacts": account.contacts.count(),
        "emails": kinds.get(ActivityKind.EMAIL, 0),
        "notes": kinds.get(ActivityKind.NOTE, 0),
        "calls": kinds.get(ActivityKind.CALL, 0),
        "meetings": kinds.get(ActivityKind.MEETING, 0),
        "threads": threads,
    }


def timeline_for(
    actor: Actor,
    account_ref: str | int | Account,
    *,
    kinds: set[str] | None = None,
    contact_id: int | None = None,
) -> QuerySet[Activity]:
    """Return the timeline of an account ACTOR may see, newest first.

    KINDS narrows to activity kinds; CONTACT_ID to entries involving that contact.
    """
    from keyou.mail.models import MailboxCopy

    account = (
        account_ref if isinstance(account_ref, Account) else account_get_for(actor, account_ref)
    )
    copies = MailboxCopy.objects.select_related("mailbox").order_by("mailbox__address", "folder")
    from keyou.mail.selectors import private_thread_q

    # Emails of a private thread stay off the timeline for those outside it.
    qs = Activity.objects.filter(account=account).filter(private_thread_q(actor))
    if kinds:
        qs = qs.filter(kind__in=kinds)
    if contact_id:
        qs = qs.filter(contacts__id=contact_id)
    return (
        qs.select_related("message", "thread", "actor")
        .prefetch_related(Prefetch("message__copies", queryset=copies), "contacts")
        .order_by("-occurred_at", "-id")
    )
