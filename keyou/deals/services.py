"""Changes to deals: create, edit, product lines, and moving through the stages.

Every change to a deal goes through here, whether a person makes it (the web
app, the CLI) or a rule does (SYSTEM). Entering a stage checks what the stage
requires, records the move (a StageChange, a timeline entry, a
`deal.stage_changed` event) and creates the stage's SOP tasks.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from keyou.automation.events import DEAL_CREATED, DEAL_STAGE_CHANGED, event_emit
from keyou.crm.activities import deal_activity
from keyou.crm.models import Account, Contact
from keyou.crm.selectors import account_get_for
from keyou.deals.fields import (
    InvalidDeal,
    MissingFields,
    contacts_clean,
    field_set,
    lost_reason_get,
    missing_fields,
    stage_get,
)
from keyou.deals.models import (
    Deal,
    DealLine,
    DealStatus,
    LostReason,
    Pipeline,
    Stage,
    StageChange,
    StageKind,
)
from keyou.deals.money import InvalidMoney, amount_clean, company_currency
from keyou.deals.pipelines import InvalidPipeline, pipeline_get
from keyou.deals.sop import sop_tasks_create
from keyou.deals.stages import LOST_REASON, REQUIRABLE
from keyou.people.access import SYSTEM, Actor, can
from keyou.people.models import Capability, User

MAX_LINES = 200

__all__ = [  # the errors callers catch live with the field cleaning, and are re-exported
    "InvalidDeal",
    "MissingFields",
    "deal_create",
    "deal_from_lead",
    "deal_lines_set",
    "deal_move_stage",
    "deal_update",
    "stage_get",
]


# --- Helpers -------------------------------------------------------------------------


def _actor_id(actor: Actor) -> int | None:
    return None if actor is SYSTEM else actor.pk


def _writable_account(actor: Actor, account: Account) -> Account:
    """Return ACCOUNT if ACTOR may change it (NotFound if unseen, NotAllowed if read-only)."""
    if actor is SYSTEM:
        return account
    return account_get_for(actor, account.pk, write=True)


def _owner_check(actor: Actor, owner: User, account: Account) -> None:
    if not owner.is_active or owner.departed_at is not None:
        raise InvalidDeal(gettext_noop("%(user)s is not an active user"), user=owner.username)
    if actor is SYSTEM or owner.pk == actor.pk or owner.pk == account.owner_id:
        return
    if not can(actor, Capability.ASSIGN):
        raise InvalidDeal(gettext_noop("you can give deals to yourself only"))


def _stage_enter(*, actor: Actor, deal: Deal, stage: Stage, now: datetime) -> StageChange:
    """Record DEAL entering STAGE (saved already) and create the stage's tasks."""
    change = StageChange.objects.create(
        deal=deal,
        from_stage=None,
        to_stage=stage,
        actor_id=_actor_id(actor),
        at=now,
    )
    sop_tasks_create(deal=deal, stage=stage, change=change)
    return change


# --- Create and edit ----------------------------------------------------------------------


@transaction.atomic
def deal_create(
    *,
    actor: Actor,
    account: Account,
    title: str,
    pipeline: Pipeline | str | int | None = None,
    stage: Stage | str | int | None = None,
    owner: User | None = None,
    amount: Decimal | str | None = None,
    currency: str = "",
    expected_close: date | str | None = None,
    source: str = "",
    contacts: Iterable[Contact | int] = (),
    lead: Any = None,
    thread: Any = None,
    source_rule: Any = None,
    source_key: str | None = None,
) -> Deal:
    """Open a deal with ACCOUNT and return it; with SOURCE_KEY, return the existing one if any.

    PIPELINE defaults to the default one, STAGE to its first stage, OWNER to the
    account's owner (else ACTOR). A stage that requires fields refuses with
    MissingFields like a move would. The deal enters its stage (history, SOP
    tasks), shows on the account's timeline and emits `deal.created`.
    """
    if source_key:
        existing = Deal.objects.filter(source_key=source_key).first()
        if existing is not None:
            return existing
    account = _writable_account(actor, account)
    try:
        pipeline = pipeline if isinstance(pipeline, Pipeline) else pipeline_get(pipeline)
    except InvalidPipeline as exc:
        raise InvalidDeal(exc.template, **exc.params) from None
    stage = stage_get(pipeline, stage)
    if stage.kind != StageKind.OPEN:
        raise InvalidDeal(gettext_noop("a new deal starts in an open stage"))
    if owner is None:
        if account.owner_id and account.owner.is_active and account.owner.departed_at is None:
            owner = account.owner
        elif actor is not SYSTEM:
            owner = actor
    if owner is not None:
        _owner_check(actor, owner, account)
    now = timezone.now()
    deal = Deal(
        title="",
        account=account,
        pipeline=pipeline,
        stage=stage,
        owner=owner,
        team_id=owner.team_id if owner is not None and owner.team_id else account.team_id,
        stage_entered_at=now,
        lead=lead,
        thread=thread,
        created_by_id=_actor_id(actor),
        source_rule=source_rule,
        source_key=source_key or None,
    )
    field_set(deal, "title", title)
    field_set(deal, "amount", amount)
    field_set(deal, "currency", currency)
    if deal.amount is not None and not deal.currency:
        deal.currency = company_currency()
    field_set(deal, "expected_close", expected_close)
    field_set(deal, "source", source)
    chosen = contacts_clean(account, list(contacts))
    missing = missing_fields(deal, stage, chosen)
    if missing:
        raise MissingFields(stage=stage, fields=missing)
    try:
        with transaction.atomic():
            deal.save()
    except IntegrityError:
        if source_key:  # a concurrent run of the same rule action made it first
            return Deal.objects.get(source_key=source_key)
        raise
    if chosen:
        deal.contacts.set(chosen)
    deal_activity(
        deal=deal, actor_id=_actor_id(actor), occurred_at=now, event="created", to_stage=stage.name
    ).save()
    event_emit(
        DEAL_CREATED,
        account_id=account.pk,
        deal_id=deal.pk,
        actor_id=_actor_id(actor),
        data={"stage_id": stage.pk, "stage_name": stage.name, "pipeline_id": pipeline.pk},
    )
    _stage_enter(actor=actor, deal=deal, stage=stage, now=now)
    return deal


EDITABLE_FIELDS = ("title", "amount", "currency", "expected_close", "source")


@transaction.atomic
def deal_update(
    *,
    actor: Actor,
    deal: Deal,
    owner: User | None = None,
    contacts: Iterable[Contact | int] | None = None,
    **changes: Any,
) -> Deal:
    """Change DEAL's fields (title, amount, currency, expected_close, source), owner or contacts.

    A field the current stage requires cannot be emptied. The timeline says which
    fields changed (not their values: not every reader may see amounts).
    """
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise InvalidDeal(gettext_noop("cannot set %(field)s"), field=", ".join(sorted(unknown)))
    account = _writable_account(actor, deal.account)
    deal = (
        Deal.objects.select_for_update(of=("self",))
        .select_related("stage", "account")
        .get(pk=deal.pk)
    )
    before = {f: getattr(deal, f) for f in EDITABLE_FIELDS}
    for field, value in changes.items():
        field_set(deal, field, value)
    if deal.amount is not None and not deal.currency:
        deal.currency = company_currency()
    changed = [f for f in EDITABLE_FIELDS if getattr(deal, f) != before[f]]
    chosen = contacts_clean(account, list(contacts)) if contacts is not None else None
    if chosen is not None and {c.pk for c in chosen} != set(
        deal.contacts.values_list("pk", flat=True)
    ):
        changed.append("contacts")
    if owner is not None and owner.pk != deal.owner_id:
        _owner_check(actor, owner, account)
        deal.owner, deal.team_id = owner, owner.team_id or account.team_id
        changed.append("owner")
    missing = missing_fields(deal, deal.stage, chosen)
    if missing:
        raise MissingFields(stage=deal.stage, fields=missing)
    if not changed:
        return deal
    deal.save()
    if chosen is not None:
        deal.contacts.set(chosen)
    deal_activity(
        deal=deal,
        actor_id=_actor_id(actor),
        occurred_at=timezone.now(),
        event="updated",
        fields=changed,
    ).save()
    return deal


@transaction.atomic
def deal_lines_set(
    *, actor: Actor, deal: Deal, lines: Iterable[Mapping[str, Any]]
) -> list[DealLine]:
    """Replace DEAL's product lines with LINES ({"product", "quantity", "unit_price"}); return them.

    Lines without a product are skipped (an empty row of a form).
    """
    _writable_account(actor, deal.account)
    rows = []
    for item in lines:
        product = " ".join(str(item.get("product") or "").split())[:200]
        if not product:
            continue
        try:
            quantity = Decimal(str(item.get("quantity") or "1").strip())
            price = item.get("unit_price")
            price = None if price in (None, "") else amount_clean(price)
        except (ArithmeticError, ValueError, InvalidMoney):
            raise InvalidDeal(
                gettext_noop("check the quantity and price of %(product)s"), product=product
            ) from None
        if not quantity.is_finite() or quantity <= 0 or quantity >= Decimal("1e11"):
            raise InvalidDeal(
                gettext_noop("check the quantity and price of %(product)s"), product=product
            )
        rows.append(
            DealLine(
                deal=deal,
                product=product,
                quantity=quantity.quantize(Decimal("0.001")),
                unit_price=price,
                position=len(rows),
            )
        )
    if len(rows) > MAX_LINES:
        raise InvalidDeal(gettext_noop("a deal can hold at most 200 lines"))
    DealLine.objects.filter(deal=deal).delete()
    return DealLine.objects.bulk_create(rows)


# --- Moving through the stages ------------------------------------------------------------


@transaction.atomic
def deal_move_stage(
    *,
    actor: Actor,
    deal: Deal,
    stage: Stage | str | int,
    values: Mapping[str, Any] | None = None,
    lost_reason: LostReason | str | int | None = None,
    lost_note: str = "",
) -> Deal:
    """Move DEAL into STAGE (a stage of its pipeline, its id or name) and return it.

    VALUES fill fields the stage requires in the same step (field name → value, as
    typed); without them a stage whose required fields are empty refuses with
    MissingFields naming them. A lost stage needs LOST_REASON (also accepted in
    VALUES as "lost_reason"). A won or lost stage closes the deal, an open one
    (re)opens it. Moving into the stage the deal is in changes nothing.
    """
    values = dict(values or {})
    lost_reason = lost_reason or values.pop(LOST_REASON, None)
    lost_note = lost_note or str(values.pop("lost_note", "") or "")
    _writable_account(actor, deal.account)
    deal = (
        Deal.objects.select_for_update(of=("self",))
        .select_related("account", "stage", "pipeline", "owner")
        .get(pk=deal.pk)
    )
    stage = stage_get(deal.pipeline, stage)
    if stage.pk == deal.stage_id:
        return deal
    previous, previous_status = deal.stage, deal.status
    contacts = None
    for field, value in values.items():
        if field == "contacts":
            contacts = contacts_clean(deal.account, value)
        elif field in REQUIRABLE:
            field_set(deal, field, value)
        else:
            raise InvalidDeal(gettext_noop("cannot set %(field)s"), field=field)
    if deal.amount is not None and not deal.currency:
        deal.currency = company_currency()
    missing = missing_fields(deal, stage, contacts)
    reason = lost_reason_get(lost_reason) if stage.kind == StageKind.LOST else None
    if stage.kind == StageKind.LOST and reason is None:
        missing.append(LOST_REASON)
    if missing:
        raise MissingFields(stage=stage, fields=missing)
    now = timezone.now()
    deal.stage, deal.stage_entered_at, deal.stalled_at = stage, now, None
    if stage.kind == StageKind.WON:
        deal.status, deal.closed_at = DealStatus.WON, now
        deal.lost_reason, deal.lost_note = None, ""
    elif stage.kind == StageKind.LOST:
        deal.status, deal.closed_at = DealStatus.LOST, now
        deal.lost_reason, deal.lost_note = reason, " ".join(lost_note.split())[:500]
    else:
        deal.status, deal.closed_at = DealStatus.OPEN, None
        deal.lost_reason, deal.lost_note = None, ""
    deal.save()
    if contacts is not None:
        deal.contacts.set(contacts)
    change = StageChange.objects.create(
        deal=deal, from_stage=previous, to_stage=stage, actor_id=_actor_id(actor), at=now
    )
    data = {
        "from_stage_id": previous.pk,
        "from_stage_name": previous.name,
        "to_stage_id": stage.pk,
        "to_stage_name": stage.name,
        "status": deal.status,
        "previous_status": previous_status,
    }
    deal_activity(
        deal=deal,
        actor_id=_actor_id(actor),
        occurred_at=now,
        event="moved",
        from_stage=previous.name,
        to_stage=stage.name,
        status=deal.status,
        lost_reason=reason.name if reason else "",
        lost_note=deal.lost_note,
    ).save()
    event_emit(
        DEAL_STAGE_CHANGED,
        account_id=deal.account_id,
        deal_id=deal.pk,
        actor_id=_actor_id(actor),
        data=data,
    )
    sop_tasks_create(deal=deal, stage=stage, change=change)
    return deal


@transaction.atomic
def deal_from_lead(*, actor: Actor, lead: Any) -> Deal:
    """Open a deal from LEAD (a crm.Lead) in the default pipeline's first stage; return it.

    The lead's account, contact, thread and source carry over and the lead is marked
    converted. A lead converted before returns its deal instead of a second one.
    """
    from keyou.crm.leads import lead_set_status
    from keyou.crm.models import LeadStatus

    existing = Deal.objects.filter(lead=lead).order_by("pk").first()
    if existing is not None:
        return existing
    deal = deal_create(
        actor=actor,
        account=lead.account,
        title=lead.title,
        source=lead.source or "lead",
        contacts=[lead.contact] if lead.contact_id else [],
        lead=lead,
        thread=lead.thread,
    )
    lead_set_status(actor=actor, lead=lead, status=LeadStatus.CONVERTED)
    return deal
