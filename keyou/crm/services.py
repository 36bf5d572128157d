"""Changes to customer data: notes, logged calls and meetings, fields, tags, re-filing."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from keyou.audit.models import AuditAction
from keyou.audit.services import audit
from keyou.automation.events import ACCOUNT_OWNER_CHANGED, event_emit
from keyou.crm.activities import interaction_activity, link_contacts, note_activity
from keyou.crm.duplicates import DEFAULT_PHONE_REGION, company_key, phone_keys
from keyou.crm.models import (
    Account,
    Activity,
    ActivityKind,
    Comment,
    Contact,
    ContactEmail,
    Lead,
    Lifecycle,
    Note,
    Tag,
    Task,
    TaskStatus,
    Tier,
)
from keyou.crm.phones import normalize_phone
from keyou.crm.selectors import account_get_for
from keyou.errors import UserFixableError
from keyou.mail.parse import normalize_email
from keyou.people.access import SYSTEM, Actor, require
from keyou.people.models import Capability, User
from keyou.search.services import (
    search_index_accounts,
    search_index_contacts,
    search_index_messages,
)


class InvalidChange(UserFixableError):
    """A change the user asked for that cannot be made; the message says why."""


def _actor_id(actor: Actor) -> int | None:
    return None if actor is SYSTEM else actor.pk


def _contacts_of(account: Account, contact_ids: Iterable[int]) -> list[Contact]:
    ids = set(contact_ids)
    contacts = list(Contact.objects.filter(account=account, pk__in=ids))
    if len(contacts) != len(ids):
        raise InvalidChange(gettext_noop("a chosen contact does not belong to this account"))
    return contacts


@transaction.atomic
def note_add(*, actor: Actor, account: Account, body: str) -> Note:
    """Add a note to ACCOUNT's timeline."""
    body = body.strip()
    if not body:
        raise InvalidChange(gettext_noop("a note cannot be empty"))
    if len(body) > 20_000:
        raise InvalidChange(gettext_noop("a note can hold at most 20,000 characters"))
    note = Note.objects.create(
        account=account,
        author_id=_actor_id(actor),
        body=body,
        owner_id=account.owner_id,
        team_id=account.team_id,
    )
    note_activity(note=note, actor_id=_actor_id(actor)).save()
    return note


@transaction.atomic
def interaction_log(
    *,
    actor: Actor,
    account: Account,
    kind: str,
    occurred_at: datetime,
    summary: str,
    outcome: str = "",
    next_step: str = "",
    duration_minutes: int | None = None,
    contact_ids: Iterable[int] = (),
) -> Activity:
    """Log a call or meeting with ACCOUNT (and some of its contacts) on its timeline."""
    if kind not in (ActivityKind.CALL, ActivityKind.MEETING):
        raise InvalidChange(gettext_noop("only calls and meetings can be logged"))
    if timezone.is_naive(occurred_at):
        raise InvalidChange(gettext_noop("the time needs a time zone"))
    if not summary.strip():
        raise InvalidChange(gettext_noop("say what was discussed"))
    contacts = _contacts_of(account, contact_ids)
    activity = interaction_activity(
        kind=ActivityKind(kind),
        account=account,
        occurred_at=occurred_at,
        actor_id=_actor_id(actor),
        summary=summary.strip()[:5000],
        outcome=outcome.strip()[:2000],
        next_step=next_step.strip()[:2000],
        duration_minutes=duration_minutes,
    )
    activity.save()
    link_contacts(activity, contacts)
    return activity


EDITABLE_ACCOUNT_FIELDS = ("name", "country", "source", "lifecycle", "tier")


@transaction.atomic
def account_update(*, actor: Actor, account: Account, **changes: str) -> Account:
    """Change ACCOUNT's editable fields (name, country, source, lifecycle, tier)."""
    unknown = set(changes) - set(EDITABLE_ACCOUNT_FIELDS)
    if unknown:
        raise InvalidChange(
            gettext_noop("cannot change %(fields)s"), fields=", ".join(sorted(unknown))
        )
    if "name" in changes and not changes["name"].strip():
        raise InvalidChange(gettext_noop("an account needs a name"))
    if "lifecycle" in changes and changes["lifecycle"] not in Lifecycle.values:
        raise InvalidChange(
            gettext_noop("lifecycle must be one of %(choices)s"),
            choices=", ".join(Lifecycle.values),
        )
    if "tier" in changes and changes["tier"] not in ("", *Tier.values):
        raise InvalidChange(
            gettext_noop("tier must be one of %(choices)s"), choices=", ".join(Tier.values)
        )
    if "country" in changes:
        country = changes["country"].strip().upper()
        if country and (len(country) != 2 or not country.isalpha()):
            raise InvalidChange(gettext_noop("country is a two-letter code such as CN or DE"))
        changes["country"] = country
    for field, value in changes.items():
        setattr(account, field, value.strip() if isinstance(value, str) else value)
    fields = [*changes, "updated_at"]
    if "name" in changes:
        account.name_key = company_key(account.name)[:255]
        fields.append("name_key")
    account.save(update_fields=fields)
    search_index_accounts([account.pk])
    return account


def account_tag_add(*, actor: Actor, account: Account, name: str) -> Tag:
    """Tag ACCOUNT with NAME (the tag is created on first use)."""
    name = " ".join(name.split())
    if not name:
        raise InvalidChange(gettext_noop("a tag needs a name"))
    if len(name) > 80:
        raise InvalidChange(gettext_noop("a tag name can hold at most 80 characters"))
    tag, _ = Tag.objects.get_or_create(name=name)
    account.tags.add(tag)
    return tag


def account_tag_remove(*, actor: Actor, account: Account, name: str) -> None:
    """Remove the tag NAME from ACCOUNT (nothing happens if it is not there)."""
    account.tags.remove(*Tag.objects.filter(name=name))


@transaction.atomic
def contact_add(
    *,
    actor: Actor,
    account: Account,
    name: str,
    email: str = "",
    title: str = "",
    phone: str = "",
    confirm_duplicates: bool = False,
) -> Contact:
    """Add a contact to ACCOUNT, optionally with an email address and a phone number.

    An address or number of another account's contact is a duplicate (see
    keyou.crm.customers.duplicates_guard): refused, or in warn mode allowed with
    CONFIRM_DUPLICATES.
    """
    from keyou.crm.customers import duplicates_guard  # it builds on this module

    address = normalize_email(email) if email else ""
    if email and not address:
        raise InvalidChange(gettext_noop("%(email)s is not an email address"), email=repr(email))
    number = normalize_phone(phone, account.country or DEFAULT_PHONE_REGION) if phone else ""
    if phone and not number:
        raise InvalidChange(gettext_noop("%(phone)s is not a phone number"), phone=repr(phone))
    if address or number:
        duplicates_guard(
            actor,
            emails=[address] if address else (),
            phones=[number] if number else (),
            exclude_account=account,
            email_domains=False,
            confirm=confirm_duplicates,
        )
    if address and ContactEmail.objects.filter(email=address).exists():
        raise InvalidChange(gettext_noop("%(email)s already belongs to a contact"), email=address)
    contact = Contact.objects.create(
        account=account,
        name=name.strip()[:255],
        title=title.strip()[:255],
        phones=[number] if number else [],
        phone_keys=phone_keys([number]),
        owner_id=account.owner_id,
        team_id=account.team_id,
    )
    if address:
        ContactEmail.objects.create(contact=contact, email=address, is_primary=True)
    search_index_contacts([contact.pk])
    search_index_accounts([account.pk])
    return contact


@transaction.atomic
def message_refile(
    *, actor: Actor, message_id: int, from_account: Account, to_account: Account
) -> Activity:
    """Move a message's timeline entry from FROM_ACCOUNT to TO_ACCOUNT (matching was wrong)."""
    if from_account.pk == to_account.pk:
        raise InvalidChange(gettext_noop("choose a different account"))
    entry = (
        Activity.objects.select_for_update()
        .filter(account=from_account, message_id=message_id, kind=ActivityKind.EMAIL)
        .first()
    )
    if entry is None:
        raise InvalidChange(gettext_noop("this message is not filed to that account"))
    from keyou.analytics.rollups import mail_rollup_pairs, mail_rollup_refresh

    counted_on = mail_rollup_pairs([message_id])  # the mail-volume rollup's account-days
    existing = Activity.objects.filter(account=to_account, message_id=message_id).first()
    if existing is not None:
        entry.delete()
        search_index_messages([message_id])
        mail_rollup_refresh(counted_on | mail_rollup_pairs([message_id]))
        return existing
    entry.account = to_account
    entry.owner_id = to_account.owner_id
    entry.team_id = to_account.team_id
    entry.data = {**entry.data, "refiled_from": from_account.pk, "refiled_by": _actor_id(actor)}
    entry.save(update_fields=["account", "owner", "team", "data"])
    entry.contacts.clear()
    search_index_messages([message_id])
    mail_rollup_refresh(counted_on | mail_rollup_pairs([message_id]))
    return entry


def _rows_follow(account: Account, **following: int | None) -> int:
    """Give the rows beside ACCOUNT (contacts, notes, timeline, tasks, leads, comments) its
    owner and team; return how many contacts moved."""
    return rows_follow_many([account.pk], **following)


def rows_follow_many(account_ids: list[int], **following: int | None) -> int:
    """Give the rows beside the accounts ACCOUNT_IDS the same FOLLOWING owner and/or team
    (a batch of `_rows_follow`, for the pool sweep); return how many contacts moved."""
    contacts = Contact.objects.filter(account_id__in=account_ids).update(**following)
    for model in (Note, Activity, Task, Lead, Comment):
        model.objects.filter(account_id__in=account_ids).update(**following)
    return contacts


@transaction.atomic
def account_pool_return(
    *, actor: Actor, account: Account, at: datetime | None = None, reason: str = ""
) -> bool:
    """Return ACCOUNT to the public pool at AT (default now): no owner, kept under its team.

    Audited, with REASON when given. Return False if it was already there.
    """
    if account.owner_id is None:
        return False
    at = at or timezone.now()
    before = account.owner.username
    previous_owner = account.owner_id
    account.owner, account.pooled_at = None, at
    account.save(update_fields=["owner", "pooled_at", "updated_at"])
    _rows_follow(account, owner_id=None)
    event_emit(
        ACCOUNT_OWNER_CHANGED,
        occurred_at=at,
        account_id=account.pk,
        actor_id=_actor_id(actor),
        data={"from": previous_owner, "to": None, "pool": True},
    )
    data = {"from": before, "to": None, "pool": True} | ({"reason": reason} if reason else {})
    audit(actor, AuditAction.ASSIGN, obj=account, data=data, at=at)
    return True


@transaction.atomic
def accounts_assign(*, actor: Actor, account: Account | int, owner: User) -> Account:
    """Give ACCOUNT (an account or its id) to OWNER: its owner and team, and its contacts'.

    ACTOR must see the account (else NotFound, as if it did not exist), may change
    it (a read-only grant is not enough) and holds the assign capability (else
    NotAllowed). Notes and timeline entries keep the account's owner and team
    beside it, so they follow too. Audited.
    """
    ref = account.pk if isinstance(account, Account) else account
    account_get_for(actor, ref)  # NotFound first: never say "not allowed" about an unseen one
    require(actor, Capability.ASSIGN)
    account = account_get_for(actor, ref, write=True)
    if not owner.is_active or owner.departed_at:
        raise InvalidChange(gettext_noop("%(user)s is not an active user"), user=owner.username)
    before = {
        "owner": account.owner.username if account.owner_id else None,
        "team": account.team.name if account.team_id else None,
    }
    if account.owner_id == owner.pk and account.team_id == owner.team_id:
        return account
    previous_owner = account.owner_id
    account.owner, account.team, account.pooled_at = owner, owner.team, None
    account.assigned_at, account.protected_until = timezone.now(), None
    account.save(
        update_fields=["owner", "team", "pooled_at", "assigned_at", "protected_until", "updated_at"]
    )
    event_emit(
        ACCOUNT_OWNER_CHANGED,
        account_id=account.pk,
        actor_id=_actor_id(actor),
        data={"from": previous_owner, "to": owner.pk},
    )
    contacts = _rows_follow(account, owner_id=owner.pk, team_id=owner.team_id)
    if previous_owner:
        # Open work on the customer goes with it.
        Task.objects.filter(
            account=account, assignee_id=previous_owner, status=TaskStatus.OPEN
        ).update(assignee=owner)
    after = {"owner": owner.username, "team": owner.team.name if owner.team_id else None}
    audit(
        actor,
        AuditAction.ASSIGN,
        obj=account,
        data={"from": before, "to": after, "contacts": contacts},
    )
    return account
