"""The customer-health panel on the account page: `{% load health_tags %}`."""

from __future__ import annotations

from django import template

from keyou.analytics.health import health_context

register = template.Library()


@register.inclusion_tag("web/analytics/partials/health_panel.html", takes_context=True)
def account_health_panel(context, account) -> dict:
    """Render ACCOUNT's health: last contact, our response time, deals, tasks, pool risk,
    monthly email volume and a badge (rules in `keyou.analytics.health`)."""
    return health_context(context["request"].user, account)
