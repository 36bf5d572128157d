"""Template pieces of the people pages used elsewhere: `{% load people_tags %}`."""

from __future__ import annotations

from django import template

from keyou.web.people_forms import AssignForm

register = template.Library()


@register.inclusion_tag("web/people/partials/assign_form.html", takes_context=True)
def assign_form(context, account) -> dict:
    """Render the form that gives ACCOUNT to another user (show it to users who may assign)."""
    return {"account": account, "form": AssignForm(), "csrf_token": context.get("csrf_token")}
