"""Template pieces of the public pool used elsewhere: `{% load pool_tags %}`."""

from __future__ import annotations

from django import template

from keyou.people.access import can
from keyou.people.models import Capability
from keyou.pool.selectors import account_pool_state, pool_accounts_visible_to
from keyou.pool.services import can_release
from keyou.web.pool_forms import ReleaseForm

register = template.Library()


@register.inclusion_tag("web/pool/partials/account_panel.html", takes_context=True)
def account_pool_panel(context, account) -> dict:
    """Render ACCOUNT's place in the pool: "in the pool since … [Claim]", or "Release" for
    its owner (or someone who may assign it), with any protection or reclaim date."""
    user = context["request"].user
    state = account_pool_state(account)
    may_claim = (
        state["in_pool"]
        and can(user, Capability.CLAIM_POOL)
        and pool_accounts_visible_to(user).filter(pk=account.pk).exists()
    )
    return {
        "account": account,
        "state": state,
        "may_claim": may_claim,
        "may_release": can_release(user, account),
        "form": ReleaseForm(),
        "csrf_token": context.get("csrf_token"),
    }
