"""Built-in rule templates, offered in the first-run checklist.

Names and texts are written in the language of the admin who installs them
(they become ordinary, editable rules); keywords are always Chinese and English.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

INQUIRY_KEYWORDS = [
    "报价",
    "询价",
    "询盘",
    "价格",
    "样品",
    "目录",
    "quotation",
    "quote",
    "price list",
    "pricing",
    "sample",
    "MOQ",
    "catalog",
    "inquiry",
    "enquiry",
    "RFQ",
]
COMPLAINT_KEYWORDS = [
    "投诉",
    "退款",
    "质量问题",
    "complaint",
    "refund",
    "defect",
    "damaged",
]

_INBOUND_HUMAN = [
    {"field": "message.direction", "op": "eq", "value": "inbound"},
    {"field": "message.automated", "op": "eq", "value": False},
]


@dataclass(frozen=True)
class Template:
    slug: str
    title: Any  # lazy: shown in the checklist
    summary: Any

    def rules(self, *, support_team: str = "") -> list[dict[str, Any]]:
        """Return the rule(s) this template installs, as rule JSON (a fresh copy each time)."""
        return copy.deepcopy(_BUILDERS[self.slug](support_team))


def _inquiry(_support: str) -> list[dict[str, Any]]:
    return [
        {
            "name": _("Inquiry detection"),
            "description": _("A first email from a new sender asking for prices or samples"),
            "trigger": "message.received",
            "conditions": {
                "all": [
                    *_INBOUND_HUMAN,
                    {"field": "message.first_from_sender", "op": "eq", "value": True},
                    {
                        "any": [
                            {
                                "field": "message.subject",
                                "op": "contains_any",
                                "value": INQUIRY_KEYWORDS,
                            },
                            {
                                "field": "message.text",
                                "op": "contains_any",
                                "value": INQUIRY_KEYWORDS,
                            },
                        ]
                    },
                ]
            },
            "actions": [
                {"type": "add_tag", "tag": "lead"},
                {"type": "create_deal", "source": "email inquiry"},
            ],
        }
    ]


def _reply_sla(_support: str) -> list[dict[str, Any]]:
    inquiry = {"field": "thread.is_inquiry", "op": "eq", "value": True}
    return [
        {
            "name": _("Inquiry not answered in 30 minutes"),
            "description": _("Task for the owner and a notice to their manager"),
            "trigger": "thread.awaiting_reply",
            "trigger_after": 30,
            "conditions": {"all": [inquiry]},
            "actions": [
                {
                    "type": "create_task",
                    "title": _("Answer the inquiry: {thread.subject}"),
                    "assignee": "owner",
                    "due": "0m",
                    "kind": "reply",
                },
                {
                    "type": "notify",
                    "to": "manager",
                    "text": _(
                        "{account.name} has waited {thread.waiting_minutes} working minutes "
                        "for an answer to “{thread.subject}” (owner: {account.owner})"
                    ),
                },
            ],
        },
        {
            "name": _("Inquiry not answered in 4 hours"),
            "description": _("Escalate to the director"),
            "trigger": "thread.awaiting_reply",
            "trigger_after": 240,
            "conditions": {"all": [inquiry]},
            "actions": [
                {
                    "type": "notify",
                    "to": "director",
                    "text": _(
                        "Escalation: {account.name} has waited {thread.waiting_minutes} working "
                        "minutes for an answer to “{thread.subject}” (owner: {account.owner})"
                    ),
                }
            ],
        },
    ]


def _complaint(support: str) -> list[dict[str, Any]]:
    team = support or "Support"
    return [
        {
            "name": _("Complaint"),
            "description": _("Service task for the support team; its lead is told"),
            "trigger": "message.received",
            "conditions": {
                "all": [
                    *_INBOUND_HUMAN,
                    {
                        "any": [
                            {
                                "field": "message.subject",
                                "op": "contains_any",
                                "value": COMPLAINT_KEYWORDS,
                            },
                            {
                                "field": "message.text",
                                "op": "contains_any",
                                "value": COMPLAINT_KEYWORDS,
                            },
                        ]
                    },
                ]
            },
            "actions": [
                {
                    "type": "create_task",
                    "title": _("Complaint from {account.name}: {message.subject}"),
                    "assignee": f"team:{team}",
                    "due": "2h",
                    "kind": "service",
                },
                {
                    "type": "notify",
                    "to": f"lead:{team}",
                    "text": _("Complaint from {account.name}: “{message.subject}”"),
                },
            ],
        }
    ]


def _key_account(_support: str) -> list[dict[str, Any]]:
    return [
        {
            "name": _("Key account without follow-up for 5 days"),
            "description": _("Remind the owner, tell their manager"),
            "trigger": "account.no_follow_up",
            "trigger_after": 5,
            "conditions": {"all": [{"field": "account.tier", "op": "eq", "value": "A"}]},
            "actions": [
                {
                    "type": "create_task",
                    "title": _("Follow up with {account.name}"),
                    "assignee": "owner",
                    "due": "1d",
                    "kind": "follow_up",
                },
                {
                    "type": "notify",
                    "to": "manager",
                    "text": _("{account.name} (tier A) has had no email from us for 5 days"),
                },
            ],
        }
    ]


def _birthday(_support: str) -> list[dict[str, Any]]:
    return [
        {
            "name": _("Contact birthday"),
            "description": _("A greeting from the owner"),
            "trigger": "contact.birthday",
            "conditions": {"all": [{"field": "account.has_owner", "op": "eq", "value": True}]},
            "actions": [
                {
                    "type": "send_template",
                    "subject": _("Happy birthday, {contact.name}"),
                    "body": _(
                        "Dear {contact.name},\n\nAll of us wish you a happy birthday and a "
                        "wonderful year ahead.\n\nBest regards,\n{owner.name}"
                    ),
                }
            ],
        }
    ]


_BUILDERS = {
    "inquiry": _inquiry,
    "reply_sla": _reply_sla,
    "complaint": _complaint,
    "key_account": _key_account,
    "birthday": _birthday,
}

TEMPLATES: tuple[Template, ...] = (
    Template(
        "inquiry",
        gettext_lazy("Inquiry detection"),
        gettext_lazy(
            "Price, sample or catalogue keywords (Chinese and English) in a first email from a "
            "new sender: tag the customer “lead” and open a deal in the first pipeline stage."
        ),
    ),
    Template(
        "reply_sla",
        gettext_lazy("Reply SLA for inquiries"),
        gettext_lazy(
            "No answer in 30 working minutes: a task for the owner and a notice to their "
            "manager; in 4 working hours: escalate to the director."
        ),
    ),
    Template(
        "complaint",
        gettext_lazy("Complaints"),
        gettext_lazy(
            "Complaint, refund or defect keywords: a service task for the support team and a "
            "notice to its lead."
        ),
    ),
    Template(
        "key_account",
        gettext_lazy("Key accounts without follow-up"),
        gettext_lazy(
            "A tier A customer with no email from us in 5 days: remind the owner, cc manager."
        ),
    ),
    Template(
        "birthday",
        gettext_lazy("Contact birthdays"),
        gettext_lazy(
            "On a contact's birthday, the owner gets a task with a greeting ready to send "
            "(sent automatically once campaigns arrive)."
        ),
    ),
)
TEMPLATE_BY_SLUG = {t.slug: t for t in TEMPLATES}
