"""Currencies: the company currency, the rate table the admin keeps, and conversion.

A rate says one unit of a currency is worth RATE units of the company currency
from a date on; an amount is converted with the latest rate valid on its date.
Without such a rate there is no conversion (None), and the pages say "no rate".
"""

from __future__ import annotations

import re
from bisect import bisect_right
from datetime import date
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils.translation import gettext_noop

from keyou.audit.models import AuditAction
from keyou.audit.services import audit
from keyou.deals.models import CurrencyRate
from keyou.errors import UserFixableError
from keyou.people.access import Actor, require
from keyou.people.models import Capability, Organization

CENT = Decimal("0.01")
_CODE = re.compile(r"^[A-Z]{3}$")


class InvalidMoney(UserFixableError):
    """A currency code, amount or rate that cannot be used; the message says why."""


def company_currency() -> str:
    """Return the currency reports are made in (the organisation's)."""
    return Organization.get().currency


def currency_clean(code: str) -> str:
    """Return CODE as an upper-case ISO 4217 code, else raise InvalidMoney."""
    text = (code or "").strip().upper()
    if not _CODE.match(text):
        raise InvalidMoney(gettext_noop("a currency is three letters, such as USD"))
    return text


def amount_clean(value: object) -> Decimal:
    """Return VALUE as a non-negative amount with cents, else raise InvalidMoney."""
    try:
        amount = Decimal(str(value).strip().replace(",", ""))
    except (InvalidOperation, ValueError):
        raise InvalidMoney(gettext_noop("“%(value)s” is not an amount"), value=str(value)) from None
    if not amount.is_finite() or amount < 0 or amount >= Decimal("1e14"):
        raise InvalidMoney(gettext_noop("“%(value)s” is not an amount"), value=str(value))
    return amount.quantize(CENT)


@transaction.atomic
def rate_set(*, actor: Actor, currency: str, rate: object, valid_from: date) -> CurrencyRate:
    """Say one unit of CURRENCY is worth RATE company-currency units from VALID_FROM on.

    Setting a rate for a day that has one replaces it. Needs the manage-rules capability.
    """
    require(actor, Capability.MANAGE_RULES)
    code = currency_clean(currency)
    if code == company_currency():
        raise InvalidMoney(gettext_noop("the company currency needs no rate"))
    try:
        value = Decimal(str(rate).strip())
    except (InvalidOperation, ValueError):
        raise InvalidMoney(gettext_noop("“%(value)s” is not a rate"), value=str(rate)) from None
    if not value.is_finite() or value <= 0 or value >= Decimal("1e9"):
        raise InvalidMoney(gettext_noop("“%(value)s” is not a rate"), value=str(rate))
    row, _created = CurrencyRate.objects.update_or_create(
        currency=code, valid_from=valid_from, defaults={"rate": value}
    )
    audit(
        actor,
        AuditAction.CHANGE,
        obj=row,
        data={"currency": code, "rate": str(value), "valid_from": valid_from.isoformat()},
    )
    return row


@transaction.atomic
def rate_delete(*, actor: Actor, rate: CurrencyRate) -> None:
    """Remove one row of the rate table. Needs the manage-rules capability."""
    require(actor, Capability.MANAGE_RULES)
    audit(actor, AuditAction.DELETE, obj=rate, data={"currency": rate.currency})
    rate.delete()


class RateTable:
    """The rate table read once, for converting many amounts (the board, the forecast)."""

    def __init__(self, currencies: set[str] | None = None) -> None:
        self.company = company_currency()
        rows = CurrencyRate.objects.order_by("currency", "valid_from")
        if currencies is not None:
            rows = rows.filter(currency__in=sorted(currencies))
        self._days: dict[str, list[date]] = {}
        self._rates: dict[str, list[Decimal]] = {}
        for currency, day, rate in rows.values_list("currency", "valid_from", "rate"):
            self._days.setdefault(currency, []).append(day)
            self._rates.setdefault(currency, []).append(rate)

    def rate(self, currency: str, on: date) -> Decimal | None:
        """Return CURRENCY's rate valid on ON (1 for the company currency), else None."""
        if currency == self.company or not currency:
            return Decimal(1)
        days = self._days.get(currency, [])
        i = bisect_right(days, on)
        return self._rates[currency][i - 1] if i else None

    def convert(self, amount: Decimal | None, currency: str, on: date) -> Decimal | None:
        """Return AMOUNT in CURRENCY converted to the company currency on ON, else None."""
        if amount is None:
            return None
        rate = self.rate(currency, on)
        return None if rate is None else (amount * rate).quantize(CENT)


def amount_in_company(amount: Decimal | None, currency: str, on: date) -> Decimal | None:
    """Return AMOUNT of CURRENCY in the company currency with the rate valid ON, else None."""
    if amount is None:
        return None
    return RateTable({currency}).convert(Decimal(amount), currency, on)


def rates_list() -> list[CurrencyRate]:
    """Return the rate table, by currency and newest first."""
    return list(CurrencyRate.objects.order_by("currency", "-valid_from"))
