"""Small template helpers for Keyou's pages: `{% load keyou_web %}`."""

from __future__ import annotations

from django import template
from django.utils.html import format_html
from django.utils.translation import gettext as _

register = template.Library()

# Which URL names light up which header link.
SECTIONS = {
    "customers": {"account_list", "account_detail", "account_edit", "contact_detail"},
    "problems": {"problem_list"},
    "search": {"search"},
    "me": {"preferences"},
    "outbox": {"outbox", "compose"},
    "people": {
        "people_tree",
        "people_user_new",
        "people_user_edit",
        "people_team_new",
        "people_team_edit",
        "people_role_list",
        "people_role_new",
        "people_role_edit",
        "handover",
        "handover_preview",
        "handover_confirm",
        "handover_done",
    },
    "audit": {"audit_log"},
}

ICONS = {
    "email": "mail",
    "thread": "mail",
    "note": "note",
    "call": "phone",
    "meeting": "users",
    "handover": "users",
}


@register.simple_tag(takes_context=True)
def nav_class(context, section: str) -> str:
    """Return "active" when the current page belongs to SECTION, for the header nav."""
    request = context.get("request")
    match = getattr(request, "resolver_match", None)
    return "active" if match and match.url_name in SECTIONS.get(section, ()) else ""


@register.simple_tag
def icon(name: str, label: str = "") -> str:
    """Render an icon from the sprite in base.html (entry kinds map to their icon)."""
    symbol = ICONS.get(name, name)
    if label:
        return format_html(
            '<svg class="icon" role="img" aria-label="{}"><use href="#i-{}"></use></svg>',
            label,
            symbol,
        )
    return format_html(
        '<svg class="icon" aria-hidden="true"><use href="#i-{}"></use></svg>', symbol
    )


@register.inclusion_tag("web/partials/directions.html")
def directions(counts: dict[str, int]) -> dict:
    """Show how many messages of a thread came in, went out, or stayed inside."""
    labels = {"inbound": _("Received"), "outbound": _("Sent"), "internal": _("Internal")}
    arrows = {"inbound": "↙", "outbound": "↗", "internal": "↔"}
    return {
        "items": [
            {"name": name, "arrow": arrows[name], "label": labels[name], "count": counts[name]}
            for name in ("inbound", "outbound", "internal")
            if counts.get(name)
        ]
    }


@register.filter
def mailbox_label(address: str) -> str:
    """Return the local part of a mailbox address (sales@ for sales@example.com)."""
    local, _at, _domain = (address or "").partition("@")
    return f"{local}@" if local else address
