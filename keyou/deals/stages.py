"""What a stage may ask for, the default B2B pipeline, and the names shown translated.

Built-in stage and lost-reason names are stored in English and translated when
shown (like the built-in roles); a name an admin typed is shown as typed.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext, gettext_lazy, gettext_noop, pgettext_lazy

# Deal fields a stage may require before a deal enters it → their label.
REQUIRABLE: dict[str, Any] = {
    "amount": gettext_lazy("amount"),
    "currency": gettext_lazy("currency"),
    "expected_close": gettext_lazy("expected close"),
    "source": gettext_lazy("source"),
    "contacts": gettext_lazy("contacts"),
}
# Asked for when a deal enters a lost stage (not configurable: always needed).
LOST_REASON = "lost_reason"

SOP_ASSIGNEES: dict[str, Any] = {
    "owner": gettext_lazy("the deal's owner"),
    "manager": gettext_lazy("the owner's manager"),
    "director": gettext_lazy("the sales director"),
}

DEFAULT_PIPELINE = gettext_noop("B2B sales")
_MONEY = ["amount", "currency"]
_CLOSE = [*_MONEY, "expected_close"]

# (name, kind, probability, required fields, SOP tasks, stall days)
DEFAULT_STAGES: list[tuple[str, str, int, list[str], list[dict], int | None]] = [
    (gettext_noop("Lead"), "open", 10, [], [], None),
    (gettext_noop("Contacted"), "open", 20, [], [], 14),
    (gettext_noop("Qualified"), "open", 30, [], [], 14),
    (
        gettext_noop("Quoted"),
        "open",
        50,
        _MONEY,
        [
            {
                "title": gettext_noop("Send the quotation"),
                "due_days": 1,
                "assignee": "owner",
                "checklist": [
                    gettext_noop("Prices and currency checked"),
                    gettext_noop("Lead time and Incoterms stated"),
                    gettext_noop("Quotation attached to the deal"),
                ],
            }
        ],
        14,
    ),
    (gettext_noop("Negotiation"), "open", 70, _CLOSE, [], 14),
    (
        gettext_noop("Contract"),
        "open",
        85,
        _CLOSE,
        [
            {
                "title": gettext_noop("Check the contract terms"),
                "due_days": 2,
                "assignee": "manager",
                "checklist": [
                    gettext_noop("Payment terms"),
                    gettext_noop("Delivery terms and penalties"),
                    gettext_noop("Signed by both sides"),
                ],
            }
        ],
        14,
    ),
    (gettext_noop("Delivery"), "open", 95, _CLOSE, [], 30),
    (gettext_noop("Paid"), "won", 100, _CLOSE, [], None),
    (gettext_noop("Lost"), "lost", 0, [], [], None),
]

DEFAULT_LOST_REASONS = [
    gettext_noop("Price"),
    gettext_noop("Lead time"),
    gettext_noop("Quality"),
    gettext_noop("Competitor"),
    gettext_noop("No budget"),
    gettext_noop("No response"),
]

BUILTIN_NAMES = frozenset(
    [DEFAULT_PIPELINE, *DEFAULT_LOST_REASONS]
    + [s[0] for s in DEFAULT_STAGES]
    + [task["title"] for s in DEFAULT_STAGES for task in s[4]]
    + [item for s in DEFAULT_STAGES for task in s[4] for item in task["checklist"]]
)


# Built-in names whose plain msgid means something else elsewhere (a customer's
# lifecycle "Lost", a lead's status "Qualified").
_IN_CONTEXT = {
    "Lost": pgettext_lazy("deal", "Lost"),
    "Qualified": pgettext_lazy("deal stage", "Qualified"),
}


def label(name: str) -> str:
    """Return NAME translated into the active language if it is a built-in name, else NAME."""
    if name in _IN_CONTEXT:
        return str(_IN_CONTEXT[name])
    return gettext(name) if name in BUILTIN_NAMES else name


def field_label(field: str) -> str:
    """Return the label of a requirable deal field (or of the lost reason)."""
    if field == LOST_REASON:
        return gettext("lost reason")
    return str(REQUIRABLE.get(field, field))
