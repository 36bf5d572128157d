"""Reading what people type into a deal's fields, and what a stage still needs.

Shared by the services (create, edit, move) and the forms that ask for missing
fields: each value is cleaned the same way whichever way it came in.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.utils.translation import gettext, gettext_noop

from keyou.crm.models import Account, Contact
from keyou.deals.models import Deal, LostReason, Pipeline, Stage
from keyou.deals.money import InvalidMoney, amount_clean, currency_clean
from keyou.deals.stages import REQUIRABLE, field_label, label
from keyou.errors import UserFixableError


class InvalidDeal(UserFixableError):
    """A change to a deal that cannot be made; the message says why."""


class MissingFields(InvalidDeal):
    """Entering STAGE needs FIELDS filled first (deal field names, or "lost_reason").

    The board's dialog asks for exactly these and sends them back as `values`.
    """

    def __init__(self, *, stage: Stage, fields: list[str]) -> None:
        self.stage = stage
        self.fields = list(fields)
        super().__init__(
            gettext_noop("to enter %(stage)s, first fill in: %(fields)s"),
            stage=stage.name,
            fields=", ".join(self.fields),
        )

    def localized(self) -> str:
        """Return the message in the active language, with the stage and fields named in it."""
        return gettext(self.template) % {
            "stage": label(self.stage.name),
            "fields": ", ".join(field_label(f) for f in self.fields),
        }


def stage_get(pipeline: Pipeline, ref: Stage | str | int | None) -> Stage:
    """Return PIPELINE's stage REF (a stage, an id, or a name as stored or shown), else raise.

    None gives the pipeline's first stage.
    """
    stages = list(pipeline.stages.order_by("position", "id"))
    if not stages:
        raise InvalidDeal(gettext_noop("this pipeline has no stages"))
    if ref is None or ref == "":
        return stages[0]
    if isinstance(ref, Stage):
        found = next((s for s in stages if s.pk == ref.pk), None)
    else:
        text = str(ref).strip()
        found = next((s for s in stages if text.isdigit() and s.pk == int(text)), None)
        found = found or next(
            (s for s in stages if text.casefold() in (s.name.casefold(), label(s.name).casefold())),
            None,
        )
    if found is None:
        raise InvalidDeal(gettext_noop("the pipeline has no stage %(ref)s"), ref=str(ref))
    return found


def lost_reason_get(ref: LostReason | str | int | None) -> LostReason | None:
    """Return the lost reason REF (a reason, an id, a name as stored or shown), None if empty."""
    if ref is None or ref == "":
        return None
    if isinstance(ref, LostReason):
        return ref
    text = str(ref).strip()
    qs = LostReason.objects.all()
    found = qs.filter(pk=int(text)).first() if text.isdigit() else None
    found = found or next(
        (r for r in qs if text.casefold() in (r.name.casefold(), label(r.name).casefold())), None
    )
    if found is None:
        raise InvalidDeal(gettext_noop("there is no lost reason %(ref)s"), ref=text)
    return found


def date_clean(value: Any) -> date | None:
    """Return VALUE (a date, a datetime or YYYY-MM-DD text) as a date, None if empty."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise InvalidDeal(
            gettext_noop("“%(value)s” is not a date (YYYY-MM-DD)"), value=str(value)
        ) from None


def contacts_clean(account: Account, value: Any) -> list[Contact]:
    """Return the contacts VALUE names (contacts or ids, or ids in text), all of ACCOUNT's."""
    if isinstance(value, str):
        value = [v for v in value.replace(",", " ").split() if v]
    ids = set()
    for item in value or []:
        pk = item.pk if isinstance(item, Contact) else item
        try:
            ids.add(int(pk))
        except (TypeError, ValueError):
            raise InvalidDeal(
                gettext_noop("a chosen contact does not belong to this account")
            ) from None
    contacts = list(Contact.objects.filter(account=account, pk__in=ids))
    if len(contacts) != len(ids):
        raise InvalidDeal(gettext_noop("a chosen contact does not belong to this account"))
    return contacts


def field_set(deal: Deal, field: str, value: Any) -> None:
    """Set DEAL's FIELD (title, amount, currency, expected_close, source) from VALUE, cleaned."""
    try:
        if field == "amount":
            deal.amount = None if value in (None, "") else amount_clean(value)
        elif field == "currency":
            deal.currency = "" if value in (None, "") else currency_clean(str(value))
        elif field == "expected_close":
            deal.expected_close = date_clean(value)
        elif field == "source":
            deal.source = " ".join(str(value or "").split())[:80]
        elif field == "title":
            title = " ".join(str(value or "").split())
            if not title:
                raise InvalidDeal(gettext_noop("a deal needs a title"))
            deal.title = title[:300]
        else:
            raise InvalidDeal(gettext_noop("cannot set %(field)s"), field=field)
    except InvalidMoney as exc:
        raise InvalidDeal(exc.template, **exc.params) from None


def missing_fields(deal: Deal, stage: Stage, contacts: list[Contact] | None) -> list[str]:
    """Return the fields STAGE requires that DEAL (with CONTACTS, if given) leaves empty."""
    missing = []
    for field in stage.required_fields or []:
        if field == "contacts":
            has = bool(contacts) if contacts is not None else deal.pk and deal.contacts.exists()
            if not has:
                missing.append(field)
        elif field in REQUIRABLE and getattr(deal, field) in (None, ""):
            missing.append(field)
    return missing
