"""File new messages on their customers' timelines (step 6 of the flow of one email)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from keyou.crm.matching import Matcher
from keyou.crm.models import Account, Activity, ActivityKind
from keyou.mail.models import Direction, Mailbox, MailboxKind


@dataclass(slots=True)
class ToFile:
    """One new message, as filing needs it."""

    message_pk: int
    thread_id: int | None
    sent_at: datetime
    direction: str
    subject: str
    automated: bool
    external: dict[str, str]  # normalized address -> display name


@dataclass(slots=True)
class FilingResult:
    accounts_created: int
    contacts_created: int
    new_account_ids: list[int]
    new_contact_ids: list[int]


def mailbox_owner(mailbox: Mailbox) -> tuple[int | None, int | None]:
    """Return (owner, team) for customers first seen in MAILBOX.

    New customers found in a personal mailbox belong to its owner; those found
    in a shared mailbox go to the public pool (no owner), under its team.
    """
    if mailbox.kind == MailboxKind.SHARED:
        return None, mailbox.team_id
    owner = mailbox.owners.order_by("pk").first()
    if owner is None:
        return None, mailbox.team_id
    return owner.pk, owner.team_id or mailbox.team_id


def messages_file(*, mailbox: Mailbox, items: list[ToFile]) -> FilingResult:
    """Match each message's external people and add one timeline entry per account."""
    matcher = Matcher()
    matcher.prefetch(e for item in items for e in item.external)
    owner_id, team_id = mailbox_owner(mailbox)
    activities: list[Activity] = []
    contact_links: list[list[int]] = []
    touched: dict[int, dict[str, datetime]] = {}
    for item in sorted(items, key=lambda i: i.sent_at):
        if not item.external:
            continue  # mail purely between our own people is never on a customer timeline
        per_account: dict[int, list[int]] = {}
        for email, name in item.external.items():
            match = matcher.resolve(
                email, name, create=not item.automated, owner_id=owner_id, team_id=team_id
            )
            if match is not None:
                per_account.setdefault(match.account_id, []).append(match.contact_id)
        for account_id, contact_ids in per_account.items():
            acc_owner, acc_team = matcher.account_owner_team(account_id)
            activities.append(
                Activity(
                    kind=ActivityKind.EMAIL,
                    account_id=account_id,
                    occurred_at=item.sent_at,
                    message_id=item.message_pk,
                    thread_id=item.thread_id,
                    owner_id=acc_owner,
                    team_id=acc_team,
                    data={
                        "direction": str(item.direction),
                        "subject": item.subject[:300],
                        "automated": item.automated,
                    },
                )
            )
            contact_links.append(contact_ids)
            if not item.automated:
                dates = touched.setdefault(account_id, {})
                dates["first"] = min(dates.get("first", item.sent_at), item.sent_at)
                key = "in" if item.direction == Direction.INBOUND else "out"
                dates[key] = max(dates.get(key, item.sent_at), item.sent_at)
    created = Activity.objects.bulk_create(activities)
    through = Activity.contacts.through
    through.objects.bulk_create(
        [
            through(activity_id=activity.pk, contact_id=contact_id)
            for activity, contact_ids in zip(created, contact_links, strict=True)
            for contact_id in dict.fromkeys(contact_ids)
        ],
        ignore_conflicts=True,
    )
    _touch_accounts(touched)
    return FilingResult(
        accounts_created=matcher.accounts_created,
        contacts_created=matcher.contacts_created,
        new_account_ids=matcher.new_account_ids,
        new_contact_ids=matcher.new_contact_ids,
    )


def _touch_accounts(touched: dict[int, dict[str, datetime]]) -> None:
    """Move each account's key dates (first contact, last inbound/outbound).

    One locking read and one batched UPDATE for the whole batch; only accounts whose
    dates actually move are written. The rows are locked (PostgreSQL) so a concurrent
    import of another mailbox cannot move a date backwards.
    """
    if not touched:
        return
    fields = ("first_contact_at", "last_inbound_at", "last_outbound_at")
    rows = (
        Account.objects.select_for_update()
        .filter(pk__in=sorted(touched))
        .order_by("pk")
        .only("pk", *fields)
    )
    changed = []
    for account in rows:
        dates = touched[account.pk]
        moved = False
        if account.first_contact_at is None or dates["first"] < account.first_contact_at:
            account.first_contact_at = dates["first"]
            moved = True
        for key, field in (("in", "last_inbound_at"), ("out", "last_outbound_at")):
            at = dates.get(key)
            current = getattr(account, field)
            if at is not None and (current is None or at > current):
                setattr(account, field, at)
                moved = True
        if moved:
            changed.append(account)
    if changed:
        Account.objects.bulk_update(changed, fields, batch_size=500)
