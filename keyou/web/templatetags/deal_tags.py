"""Template pieces of the deal pages: `{% load deal_tags %}`."""

from __future__ import annotations

from decimal import Decimal

from django import template

from keyou.deals.selectors import account_deals, may_see_amounts
from keyou.deals.stages import label

register = template.Library()


@register.filter
def deal_label(name: str) -> str:
    """Return a stage, pipeline or lost-reason NAME, translated if it is a built-in one."""
    return label(str(name or ""))


@register.filter
def money(value: Decimal | None) -> str:
    """Return VALUE with thousands separators and cents (12,500.00), or "" for None."""
    if value is None or value == "":
        return ""
    return f"{Decimal(value):,.2f}"


@register.inclusion_tag("web/deals/partials/account_deals.html", takes_context=True)
def account_deals_panel(context, account) -> dict:
    """Render the deals of ACCOUNT (an account the viewer sees) with a "New deal" link."""
    user = context["request"].user
    return {
        "account": account,
        "deals": account_deals(user, account),
        "show_amounts": may_see_amounts(user),
    }


@register.filter
def record_choices(kind: str) -> list[tuple[str, str]]:
    """Return the (value, label) statuses a quote, order or payment (KIND) can have."""
    from keyou.deals.records import record_statuses

    return record_statuses(kind)


@register.filter
def record_status(value: str) -> str:
    """Return the label of a record status value ("sent" → "Sent", translated)."""
    from keyou.deals.models import RecordStatus

    return str(RecordStatus(value).label) if value in RecordStatus.values else str(value or "")
