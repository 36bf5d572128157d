"""Quotes, orders and payments on a deal: numbering, statuses, attachments from the customer's mail."""

from __future__ import annotations

from datetime import date

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from keyou.crm.activities import deal_record_activity
from keyou.crm.models import Activity, ActivityKind
from keyou.crm.selectors import NotFound, account_get_for
from keyou.deals.models import Deal, DealRecord, RecordKind, RecordStatus
from keyou.deals.money import InvalidMoney, amount_clean, currency_clean
from keyou.deals.services import InvalidDeal
from keyou.mail.models import Attachment
from keyou.mail.selectors import attachment_get_for, may_read_bodies, messages_visible_to
from keyou.people.access import SYSTEM, Actor

S = RecordStatus
# Each kind's statuses, the first one a new record gets.
STATUSES: dict[str, tuple[str, ...]] = {
    RecordKind.QUOTE: (S.DRAFT, S.SENT, S.ACCEPTED, S.REJECTED),
    RecordKind.ORDER: (S.CONFIRMED, S.SHIPPED, S.DELIVERED, S.CANCELLED),
    RecordKind.PAYMENT: (S.EXPECTED, S.RECEIVED, S.CANCELLED),
}
PREFIX = {RecordKind.QUOTE: "Q", RecordKind.ORDER: "O", RecordKind.PAYMENT: "P"}
ATTACHMENT_CHOICES = 100


def _actor_id(actor: Actor) -> int | None:
    return None if actor is SYSTEM else actor.pk


def record_statuses(kind: str) -> list[tuple[str, str]]:
    """Return the (value, label) statuses a record of KIND can have."""
    return [(s, RecordStatus(s).label) for s in STATUSES.get(kind, ())]


def record_number_next(kind: str, on: date) -> str:
    """Return the next free number of KIND in ON's year, e.g. Q-2026-0007."""
    prefix = f"{PREFIX[kind]}-{on.year}-"
    taken = DealRecord.objects.filter(kind=kind, number__startswith=prefix).values_list(
        "number", flat=True
    )
    last = max((int(n[len(prefix) :]) for n in taken if n[len(prefix) :].isdigit()), default=0)
    return f"{prefix}{last + 1:04d}"


def deal_attachments(actor: Actor, deal: Deal) -> list[Attachment]:
    """Return the attachments of mail filed on DEAL's account that ACTOR may open, newest first."""
    if not may_read_bodies(actor):
        return []
    filed = Activity.objects.filter(account_id=deal.account_id, kind=ActivityKind.EMAIL).values(
        "message_id"
    )
    return list(
        Attachment.objects.filter(
            message_id__in=filed,
            inline=False,
            message__in=messages_visible_to(actor).values("pk"),
        )
        .select_related("message")
        .order_by("-message__sent_at", "-id")[:ATTACHMENT_CHOICES]
    )


def _attachment_check(actor: Actor, deal: Deal, attachment: Attachment | int) -> Attachment:
    pk = attachment.pk if isinstance(attachment, Attachment) else int(attachment)
    try:
        found = attachment_get_for(actor, pk)
    except NotFound:
        raise InvalidDeal(gettext_noop("that attachment is not one you can open")) from None
    if not Activity.objects.filter(
        account_id=deal.account_id, message_id=found.message_id, kind=ActivityKind.EMAIL
    ).exists():
        raise InvalidDeal(gettext_noop("that attachment is not from this customer's mail"))
    return found


@transaction.atomic
def deal_record_add(
    *,
    actor: Actor,
    deal: Deal,
    kind: str,
    amount: object,
    currency: str = "",
    number: str = "",
    on: date | None = None,
    status: str = "",
    attachment: Attachment | int | None = None,
    note: str = "",
) -> DealRecord:
    """Add a quote, order or payment to DEAL and put it on the timeline; return it.

    NUMBER is generated when blank (Q-2026-0001, O-…, P-… per kind and year) and is
    unique per kind. CURRENCY defaults to the deal's; ON to today; STATUS to the
    kind's first. ATTACHMENT must come from mail filed on the deal's account that
    ACTOR may open.
    """
    if actor is not SYSTEM:
        account_get_for(actor, deal.account_id, write=True)
    if kind not in STATUSES:
        raise InvalidDeal(gettext_noop("a record is a quote, an order or a payment"))
    status = status or STATUSES[kind][0]
    if status not in STATUSES[kind]:
        raise InvalidDeal(gettext_noop("that status does not fit this kind of record"))
    try:
        value = amount_clean(amount)
        code = currency_clean(currency or deal.currency)
    except InvalidMoney as exc:
        raise InvalidDeal(exc.template, **exc.params) from None
    on = on or timezone.localdate()
    found = _attachment_check(actor, deal, attachment) if attachment not in (None, "") else None
    number = " ".join((number or "").split())[:60]
    generated = not number
    for _attempt in range(5):
        record = DealRecord(
            deal=deal,
            kind=kind,
            number=number or record_number_next(kind, on),
            date=on,
            amount=value,
            currency=code,
            status=status,
            attachment=found,
            note=" ".join(note.split())[:500],
            created_by_id=_actor_id(actor),
        )
        try:
            with transaction.atomic():
                record.save()
            break
        except IntegrityError:
            if not generated:
                raise InvalidDeal(
                    gettext_noop("the number %(number)s is taken"), number=number
                ) from None
    else:  # five concurrent adds took each number we tried
        raise InvalidDeal(gettext_noop("could not number the record: try again"))
    deal_record_activity(
        record=record, actor_id=_actor_id(actor), occurred_at=timezone.now(), event="added"
    ).save()
    return record


@transaction.atomic
def deal_record_status_set(*, actor: Actor, record: DealRecord, status: str) -> DealRecord:
    """Change RECORD's status (one its kind allows) and put the change on the timeline."""
    if actor is not SYSTEM:
        account_get_for(actor, record.deal.account_id, write=True)
    if status not in STATUSES.get(record.kind, ()):
        raise InvalidDeal(gettext_noop("that status does not fit this kind of record"))
    if status == record.status:
        return record
    record.status = status
    record.save(update_fields=["status"])
    deal_record_activity(
        record=record, actor_id=_actor_id(actor), occurred_at=timezone.now(), event="status"
    ).save()
    return record
