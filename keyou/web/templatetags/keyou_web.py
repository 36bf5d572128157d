"""Small template helpers for Keyou's pages: `{% load keyou_web %}`."""

from __future__ import annotations

from django import template
from django.utils.html import format_html
from django.utils.translation import gettext as _

register = template.Library()

# Which URL names light up which header link.
SECTIONS = {
    "customers": {
        "account_list",
        "account_detail",
        "account_edit",
        "contact_detail",
        "account_new",
        "account_import",
    },
    "pool": {
        "pool_list",
        "pool_policies",
        "pool_policy_new",
        "pool_policy_edit",
        "pool_approvals",
        "pool_moves",
    },
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
    "queue": {"queue"},
    "deals": {
        "deal_board",
        "deal_list",
        "deal_new",
        "deal_detail",
        "deal_edit",
        "deal_move",
        "deal_record_new",
        "deal_forecast",
        "pipeline_settings",
    },
    "automation": {
        "rule_list",
        "rule_create",
        "rule_edit",
        "rule_dry_run",
        "rule_dry_run_unsaved",
        "rule_run_list",
        "run_list",
        "automation_setup",
        "hours_list",
        "hours_new",
        "hours_edit",
        "routing_list",
        "routing_create",
        "routing_edit",
        "channel_list",
        "channel_create",
        "channel_edit",
    },
    "tasks": {"task_list", "task_new", "task_edit"},
    "leads": {"lead_list"},
    "analytics": {
        "analytics_dashboard",
        "analytics_drill",
        "analytics_export_csv",
        "analytics_export_xlsx",
    },
    "today": {"my_day"},
}

ICONS = {
    "email": "mail",
    "thread": "mail",
    "note": "note",
    "call": "phone",
    "meeting": "users",
    "handover": "users",
    "task": "note",
    "comment": "note",
    "lead": "building",
    "automation": "alert",
    "assignment": "users",
    "deal": "building",
    "quote": "note",
    "order": "note",
    "payment": "note",
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


@register.filter
def iso_datetime(text: str):
    """Return the datetime in ISO TEXT (as timeline data keeps it), or None when it is not one."""
    from datetime import datetime

    try:
        return datetime.fromisoformat(text) if text else None
    except (TypeError, ValueError):
        return None


@register.filter
def lead_status(value: str) -> str:
    """Return the display name of the lead status VALUE (the value itself when unknown)."""
    from keyou.crm.models import LeadStatus

    try:
        return str(LeadStatus(value).label)
    except ValueError:
        return value


@register.filter
def minutes_human(value: int | None) -> str:
    """Return a span of minutes as "45 min", "2 h 05 min" or "3 d 4 h" (sign dropped)."""
    if value is None:
        return ""
    minutes = abs(int(value))
    if minutes < 60:
        return _("%(m)d min") % {"m": minutes}
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return _("%(h)d h %(m)02d min") % {"h": hours, "m": minutes}
    days, hours = divmod(hours, 24)
    return _("%(d)d d %(h)d h") % {"d": days, "h": hours}
